// notifier-fanout-scale.test.mjs — issue 9 "Show": fan-out correctness at scale. Each event
// is encoded once into a shared, reference-counted frame that every recipient's queue
// points to (WebSocket: the whole message; long polling: its Engine.IO bytes); these tests
// check that the sharing never loses, repeats or reorders anything:
//  1. 5,000 WebSocket sockets in one tenant room, held by two load processes, 100 events
//     from SQL (in bursts of 10 per transaction): every socket gets every event exactly
//     once, in order, with its rising offset argument.
//  2. One broadcast stream to a mix of recipients: WebSocket and long polling get every event
//     once, in order; raw Engine.IO clients that connect over polling and upgrade to
//     WebSocket in the middle of the stream (events meanwhile wait in the session's queue as
//     references to the shared frames, then move to the WebSocket) get every event once,
//     in order, across the upgrade.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { startNotifier } from "./lib/notifier.mjs";
import { createDb } from "./lib/db.mjs";
import { connect as rawWs } from "./lib/rawws.mjs";

const LOAD = fileURLToPath(new URL("./lib/fanclients.mjs", import.meta.url));
let db, srv, tenant, user, emitter;

before(async () => {
  db = await createDb("rc_e2e_fanout_scale");
  tenant = await db.addTenant("fanscale");
  user = await db.addUser(tenant, "load@fs.test");
  emitter = await db.addUser(tenant, "emit@fs.test");
  srv = await startNotifier(["--db", db.conninfo, "--max-conns-per-user", "6000"]);
});

after(async () => {
  await srv?.stop();
  await db?.close();
});

// A load process of n sockets over transport expecting `expect` events; resolves once
// connected: { child, result() } where result() waits for (or asks for) its report
async function startLoad(n, transport, expect) {
  const token = await db.token(tenant, user);
  const child = spawn(process.execPath, [LOAD, srv.url, token, String(n), transport, String(expect)], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  child.exited = once(child, "exit");
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  for (let i = 0; i < 2400 && !/ready \d+/.test(out); i++) {
    if (child.exitCode !== null) throw new Error(`load process exited ${child.exitCode}`);
    await sleep(50);
  }
  const m = /ready (\d+) (\d+)/.exec(out);
  assert.ok(m, `load process (${transport}) never got ready`);
  assert.equal(Number(m[1]), n, `all ${n} ${transport} sockets connected`);
  return {
    child,
    upgraded: Number(m[2]),
    async result(ms) {
      for (let i = 0; i < ms / 50 && !out.includes("result "); i++) await sleep(50);
      if (!out.includes("result ")) {
        child.stdin.write("report\n");
        for (let i = 0; i < 100 && !out.includes("result "); i++) await sleep(50);
      }
      const line = out.split("\n").find((l) => l.startsWith("result "));
      child.kill("SIGKILL");
      await child.exited;
      assert.ok(line, `load process (${transport}) reported`);
      return JSON.parse(line.slice(7));
    },
  };
}

// Emit events 0..count-1 to the tenant room, `perTxn` per transaction
async function emitFan(count, perTxn, pad) {
  const c = new pg.Client({ database: db.name });
  await c.connect();
  try {
    for (let i = 0; i < count; i += perTxn) {
      await c.query("BEGIN");
      await c.query("SELECT roomcast.set_identity($1, $2, 'member')", [tenant, emitter]);
      for (let k = i; k < Math.min(count, i + perTxn); k++)
        await c.query("SELECT roomcast.emit_to_tenant('fan', $1::jsonb)", [JSON.stringify({ i: k, pad })]);
      await c.query("COMMIT");
    }
  } finally {
    await c.end();
  }
}

async function metric(name) {
  const m = await (await fetch(`${srv.url}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\d+)`, "m").exec(m)?.[1]);
}

test("5,000 sockets in one room across two load processes, 100 events: each once, in order", { timeout: 600000 }, async () => {
  const N = 5000;
  const EVENTS = 100;
  const loads = [];
  for (let p = 0; p < 2; p++) loads.push(await startLoad(N / 2, "websocket", EVENTS));
  assert.equal(await metric("roomcast_sockets"), N, "the notifier holds every socket");
  const deliveries0 = await metric("roomcast_deliveries_total");
  await emitFan(EVENTS, 10, "x".repeat(100));
  const results = [];
  for (const l of loads) results.push(await l.result(240000));
  for (const [p, r] of results.entries()) {
    assert.deepEqual(r.bad, [], `process ${p}: sockets that missed, repeated or reordered events`);
    assert.equal(r.exact, N / 2, `process ${p}: every socket got events 0..${EVENTS - 1} exactly once, in order`);
    assert.equal(r.offsetsOk, N / 2, `process ${p}: every event carried its rising offset`);
  }
  const deliveries = (await metric("roomcast_deliveries_total")) - deliveries0;
  assert.equal(deliveries, N * EVENTS, "the notifier counted one delivery per socket and event");
  assert.equal(srv.proc.exitCode, null, "the notifier is up");
  console.log(`# fan-out: ${N} sockets x ${EVENTS} events = ${deliveries} deliveries, all exactly once and in order`);
});

// The "fan" events' i in an Engine.IO text packet ("42[\"fan\",{...},\"pos\"]"), or null
function fanIndex(pkt) {
  if (!pkt.startsWith('42["fan"')) return null;
  return JSON.parse(pkt.slice(2))[1].i;
}

// A raw Engine.IO client over polling, connected with token (its "connected" event read)
async function rawConnect(token) {
  const base = `${srv.url}/socket.io/?EIO=4&transport=polling`;
  const open = await (await fetch(base)).text();
  const sid = JSON.parse(open.slice(1)).sid;
  const url = `${base}&sid=${sid}`;
  await fetch(url, { method: "POST", body: `40${JSON.stringify({ token })}` });
  for (let n = 0; n < 20; n++) {
    const body = await (await fetch(url)).text();
    if (body.split("\x1e").some((p) => p.startsWith('42["connected"'))) return { sid, url, got: [] };
  }
  throw new Error("raw client: no connected event");
}

// Poll until `before` events came, then upgrade: probe, `hold` ms with the probe answered
// while events queue in the session, then "5"; read the WebSocket until event last()-1
// (last() is 0 until the count is known). Resolves to every event's i, in arrival order.
async function pollThenUpgrade(cl, before, hold, last) {
  const { sid, url, got } = cl;
  const take = (body) => {
    for (const pkt of body.split("\x1e")) {
      const i = fanIndex(pkt);
      if (i !== null) got.push(i);
    }
  };
  while (got.length < before) take(await (await fetch(url)).text());
  // a GET held while the probe runs: the server ends it with a noop when the probe is answered
  const held = fetch(url).then((r) => r.text());
  const ws = await rawWs(srv.port, `/socket.io/?EIO=4&transport=websocket&sid=${sid}`);
  ws.send("2probe");
  assert.equal(await ws.next(), "3probe");
  take(await held);
  await sleep(hold); // events arrive meanwhile: queued in the session
  ws.send("5");
  for (;;) {
    if (last() > 0 && got.length && got[got.length - 1] >= last() - 1) break;
    const m = await Promise.race([ws.next(), sleep(5000).then(() => null)]);
    if (m === null) break;
    if (m === "2") ws.send("3");
    const i = fanIndex(m);
    if (i !== null) got.push(i);
  }
  ws.close();
  return got;
}

test("one broadcast stream to WebSocket, long-polling and upgrading recipients alike", { timeout: 300000 }, async () => {
  const ws = await startLoad(150, "websocket", 0);
  const polling = await startLoad(150, "polling", 0);
  const token = await db.token(tenant, user);
  const RAW = 20;
  const rawClients = [];
  for (let k = 0; k < RAW; k++) rawClients.push(await rawConnect(token));
  // the stream: one event per transaction, 5 ms apart, until the raw clients have upgraded
  // (each after 2 to 6 events), then 20 more
  let total = 0;
  let stop = -1;
  const emitting = (async () => {
    const c = new pg.Client({ database: db.name });
    await c.connect();
    try {
      for (let i = 0; stop < 0 || i < stop; i++) {
        await c.query("BEGIN");
        await c.query("SELECT roomcast.set_identity($1, $2, 'member')", [tenant, emitter]);
        await c.query("SELECT roomcast.emit_to_tenant('fan', $1::jsonb)", [JSON.stringify({ i, pad: "y".repeat(300) })]);
        await c.query("COMMIT");
        total = i + 1;
        await sleep(5);
        if (i > 2000) throw new Error("the upgrading clients never got going");
      }
    } finally {
      await c.end();
    }
  })();
  const raws = [];
  for (let k = 0; k < RAW; k++) raws.push(pollThenUpgrade(rawClients[k], 2 + (k % 5), 20 + 10 * (k % 4), () => (stop > 0 ? stop : 0)));
  // 120 events (about 1 s) cover every upgrade; then 20 more
  while (stop < 0) {
    await sleep(50);
    if (total > 120) stop = total + 20;
  }
  await emitting;
  const rawGot = await Promise.all(raws);
  for (const l of [ws, polling]) l.child.stdin.write(`expect ${total}\n`);
  for (const [name, l] of [["websocket", ws], ["polling", polling]]) {
    const r = await l.result(60000);
    assert.deepEqual(r.bad, [], `${name}: sockets that missed, repeated or reordered events`);
    assert.equal(r.exact, 150, `${name}: all 150 sockets got all ${total} events once, in order`);
  }
  for (const [k, g] of rawGot.entries())
    assert.deepEqual(g, [...Array(total).keys()], `raw client ${k} (upgraded after ${2 + (k % 5)} events): every event once, in order`);
  console.log(`# mixed fan-out: 150 WebSocket, 150 polling, ${RAW} polling then upgrading mid-stream x ${total} events, each once and in order`);
  assert.equal(srv.proc.exitCode, null, "the notifier is up");
});

test("a recipient that stops reading a broadcast stream is closed as a slow consumer; the others get everything", { timeout: 300000 }, async () => {
  // its own notifier with a small bound, so that a few MB of events cross it
  const own = await startNotifier(["--db", db.conninfo, "--max-buffered", "65536"]);
  try {
    const token = await db.token(tenant, user);
    const open = async () => {
      const ws = await rawWs(own.port, "/socket.io/?EIO=4&transport=websocket");
      assert.match(await ws.next(), /^0\{/);
      ws.send(`40${JSON.stringify({ token })}`);
      for (;;) {
        const m = await ws.next();
        if (m === null) throw new Error("closed before connected");
        if (m.startsWith('42["connected"')) return ws;
      }
    };
    const reader = await open();
    const stalled = await open();
    stalled.pause(); // never reads again: the kernel's buffers fill, then the notifier's queue
    const got = [];
    const reading = (async () => {
      for (;;) {
        const m = await reader.next();
        if (m === null) return;
        if (m === "2") reader.send("3");
        const i = fanIndex(m);
        if (i !== null) got.push(i);
      }
    })();
    const EVENTS = 400;
    await emitFan(EVENTS, 20, "s".repeat(20000)); // 8 MB to each socket
    for (let i = 0; i < 200 && got.length < EVENTS; i++) await sleep(50);
    assert.deepEqual(got, [...Array(EVENTS).keys()], "the reading socket got every event once, in order");
    const m = await (await fetch(`${own.url}/metrics`)).text();
    const slow = Number(/^roomcast_drops_total\{reason="slow_consumer"\} (\d+)$/m.exec(m)[1]);
    assert.equal(slow, 1, "the socket that stopped reading was closed as a slow consumer");
    assert.equal(Number(/^roomcast_sockets (\d+)/m.exec(m)[1]), 1, "only the reader is left");
    console.log("SECURITY|notifier/fan-out|a tenant-room socket that stops reading during an 8 MB broadcast stream (shared frames)|closed as a slow consumer at --max-buffered 64 KiB, each queued frame counted whole; the reader got all 400 events");
    reader.close();
    stalled.close();
    await reading;
  } finally {
    await own.stop();
  }
});
