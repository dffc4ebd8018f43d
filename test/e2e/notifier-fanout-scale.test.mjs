// notifier-fanout-scale.test.mjs — issue 9 "Show": fan-out correctness at scale. Each event
// is encoded once into a shared, reference-counted frame that every recipient's queue
// points to (WebSocket: the whole message; long polling: its Engine.IO bytes); these tests
// check that the sharing never loses, repeats or reorders anything:
//  1. 5,000 WebSocket sockets in one tenant room, held by two load processes, 100 events
//     from SQL (in bursts of 10 per transaction): every socket gets every event exactly
//     once, in order, with its rising offset argument.
//  2. One broadcast to a mix of recipients: WebSocket, long polling, and sockets that start
//     polling and upgrade (some mid-upgrade while events arrive): every one gets all of them.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { startNotifier } from "./lib/notifier.mjs";
import { createDb } from "./lib/db.mjs";

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

test("one broadcast to WebSocket, long-polling and upgrading recipients alike", { timeout: 300000 }, async () => {
  const EVENTS = 40;
  const groups = [];
  groups.push(await startLoad(150, "websocket", EVENTS));
  groups.push(await startLoad(150, "polling", EVENTS));
  // started last and not waited for long: some are still upgrading when events arrive
  const up = startLoad(150, "upgrade", EVENTS);
  await sleep(100);
  const emitting = emitFan(EVENTS, 4, "y".repeat(300));
  groups.push(await up);
  await emitting;
  const names = ["websocket", "polling", "upgrade"];
  for (const [g, l] of groups.entries()) {
    const r = await l.result(60000);
    assert.deepEqual(r.bad, [], `${names[g]}: sockets that missed, repeated or reordered events`);
    assert.equal(r.exact, 150, `${names[g]}: all 150 sockets got all ${EVENTS} events once, in order`);
  }
  console.log(`# mixed fan-out: 150 WebSocket, 150 polling, 150 upgrading (${groups[2].upgraded} upgraded when ready) x ${EVENTS} events`);
  assert.equal(srv.proc.exitCode, null, "the notifier is up");
});
