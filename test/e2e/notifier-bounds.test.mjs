// notifier-bounds.test.mjs — every byte a client can make the notifier hold is bounded
// (SPEC §7 "Bad input and faults", issue 8 findings 3, 4b and 7): clients that pipeline
// requests or flood pings and never read, handshake floods, --max-conns, --max-sessions,
// a held polling GET whose connection dies in the turn it is answered, close frames with
// bad codes, and a FIFO under --static. Each hostile input prints a SECURITY| line.
//
// The RSS bound: under 64 MB above the notifier's idle RSS (/proc/<pid>/status VmRSS).
// Under a sanitizer build (RC_SANITIZED=1) RSS includes shadow memory and quarantine, so
// only the behaviour is checked there, not the number.
import { test } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { readFileSync, mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { io } from "socket.io-client";
import { startNotifier } from "./lib/notifier.mjs";
import { connect, frame } from "./lib/rawws.mjs";

const RSS_BOUND_MB = 64;
const sanitized = process.env.RC_SANITIZED === "1";

// VmRSS of a process in MB
function rssMB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m[1]) / 1024;
}

function security(area, input, outcome) {
  console.log(`SECURITY|${area}|${input}|${outcome}`);
}

// A connected conformance-mode client whose echo proves the notifier still serves others
async function healthyClient(srv) {
  const c = io(srv.url, { transports: ["websocket"], reconnection: false, forceNew: true });
  await once(c, "auth");
  return c;
}

async function assertServed(srv, healthy) {
  const back = once(healthy, "message-back");
  healthy.emit("message", "still here");
  const r = await Promise.race([back, sleep(5000).then(() => null)]);
  assert.deepEqual(r, ["still here"], "a connected client is still served");
  const res = await fetch(`${srv.url}/healthz`, { signal: AbortSignal.timeout(5000) });
  assert.equal(res.status, 200, "/healthz answers meanwhile");
  await res.text();
}

// A raw TCP connection that writes `total` bytes of `unit` repeated and never reads;
// what the kernel does not take waits in this process (the notifier stops reading)
async function floodNeverRead(port, unit, total) {
  const sock = net.connect(port, "127.0.0.1");
  sock.on("error", () => {});
  await once(sock, "connect");
  sock.pause();
  const chunk = Buffer.from(unit.repeat(Math.ceil(65536 / unit.length)));
  for (let sent = 0; sent < total; sent += chunk.length) sock.write(chunk);
  return sock;
}

// Wait until the notifier's RSS stops growing (or ms pass); returns the peak seen
async function settleRss(pid, ms = 3000) {
  let peak = rssMB(pid);
  const t0 = Date.now();
  let last = peak;
  while (Date.now() - t0 < ms) {
    await sleep(250);
    const r = rssMB(pid);
    peak = Math.max(peak, r);
    if (Math.abs(r - last) < 0.1 && Date.now() - t0 > 1000) break;
    last = r;
  }
  return peak;
}

async function pipelinedNeverRead(path, mb) {
  const srv = await startNotifier(["--conformance"]);
  try {
    const healthy = await healthyClient(srv);
    const idle = rssMB(srv.proc.pid);
    const sock = await floodNeverRead(srv.port, `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`, mb * 1024 * 1024);
    const peak = await settleRss(srv.proc.pid);
    const grew = peak - idle;
    await assertServed(srv, healthy);
    const m = await (await fetch(`${srv.url}/metrics`)).text();
    const pauses = Number(/roomcast_read_pauses_total (\d+)/.exec(m)?.[1] ?? 0);
    security("notifier/http", `${mb} MB of pipelined GET ${path} and never read`,
      `reading paused at --max-buffered (${pauses} pauses); RSS +${grew.toFixed(1)} MB`);
    if (!sanitized) assert.ok(grew < RSS_BOUND_MB, `RSS grew ${grew.toFixed(1)} MB (bound ${RSS_BOUND_MB} MB)`);
    assert.ok(pauses >= 1, "the connection was paused for back-pressure");
    sock.destroy();
    healthy.close();
  } finally {
    await srv.stop();
  }
}

test("pipelined GET /metrics never read: reading pauses, RSS stays bounded", () => pipelinedNeverRead("/metrics", 5));

test("pipelined GET /healthz never read: reading pauses, RSS stays bounded", () => pipelinedNeverRead("/healthz", 20));

test("WebSocket ping flood never read: pongs bounded, RSS stays bounded", async () => {
  const srv = await startNotifier(["--conformance"]);
  try {
    const healthy = await healthyClient(srv);
    const idle = rssMB(srv.proc.pid);
    const ws = await connect(srv.port, "/socket.io/?EIO=4&transport=websocket");
    assert.equal(ws.status, 101);
    ws.pause();
    const ping = frame(9, Buffer.alloc(125, 0x61));
    const chunk = Buffer.concat(Array(512).fill(ping));
    const total = 90 * 1024 * 1024;
    for (let sent = 0; sent < total; sent += chunk.length) {
      ws.sendRaw(chunk);
      if (sent % (4 * 1024 * 1024) < chunk.length) await sleep(1);
    }
    const peak = await settleRss(srv.proc.pid);
    const grew = peak - idle;
    await assertServed(srv, healthy);
    security("notifier/ws", "90 MB of WebSocket pings and never read", `reading paused at --max-buffered; RSS +${grew.toFixed(1)} MB`);
    if (!sanitized) assert.ok(grew < RSS_BOUND_MB, `RSS grew ${grew.toFixed(1)} MB (bound ${RSS_BOUND_MB} MB)`);
    ws.close();
    healthy.close();
  } finally {
    await srv.stop();
  }
});

test("Engine.IO handshake flood on one connection: at most --max-sessions sessions, the rest 503", async () => {
  const srv = await startNotifier(["--conformance"]);
  try {
    const healthy = await healthyClient(srv);
    const idle = rssMB(srv.proc.pid);
    const n = 30000;
    const sock = net.connect(srv.port, "127.0.0.1");
    await once(sock, "connect");
    let text = "";
    let ok = 0;
    let refused = 0;
    const done = new Promise((resolve) => {
      sock.on("data", (d) => {
        text += d.toString("latin1");
        // count complete status lines, keep the tail
        const parts = text.split("HTTP/1.1 ");
        text = parts.pop();
        for (const p of parts) {
          if (p.startsWith("200")) ok++;
          else if (p.startsWith("503")) refused++;
        }
        if (ok + refused >= n - 1) resolve();
      });
      sock.on("close", resolve);
    });
    sock.write(`GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n`.repeat(n));
    await Promise.race([done, sleep(30000)]);
    if (text.startsWith("200")) ok++;
    else if (text.startsWith("503")) refused++;
    const peak = await settleRss(srv.proc.pid, 1500);
    const grew = peak - idle;
    await assertServed(srv, healthy);
    security("notifier/engine.io", `${n} handshakes pipelined on one connection`,
      `${ok} sessions (--max-sessions 10000, one taken), ${refused} got 503; RSS +${grew.toFixed(1)} MB`);
    assert.equal(ok + refused, n, "every handshake answered");
    assert.equal(ok, 9999, "sessions capped at --max-sessions (one is the healthy client's)");
    if (!sanitized) assert.ok(grew < RSS_BOUND_MB, `RSS grew ${grew.toFixed(1)} MB (bound ${RSS_BOUND_MB} MB)`);
    sock.destroy();
    healthy.close();
  } finally {
    await srv.stop();
  }
});

// Open a raw connection, send one request, resolve with the status of the first response
function rawStatus(port, request = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n") {
  return new Promise((resolve) => {
    const sock = net.connect(port, "127.0.0.1");
    let buf = "";
    sock.on("error", () => resolve({ status: 0, sock }));
    sock.on("connect", () => sock.write(request));
    sock.on("data", (d) => {
      buf += d;
      const m = /^HTTP\/1\.1 (\d+)/.exec(buf);
      if (m && buf.includes("\r\n\r\n")) resolve({ status: Number(m[1]), sock });
    });
    sock.on("close", () => resolve({ status: 0, sock }));
  });
}

test("--max-conns: connections over the limit get 503 and are closed; freed slots are reusable", async () => {
  const srv = await startNotifier(["--conformance", "--max-conns", "10"]);
  try {
    const socks = [];
    const statuses = [];
    for (let i = 0; i < 15; i++) {
      const r = await rawStatus(srv.port);
      statuses.push(r.status);
      socks.push(r.sock);
    }
    const ok = statuses.filter((s) => s === 200).length;
    const refused = statuses.filter((s) => s === 503).length;
    security("notifier/tcp", "15 connections held open with --max-conns 10", `${ok} served, ${refused} got 503 then close`);
    assert.ok(ok <= 10 && ok >= 9, `at most 10 served (got ${ok}; the start-up check may hold one)`);
    assert.equal(ok + refused, 15);
    for (const s of socks) s.destroy();
    await sleep(300);
    const again = await rawStatus(srv.port);
    assert.equal(again.status, 200, "a slot is free again after the clients closed");
    again.sock.destroy();
  } finally {
    await srv.stop();
  }
});

test("--max-sessions: handshakes over the limit get 503 (polling and websocket)", async () => {
  const srv = await startNotifier(["--conformance", "--max-sessions", "3"]);
  try {
    const hs = () => fetch(`${srv.url}/socket.io/?EIO=4&transport=polling`).then(async (r) => [r.status, await r.text()]);
    const wss = [];
    for (let i = 0; i < 2; i++) {
      const ws = await connect(srv.port, "/socket.io/?EIO=4&transport=websocket");
      assert.equal(ws.status, 101);
      wss.push(ws);
    }
    const [s3] = await hs();
    assert.equal(s3, 200, "the third session is accepted");
    const [s4, body4] = await hs();
    assert.equal(s4, 503);
    assert.match(body4, /max-sessions/);
    const ws4 = await connect(srv.port, "/socket.io/?EIO=4&transport=websocket");
    assert.equal(ws4.status, 503, "a WebSocket handshake over the limit is refused with 503");
    security("notifier/engine.io", "a 4th session with --max-sessions 3", "HTTP 503 for polling and websocket handshakes");
    wss[0].close();
    await sleep(200);
    const ws5 = await connect(srv.port, "/socket.io/?EIO=4&transport=websocket");
    assert.equal(ws5.status, 101, "a closed session frees its slot");
    ws5.close();
    wss[1].close();
  } finally {
    await srv.stop();
  }
});

// A close frame with payload; resolves with the code the server answers with
async function closeReply(srv, payload) {
  const ws = await connect(srv.port, "/socket.io/?EIO=4&transport=websocket");
  assert.equal(ws.status, 101);
  await ws.next(); // the OPEN packet
  ws.sendRaw(frame(8, payload));
  const { code } = await Promise.race([ws.closed, sleep(3000).then(() => ({ code: "timeout" }))]);
  ws.close();
  return code;
}

test("close frames: valid codes are echoed, bad codes get 1002, a bad reason 1007", async () => {
  const srv = await startNotifier(["--conformance"]);
  try {
    const code = (n, reason = "") => Buffer.concat([Buffer.from([n >> 8, n & 255]), Buffer.from(reason)]);
    const cases = [
      ["close code 1005 (reserved, never sent)", code(1005), 1002],
      ["close code 999", code(999), 1002],
      ["close code 1006", code(1006), 1002],
      ["close code 2999", code(2999), 1002],
      ["1-byte close payload", Buffer.from([3]), 1002],
      ["close reason that is not UTF-8", Buffer.concat([code(1000), Buffer.from([0xff, 0xfe])]), 1007],
    ];
    for (const [what, payload, want] of cases) {
      const got = await closeReply(srv, payload);
      security("notifier/ws", what, `answered close ${got}`);
      assert.equal(got, want, what);
    }
    assert.equal(await closeReply(srv, code(4000, "bye")), 4000, "a private-use code is echoed");
    assert.equal(await closeReply(srv, code(1001)), 1001, "1001 is echoed");
    assert.equal(await closeReply(srv, Buffer.alloc(0)), 1000, "an empty close is answered 1000");
  } finally {
    await srv.stop();
  }
});

test("a FIFO under --static does not block the event loop", async () => {
  const dir = mkdtempSync(join(tmpdir(), "rc-static-fifo-"));
  writeFileSync(join(dir, "index.html"), "<!doctype html><title>x</title>");
  execFileSync("mkfifo", [join(dir, "pipe.js")]);
  const srv = await startNotifier(["--conformance", "--static", dir]);
  try {
    const fifo = fetch(`${srv.url}/pipe.js`, { signal: AbortSignal.timeout(3000) }).then((r) => r.status, () => "timeout");
    await sleep(100);
    const health = await fetch(`${srv.url}/healthz`, { signal: AbortSignal.timeout(3000) }).then((r) => r.status, () => "timeout");
    const got = await fifo;
    security("notifier/static", "GET of a FIFO under --static", `${got}; the loop kept serving (/healthz ${health})`);
    assert.equal(health, 200, "the loop is not blocked");
    assert.equal(got, 404, "a FIFO is not a regular file: 404");
  } finally {
    await srv.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

// Open a polling session and return its sid
async function pollingSid(srv) {
  const r = await fetch(`${srv.url}/socket.io/?EIO=4&transport=polling`);
  const body = await r.text();
  return JSON.parse(body.slice(1)).sid;
}

test("a held polling GET whose connection dies in the turn it is answered is not used after free", async () => {
  const srv = await startNotifier(["--conformance"]);
  try {
    const healthy = await healthyClient(srv);
    const rounds = 40;
    for (let i = 0; i < rounds; i++) {
      const sid = await pollingSid(srv);
      const path = `/socket.io/?EIO=4&transport=polling&sid=${sid}`;
      // X: a held GET with a pipelined request behind it (queued for resume once answered)
      const x = net.connect(srv.port, "127.0.0.1");
      x.on("error", () => {});
      await once(x, "connect");
      x.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n`);
      await sleep(20);
      // Y: a POST that answers X's GET (a PING gets a PONG); X is closed right behind it,
      // so the notifier reads both in one turn: X is answered (and queued to resume
      // its pipelined request), then X's FIN closes it
      // (Z keeps the loop busy for a few ms first, so that Y and X are read in one turn)
      const y = net.connect(srv.port, "127.0.0.1");
      const z = net.connect(srv.port, "127.0.0.1");
      for (const s of [y, z]) {
        s.on("error", () => {});
        s.on("data", () => {});
        await once(s, "connect");
      }
      z.write("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n".repeat(300));
      y.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 1\r\n\r\n2`);
      x.destroy();
      await sleep(30);
      y.destroy();
      z.destroy();
    }
    await sleep(200);
    assert.equal(srv.proc.exitCode, null, "the notifier is still running");
    assert.equal(srv.proc.signalCode, null);
    await assertServed(srv, healthy);
    security("notifier/http", `${rounds} held polling GETs closed in the turn they are answered, requests pipelined behind`,
      "connection freed only after the deferred list let go of it; no crash");
    healthy.close();
  } finally {
    await srv.stop();
  }
});
