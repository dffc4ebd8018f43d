// notifier-http.test.mjs — /healthz, /metrics, security headers, the
// reference's Engine.IO HTTP errors, origin checks (403), the default
// (non-conformance) namespaces, the connect timeout, SIGTERM drain, SIGHUP
// reload, and --help.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { io } from "socket.io-client";
import { startNotifier } from "./lib/notifier.mjs";
import { createDb } from "./lib/db.mjs";
import { connect } from "./lib/rawws.mjs";

let srv, db, token;

before(async () => {
  // every notifier of this file authenticates against this database (ROOMCAST_DB)
  db = await createDb("rc_e2e_http");
  const tenant = await db.addTenant("http");
  token = await db.token(tenant, await db.addUser(tenant, "h@http.test"));
  process.env.ROOMCAST_DB = db.conninfo;
  srv = await startNotifier(["--cors-origin", "http://allowed.test", "--connect-timeout", "300"]);
});

after(async () => {
  await srv.stop();
  await db.close();
});

function assertSecurityHeaders(res) {
  assert.equal(res.headers.get("x-content-type-options"), "nosniff");
  assert.equal(res.headers.get("x-frame-options"), "DENY");
  assert.equal(res.headers.get("referrer-policy"), "strict-origin-when-cross-origin");
  assert.match(res.headers.get("content-security-policy") ?? "", /default-src 'none'/);
}

test("/healthz answers 200 with status and connection count", async () => {
  const res = await fetch(`${srv.url}/healthz`);
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.status, "ok");
  assert.equal(typeof body.connections, "number");
  assert.ok("db" in body && "redis" in body);
  assertSecurityHeaders(res);
});

test("/metrics is Prometheus text and counts connections", async () => {
  const c = io(srv.url, { transports: ["websocket"], reconnection: false, forceNew: true, auth: { token } });
  await once(c, "connect");
  const res = await fetch(`${srv.url}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type"), /^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  assert.match(text, /^# TYPE roomcast_connections gauge$/m);
  const ws = Number(/^roomcast_connections\{transport="websocket"\} (\d+)$/m.exec(text)[1]);
  assert.ok(ws >= 1, `websocket connections ${ws}`);
  assert.match(text, /^roomcast_drops_total\{reason="malformed"\} \d+$/m);
  assertSecurityHeaders(res);
  c.close();
});

test("every response carries the security headers, also errors and the handshake", async () => {
  for (const path of ["/nope", "/socket.io/?EIO=4&transport=polling", "/socket.io/?EIO=4&transport=bogus"]) {
    const res = await fetch(srv.url + path);
    assertSecurityHeaders(res);
  }
});

test("Engine.IO request errors are the reference's 400s", async () => {
  const cases = [
    ["/socket.io/?EIO=4&transport=bogus", "GET", { code: 0, message: "Transport unknown" }],
    ["/socket.io/?EIO=4", "GET", { code: 0, message: "Transport unknown" }],
    ["/socket.io/?EIO=4&transport=polling&sid=nope", "GET", { code: 1, message: "Session ID unknown" }],
    ["/socket.io/?EIO=4&transport=polling", "POST", { code: 2, message: "Bad handshake method" }],
    ["/socket.io/?EIO=4&transport=websocket", "GET", { code: 3, message: "Bad request" }],
    ["/socket.io/?EIO=3&transport=polling", "GET", { code: 5, message: "Unsupported protocol version" }],
  ];
  for (const [path, method, body] of cases) {
    const res = await fetch(srv.url + path, { method });
    assert.equal(res.status, 400, path);
    assert.deepEqual(await res.json(), body, path);
  }
});

test("a disallowed origin gets 403 on polling and on the WebSocket upgrade", async () => {
  const res = await fetch(`${srv.url}/socket.io/?EIO=4&transport=polling`, { headers: { Origin: "http://evil.test" } });
  assert.equal(res.status, 403);
  assertSecurityHeaders(res);
  const ws = await connect(srv.port, "/socket.io/?EIO=4&transport=websocket", { Origin: "http://evil.test" });
  assert.equal(ws.status, 403);
});

test("an allowed origin, the same origin, and no origin are served, with CORS headers", async () => {
  const ok = await fetch(`${srv.url}/socket.io/?EIO=4&transport=polling`, { headers: { Origin: "http://allowed.test" } });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get("access-control-allow-origin"), "http://allowed.test");
  assert.equal(ok.headers.get("access-control-allow-credentials"), "true");
  const same = await fetch(`${srv.url}/socket.io/?EIO=4&transport=polling`, { headers: { Origin: srv.url } });
  assert.equal(same.status, 200);
  const none = await fetch(`${srv.url}/socket.io/?EIO=4&transport=polling`);
  assert.equal(none.status, 200);
  assert.equal(none.headers.get("access-control-allow-origin"), null);
  const ws = await connect(srv.port, "/socket.io/?EIO=4&transport=websocket", { Origin: "http://allowed.test" });
  assert.equal(ws.status, 101);
  ws.close();
  const pre = await fetch(`${srv.url}/socket.io/?EIO=4&transport=polling`, {
    method: "OPTIONS",
    headers: { Origin: "http://allowed.test", "Access-Control-Request-Headers": "content-type" },
  });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get("access-control-allow-headers"), "content-type");
});

test("default namespaces: / and /notifications connect, others are refused; unknown events get UNKNOWN_EVENT", async () => {
  for (const nsp of ["", "/notifications"]) {
    const c = io(srv.url + nsp, { transports: ["websocket"], reconnection: false, forceNew: true, auth: { token } });
    await once(c, "connect");
    const reply = await c.timeout(2000).emitWithAck("no-such-event", 1);
    assert.equal(reply.error.code, "UNKNOWN_EVENT");
    c.close();
  }
  const bad = io(srv.url + "/custom", { transports: ["websocket"], reconnection: false, forceNew: true, auth: { token } });
  const [err] = await once(bad, "connect_error");
  assert.equal(err.message, "Invalid namespace");
  bad.close();
});

test("a session without CONNECT is closed after --connect-timeout", async () => {
  const ws = await connect(srv.port, "/socket.io/?EIO=4&transport=websocket");
  assert.match(await ws.next(), /^0\{/);
  const t0 = Date.now();
  await ws.closed;
  const waited = Date.now() - t0;
  assert.ok(waited >= 250 && waited < 2000, `closed after ${waited} ms`);
});

test("SIGTERM drains: clients are disconnected (to reconnect elsewhere) and the process exits 0 within 5 s", async () => {
  const own = await startNotifier([]);
  const ws = io(own.url, { transports: ["websocket"], reconnection: false, forceNew: true, auth: { token } });
  const poll = io(own.url, { transports: ["polling"], reconnection: false, forceNew: true, auth: { token } });
  await Promise.all([once(ws, "connect"), once(poll, "connect")]);
  const reasons = Promise.all([once(ws, "disconnect"), once(poll, "disconnect")]);
  const t0 = Date.now();
  own.proc.kill("SIGTERM");
  const [[wsReason], [pollReason]] = await reasons;
  // "transport close"/"transport error" make socket.io-client reconnect; "io server disconnect" would not
  assert.notEqual(wsReason, "io server disconnect");
  assert.notEqual(pollReason, "io server disconnect");
  const { code } = await own.exited;
  assert.equal(code, 0);
  assert.ok(Date.now() - t0 < 5000);
  ws.close();
  poll.close();
});

test("SIGHUP re-reads CORS origins from --config", async () => {
  const dir = mkdtempSync(join(tmpdir(), "rc-notifier-"));
  const cfg = join(dir, "notifier.env");
  writeFileSync(cfg, "ROOMCAST_CORS_ORIGIN=http://a.test\n");
  const own = await startNotifier(["--config", cfg]);
  const status = async (origin) =>
    (await fetch(`${own.url}/socket.io/?EIO=4&transport=polling`, { headers: { Origin: origin } })).status;
  try {
    assert.equal(await status("http://a.test"), 200);
    assert.equal(await status("http://b.test"), 403);
    writeFileSync(cfg, "ROOMCAST_CORS_ORIGIN=http://b.test\nROOMCAST_LOG_LEVEL=debug\n");
    own.proc.kill("SIGHUP");
    let ok = false;
    for (let i = 0; i < 200 && !ok; i++) {
      await sleep(25);
      ok = (await status("http://b.test")) === 200;
    }
    assert.ok(ok, "b.test allowed after SIGHUP");
    assert.equal(await status("http://a.test"), 403);
    assert.match(own.stderr(), /reloaded/);
  } finally {
    await own.stop();
  }
});

test("--help lists every SPEC option with its default and environment variable", () => {
  const help = execFileSync(process.env.RC_NOTIFIER, ["--help"]).toString();
  for (const opt of [
    "listen", "db", "redis", "cors-origin", "namespaces", "ping-interval", "ping-timeout", "connect-timeout",
    "max-payload", "grace", "refresh-warning", "max-conns-per-user", "rate", "recovery-window", "static",
    "log-level", "log-format", "tls-cert", "tls-key", "conformance",
  ]) {
    assert.match(help, new RegExp(`--${opt}\\b`), opt);
    assert.match(help, new RegExp(`ROOMCAST_${opt.toUpperCase().replaceAll("-", "_")}\\b`), opt);
  }
  assert.match(help, /default: 127\.0\.0\.1:3001/);
  assert.match(help, /default: 25000/);
});

test("--help says which SPEC options are not implemented yet, and setting one warns at start", async () => {
  const help = execFileSync(process.env.RC_NOTIFIER, ["--help"]).toString();
  // each option's block: from its "  --name" line to the next option's
  const block = (opt) => help.split(/\n(?=  --)/).find((b) => b.startsWith(`  --${opt} `) || b.startsWith(`  --${opt}\n`)) ?? "";
  for (const opt of ["tls-cert", "tls-key", "listen", "db", "redis", "presence-ttl", "rate", "rpc-pool", "max-conns-per-user", "namespaces", "grace", "refresh-warning", "recovery-window"])
    assert.doesNotMatch(block(opt), /not implemented yet/, opt);
  const own = await startNotifier(["--grace", "10"], { ROOMCAST_RECOVERY_WINDOW: "30" });
  try {
    // implemented since issue 10 (docs/sessions.md): read, no warning
    assert.doesNotMatch(own.stderr(), /--grace is not implemented/);
    assert.doesNotMatch(own.stderr(), /--recovery-window is not implemented/);
  } finally {
    await own.stop();
  }
  // TLS is built in (docs/tls.md, notifier-tls.test.mjs): half of it refuses to start
  // rather than serve plain http
  assert.throws(() => execFileSync(process.env.RC_NOTIFIER, ["--tls-cert", "/nonexistent.pem"], { stdio: "pipe" }),
    (e) => e.status === 2 && /--tls-cert and --tls-key go together: --tls-key is missing/.test(e.stderr.toString()));
});

test("a bad option value is refused with exit status 2", () => {
  assert.throws(() => execFileSync(process.env.RC_NOTIFIER, ["--ping-interval", "soon"], { stdio: "pipe" }), (e) => {
    assert.equal(e.status, 2);
    assert.match(e.stderr.toString(), /ping-interval/);
    return true;
  });
});

test("an HTTP connection idle or stuck in an incomplete request is closed after --http-idle-timeout", async () => {
  const own = await startNotifier(["--http-idle-timeout", "400"]);
  const net = await import("node:net");
  try {
    const closedAfter = (payload) =>
      new Promise((resolve) => {
        const t0 = Date.now();
        const s = net.connect(own.port, "127.0.0.1", () => s.write(payload));
        s.on("data", () => {});
        s.on("close", () => resolve(Date.now() - t0));
        s.on("error", () => {});
        setTimeout(() => s.destroy(), 5000);
      });
    const [slowloris, keepalive] = await Promise.all([
      closedAfter("GET /healthz HTTP/1.1\r\nHost: x\r\n"),
      closedAfter("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"),
    ]);
    for (const ms of [slowloris, keepalive]) assert.ok(ms >= 350 && ms < 2500, `closed after ${ms} ms`);
  } finally {
    await own.stop();
  }
});

test("--log-format json writes one JSON object per line, at the chosen level", async () => {
  const own = await startNotifier(["--log-format", "json", "--log-level", "debug"]);
  try {
    const c = io(own.url, { transports: ["websocket"], reconnection: false, forceNew: true, auth: { token } });
    await once(c, "connect");
    c.close();
    await sleep(100);
  } finally {
    await own.stop("SIGTERM");
  }
  const lines = own.stderr().trim().split("\n");
  const parsed = lines.map((l) => JSON.parse(l));
  assert.ok(parsed.every((o) => typeof o.ts === "string" && typeof o.msg === "string"));
  assert.ok(parsed.some((o) => o.level === "debug"), "debug lines at --log-level debug");
  assert.ok(parsed.some((o) => o.level === "info" && /listening/.test(o.msg)));
});

test("/engine.io/ echo exists only in conformance mode", async () => {
  assert.equal((await fetch(`${srv.url}/engine.io/?EIO=4&transport=polling`)).status, 404);
  const own = await startNotifier(["--conformance"]);
  try {
    const hs = await (await fetch(`${own.url}/engine.io/?EIO=4&transport=polling`)).text();
    const { sid } = JSON.parse(hs.slice(1));
    const q = `${own.url}/engine.io/?EIO=4&transport=polling&sid=${sid}`;
    assert.equal(await (await fetch(q, { method: "POST", body: "4hello\x1ebAQID" })).text(), "ok");
    assert.equal(await (await fetch(q)).text(), "4hello\x1ebAQID");
  } finally {
    await own.stop();
  }
});

test("options come from ROOMCAST_* environment variables, and the command line wins", async () => {
  const own = await startNotifier(["--namespaces", "/a,/b"], { ROOMCAST_NAMESPACES: "/env", ROOMCAST_CONNECT_TIMEOUT: "5000" });
  const envOnly = await startNotifier([], { ROOMCAST_NAMESPACES: "/env" });
  try {
    const connects = async (url) => {
      const c = io(url, { transports: ["websocket"], reconnection: false, forceNew: true, auth: { token } });
      const [event, arg] = await Promise.race([
        once(c, "connect").then(() => ["connect"]),
        once(c, "connect_error").then(([e]) => ["error", e.message]),
      ]);
      c.close();
      return event === "connect" ? true : arg;
    };
    assert.equal(await connects(own.url + "/a"), true);
    assert.equal(await connects(own.url + "/b"), true);
    assert.equal(await connects(own.url + "/env"), "Invalid namespace");
    assert.equal(await connects(own.url + "/"), "Invalid namespace");
    assert.equal(await connects(envOnly.url + "/env"), true);
    assert.equal(await connects(envOnly.url + "/notifications"), "Invalid namespace");
  } finally {
    await own.stop();
    await envOnly.stop();
  }
});
