// test/cluster/cluster.test.mjs — several notifiers behind HAProxy, the rpc pool through
// pgbouncer in transaction mode (issue 12, SPEC §10; suite 50-cluster).
//
// Topology, all on loopback ports of the test run: the private PostgreSQL and Redis of
// test/run; pgbouncer from examples/cluster/pgbouncer.ini with default_pool_size=1 (every
// transaction of the rpc pools shares ONE server connection); two notifiers with the same
// --db (listener, direct), --rpc-db through pgbouncer and the same --redis; HAProxy from
// examples/cluster/haproxy.cfg in front. Asserts: long-polling clients keep their instance
// (the SERVERID cookie, each instance's /metrics); WebSocket clients land on both; one event
// from SQL reaches every socket on both instances exactly once; user-joined / user-left
// cross instances (and forged relay messages are not told); a revocation reaches both
// instances; through pgbouncer no identity
// leaks from one transaction to the next; kill -9 of one instance: its clients reconnect
// through HAProxy to the other and recover every missed event, once, in order.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { readFileSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { io } from "socket.io-client";
import { createDb } from "../e2e/lib/db.mjs";
import { startNotifier, freePort } from "../e2e/lib/notifier.mjs";
import { waitFor } from "../e2e/lib/sockets.mjs";

const root = process.env.RC_ROOT;
const dir = `${process.env.RC_TMP}/cluster-test`;
let db, tA, tB, a1, a2, b1, bouncerPort, bouncerPid, haproxy, front, stats;
const nodes = {}; // n1, n2: startNotifier results
const socks = [];

// examples/cluster/* with the @NAME@ markers replaced
const template = (file, values) =>
  Object.entries(values).reduce((s, [k, v]) => s.replaceAll(`@${k}@`, String(v)), readFileSync(`${root}/examples/cluster/${file}`, "utf8"));
const asPg = (cmd) => (process.getuid() === 0 ? ["runuser", ["-u", process.env.RC_PG_OSUSER || "postgres", "--", ...cmd]] : [cmd[0], cmd.slice(1)]);

async function metrics(n) {
  const text = await (await fetch(`${nodes[n].url}/metrics`)).text();
  const get = (re) => Number((text.match(re) || [])[1] ?? NaN);
  return {
    polling: get(/^roomcast_connections\{transport="polling"\} (\d+)/m),
    websocket: get(/^roomcast_connections\{transport="websocket"\} (\d+)/m),
  };
}

async function until(fn, ms, what) {
  const t0 = Date.now();
  for (;;) {
    if (await fn()) return Date.now() - t0;
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms: ${typeof what === "function" ? what() : what}`);
    await sleep(50);
  }
}

// A client through HAProxy (or url); keeps cookies (withCredentials) like a browser
async function client(token, { url = front, transports = ["websocket"], reconnection = false, nsp = "" } = {}) {
  const socket = io(url + nsp, {
    transports,
    withCredentials: true,
    forceNew: true,
    reconnection,
    reconnectionDelay: 300,
    reconnectionDelayMax: 300,
    randomizationFactor: 0,
    auth: { token },
  });
  socks.push(socket);
  const events = [];
  socket.onAny((name, ...args) => events.push([name, ...args]));
  await new Promise((resolve, reject) => {
    socket.once("connected", resolve);
    socket.once("connect_error", reject);
  });
  return { socket, events };
}
const ask = (c, ...args) => c.socket.timeout(10000).emitWithAck(...args);
const cookieOf = (c) => c.socket.io.engine._cookieJar?._cookies.get("SERVERID")?.value;

// emit from SQL as an application does: through pgbouncer, one transaction
async function emitVia(port, tenant, user, room, name, data) {
  const c = new pg.Client({ host: "127.0.0.1", port, database: db.name, user: "postgres" });
  await c.connect();
  try {
    await c.query("BEGIN");
    await c.query("SELECT roomcast.set_identity($1, $2, 'member')", [tenant, user]);
    await c.query("SELECT roomcast.emit($1, $2, $3::jsonb)", [room, name, JSON.stringify(data)]);
    await c.query("COMMIT");
  } finally {
    await c.end();
  }
}

before(async () => {
  mkdirSync(dir, { recursive: true });
  db = await createDb("rc_e2e_cluster");
  tA = await db.addTenant("cluster-a");
  tB = await db.addTenant("cluster-b");
  a1 = await db.addUser(tA, "a1@cluster.test");
  a2 = await db.addUser(tA, "a2@cluster.test");
  b1 = await db.addUser(tB, "b1@cluster.test");
  await db.sql("SELECT roomcast.register_room_kind('doc')");
  await db.sql("CREATE SCHEMA app");
  await db.sql(`CREATE FUNCTION app.whoami(args jsonb) RETURNS jsonb LANGUAGE sql AS $$
      SELECT jsonb_build_object('tenant', roomcast.current_tenant(), 'user', roomcast.current_user_id(), 'n', args->'n') $$`);
  await db.sql("GRANT USAGE ON SCHEMA app TO rc_e2e_notifier");
  await db.sql("GRANT EXECUTE ON FUNCTION app.whoami(jsonb) TO rc_e2e_notifier");
  await db.sql("SELECT roomcast.register_method('whoami', 'app.whoami(jsonb)')");

  // pgbouncer, transaction mode, ONE server connection per (database, user)
  bouncerPort = await freePort();
  writeFileSync(`${dir}/users.txt`, '"postgres" ""\n"rc_e2e_notifier" ""\n');
  writeFileSync(`${dir}/pgbouncer.ini`, template("pgbouncer.ini", {
    DB: db.name, PGHOST: "127.0.0.1", PGPORT: process.env.PGPORT, PORT: bouncerPort, DIR: dir, POOL: 1,
  }));
  if (process.getuid() === 0) execFileSync("chown", ["-R", process.env.RC_PG_OSUSER || "postgres", dir]);
  const [cmd, args] = asPg(["pgbouncer", "-d", `${dir}/pgbouncer.ini`]);
  execFileSync(cmd, args);
  await until(() => existsSync(`${dir}/pgbouncer.pid`) && readFileSync(`${dir}/pgbouncer.pid`, "utf8").trim() !== "", 5000, "pgbouncer pid");
  bouncerPid = Number(readFileSync(`${dir}/pgbouncer.pid`, "utf8"));

  const pooled = `host=127.0.0.1 port=${bouncerPort} dbname=${db.name} user=rc_e2e_notifier`;
  for (const n of ["n1", "n2"])
    nodes[n] = await startNotifier(["--db", db.conninfo, "--rpc-db", pooled, "--redis", process.env.RC_REDIS_URL,
      "--rate", "0", "--ping-interval", "1000", "--ping-timeout", "2000"]);

  const fport = await freePort();
  const sport = await freePort();
  writeFileSync(`${dir}/haproxy.cfg`, template("haproxy.cfg", {
    FRONT: `127.0.0.1:${fport}`, N1: `127.0.0.1:${nodes.n1.port}`, N2: `127.0.0.1:${nodes.n2.port}`, STATS: `127.0.0.1:${sport}`,
  }));
  haproxy = spawn("haproxy", ["-db", "-f", `${dir}/haproxy.cfg`], { stdio: ["ignore", "ignore", "pipe"] });
  let hlog = "";
  haproxy.stderr.on("data", (d) => (hlog += d));
  front = `http://127.0.0.1:${fport}`;
  stats = `http://127.0.0.1:${sport}/;csv`;
  // both servers UP in HAProxy's health checks (option httpchk GET /healthz)
  // (30 s: the checks need 2 × 1 s when idle, but a loaded 2-core machine delays the first)
  let lastCsv = "";
  await until(async () => {
    try {
      const csv = (lastCsv = await (await fetch(stats)).text());
      return /^notifiers,n1,.*,UP,/m.test(csv) && /^notifiers,n2,.*,UP,/m.test(csv);
    } catch (e) {
      lastCsv = String(e);
      return false;
    }
  }, 30000, () => `haproxy sees both notifiers UP; haproxy: ${hlog.slice(-300)}; stats: ${lastCsv.split("\n").filter((l) => l.startsWith("notifiers")).join(" | ").slice(0, 600)}; n1: ${nodes.n1.stderr().slice(-300)}; n2: ${nodes.n2.stderr().slice(-300)}`);
});

after(async () => {
  for (const s of socks) s.close();
  haproxy?.kill("SIGTERM");
  for (const n of Object.values(nodes)) await n.stop();
  if (bouncerPid) try { process.kill(bouncerPid, "SIGTERM"); } catch { /* gone */ }
  await db?.close();
});

test("long-polling clients stay on their instance for the whole session (SERVERID cookie, /metrics)", async () => {
  const tok = await db.token(tA, a1);
  const cs = [];
  for (let i = 0; i < 6; i++) cs.push(await client(tok, { transports: ["polling"] }));
  const sids = cs.map((c) => c.socket.io.engine.id);
  const cookies = cs.map(cookieOf);
  for (const ck of cookies) assert.match(ck ?? "", /^n[12]$/, "HAProxy set SERVERID on the handshake");
  // --ping-interval 1000: every session makes several more GET/POST requests meanwhile
  await sleep(3500);
  for (const [i, c] of cs.entries()) {
    assert.equal(c.socket.connected, true, "still connected");
    assert.equal(c.socket.io.engine.id, sids[i], "the same Engine.IO session");
    assert.equal(c.socket.io.engine.transport.name, "polling");
    assert.ok(!c.events.some((e) => e[0] === "disconnect"));
    assert.equal((await ask(c, "rooms")).length, 2, "requests keep working");
  }
  const m1 = await metrics("n1");
  const m2 = await metrics("n2");
  assert.equal(m1.polling, cookies.filter((c) => c === "n1").length, "n1 holds the sessions whose cookie says n1");
  assert.equal(m2.polling, cookies.filter((c) => c === "n2").length, "n2 holds the others");
  console.log(`polling: ${m1.polling} sessions on n1, ${m2.polling} on n2, each stayed on its instance`);
  for (const c of cs) c.socket.close();
  await until(async () => (await metrics("n1")).polling + (await metrics("n2")).polling === 0, 5000, "polling sessions closed");
});

test("WebSocket clients land on both instances; one event from SQL reaches every socket exactly once", async () => {
  const tok = await db.token(tA, a1);
  const cs = [];
  await until(async () => (await metrics("n1")).polling + (await metrics("n2")).polling === 0, 5000, "earlier sessions closed");
  for (let i = 0; i < 8; i++) cs.push(await client(tok));
  for (let i = 0; i < 2; i++) cs.push(await client(tok, { transports: ["polling", "websocket"] })); // upgrade via the cookie
  const m1 = await metrics("n1");
  const m2 = await metrics("n2");
  assert.ok(m1.websocket > 0 && m2.websocket > 0, `both instances hold WebSocket clients (${m1.websocket}/${m2.websocket})`);
  for (const c of cs) assert.equal((await ask(c, "join", { kind: "doc", id: "1" })).success, true);
  await until(() => cs.every((c) => c.socket.io.engine.transport.name === "websocket"), 5000, "upgraded");
  assert.equal(m1.websocket + m2.websocket + m1.polling + m2.polling, 10);
  await emitVia(bouncerPort, tA, a1, "tenant:" + tA + ":doc:1", "e-once", { n: 1 });
  for (const c of cs) await waitFor(c.events, (e) => e[0] === "e-once", 5000);
  await sleep(300);
  for (const c of cs) assert.equal(c.events.filter((e) => e[0] === "e-once").length, 1, "exactly once");
  console.log(`fan-out: ${m1.websocket + m1.polling} sockets on n1, ${m2.websocket + m2.polling} on n2, each got the event once`);
  for (const c of cs) c.socket.close();
});

// roomcast_presence_relay_{published,received,dropped}_total of one instance
async function relay(node) {
  const body = await (await fetch(`${node.url}/metrics`)).text();
  const v = (k) => Number(body.match(new RegExp(`^roomcast_presence_relay_${k}_total (\\d+)$`, "m"))?.[1]);
  return { published: v("published"), received: v("received"), dropped: v("dropped") };
}

test("user-joined and user-left cross instances, within the tenant only; forged relay messages are not told", async () => {
  const room = `tenant:${tA}:doc:9`;
  const r1 = await relay(nodes.n1), r2 = await relay(nodes.n2);
  const X = await client(await db.token(tA, a1), { url: nodes.n1.url });
  const Y = await client(await db.token(tA, a2), { url: nodes.n2.url });
  const Z = await client(await db.token(tB, b1), { url: nodes.n2.url });
  assert.equal((await ask(X, "join", { kind: "doc", id: "9" })).success, true);
  assert.equal((await ask(Z, "join", { kind: "doc", id: "9" })).success, true); // tenant B's doc:9
  // the relay is asynchronous: X's join may reach n2 after a join made there right away, which
  // would then be told of X (correctly: X is in the room); let it arrive first
  await sleep(500);
  assert.equal((await ask(Y, "join", { kind: "doc", id: "9" })).success, true);
  const uj = await waitFor(X.events, (e) => e[0] === "user-joined" && e[1].userId === a2);
  assert.equal(uj[1].room, room);
  assert.equal(uj[1].email, `${a2.slice(0, 8)}@e2e.test`);
  const yj = await waitFor(Y.events, (e) => e[0] === "user-joined" && e[1].userId === a1, 500).catch(() => null);
  assert.equal(yj, null, "X joined before Y: Y is not told of it");
  assert.equal((await ask(Y, "leave", { kind: "doc", id: "9" })).success, true);
  await waitFor(X.events, (e) => e[0] === "user-left" && e[1].userId === a2 && e[1].room === room);
  assert.equal((await ask(Y, "join", { kind: "doc", id: "9" })).success, true);
  await until(() => X.events.filter((e) => e[0] === "user-joined").length === 2, 3000, "second user-joined");
  Y.socket.close(); // disconnect on n2: user-left on n1
  await until(() => X.events.filter((e) => e[0] === "user-left").length === 2, 3000, "user-left on disconnect");
  await sleep(200);
  assert.equal(X.events.filter((e) => e[0] === "user-joined").length, 2, "each join told once");
  assert.ok(!Z.events.some((e) => e[0] === "user-joined" || e[0] === "user-left"), "tenant B's socket in its own doc:9 hears nothing of tenant A");
  console.log("SECURITY|notifier/presence relay|a join in tenant A's doc:9 on instance 1|told to tenant A's doc:9 on instance 2 only, never to tenant B's doc:9");

  // the joins and leaves made on n2 were published there and received on n1
  const r1b = await relay(nodes.n1), r2b = await relay(nodes.n2);
  assert.ok(r2b.published - r2.published >= 4, `n2 published its joins and leaves (+${r2b.published - r2.published})`);
  assert.ok(r1b.received - r1.received >= r2b.published - r2.published, `n1 received them (+${r1b.received - r1.received})`);
  assert.equal(r1b.dropped, r1.dropped, "nothing well-formed dropped");
  // hostile messages on the relay channels (whoever reaches Redis): none is told to X
  const redis = (...a) => execFileSync("redis-cli", ["-p", process.env.RC_REDIS_PORT, ...a]).toString().trim();
  const ch = `rc:presence-ev:${room}`;
  const before = X.events.length;
  const forged = [
    [ch, `j|other|/|not-a-uuid|x@y`],
    [ch, `j|other|/|${b1}|bad\u0001email`],
    [ch, `j|other|/nope|${b1}|x@y`],
    [ch, `x|other|/|${b1}|x@y`],
    [ch, `j|other|/|${b1}|${"e".repeat(2000)}`],
    [`rc:presence-ev:tenant:${tA}`, `j|other|/|${b1}|x@y`],
    [`rc:presence-ev:tenant:${tA}:user:${a1}`, `j|other|/|${b1}|x@y`],
    [`rc:presence-ev:tenant:${tA}:doc:9:extra`, `j|other|/|${b1}|x@y`],
  ];
  for (const [c, m] of forged) redis("publish", c, m);
  await sleep(300);
  assert.equal(X.events.length, before, `no forged message told: ${JSON.stringify(X.events.slice(before)).slice(0, 200)}`);
  console.log("SECURITY|notifier/presence relay|PUBLISH with a bad userId, control characters, unknown namespace or event, 2000-byte email, tenant/user/malformed room channel|dropped, nothing told");
  // a well-formed message is told: the relay is what the above exercised
  redis("publish", ch, `j|other|/|${b1}|z@y`);
  await waitFor(X.events, (e) => e[0] === "user-joined" && e[1].email === "z@y");
  const r1c = await relay(nodes.n1);
  assert.deepEqual({ received: r1c.received - r1b.received, dropped: r1c.dropped - r1b.dropped },
    { received: forged.length + 1, dropped: forged.length }, "n1 counts the forged messages received and dropped, the good one received");
  for (const c of [X, Z]) c.socket.close();
});

test("through pgbouncer (transaction mode, one server connection) identity never outlives its transaction", async () => {
  const tokA = await db.token(tA, a1);
  const conn = () => new pg.Client({ host: "127.0.0.1", port: bouncerPort, database: db.name, user: "rc_e2e_notifier" });
  const c1 = conn();
  const c2 = conn();
  await c1.connect();
  await c2.connect();
  try {
    await c1.query("BEGIN");
    const who = await c1.query("SELECT roomcast.authenticate($1) IS NOT NULL AS ok, roomcast.current_tenant()::text AS t, pg_backend_pid() AS pid", [tokA]);
    assert.equal(who.rows[0].t, tA);
    await c1.query("COMMIT");
    // the next transaction, another client, the same server connection (default_pool_size=1)
    const pid2 = (await c2.query("SELECT pg_backend_pid() AS pid")).rows[0].pid;
    assert.equal(pid2, who.rows[0].pid, "pgbouncer reused the server connection");
    await assert.rejects(c2.query("SELECT roomcast.current_tenant()"), (e) => /RC401/.test(e.code + e.message), "RC401");
    await assert.rejects(c2.query("SELECT roomcast.current_user_id()"), (e) => /RC401/.test(e.code + e.message), "RC401");
    const rls = await c2.query("SELECT count(*)::int AS n FROM roomcast.users").catch((e) => ({ error: e.message }));
    assert.ok(rls.error || rls.rows[0].n === 0, `sees no users: ${JSON.stringify(rls.rows ?? rls)}`);
    // a session-level identity is what would leak: roomcast never sets one (is_local)
    const leaked = await c2.query("SELECT current_setting('roomcast.identity', true) AS t");
    assert.ok(!leaked.rows[0].t, `no tenant setting left on the server connection: ${leaked.rows[0].t}`);
    console.log("SECURITY|pgbouncer/identity|authenticate as tenant A then a transaction without authenticate on the same server connection|RC401, no rows, no setting left");
  } finally {
    await c1.end();
    await c2.end();
  }
});

test("rpc pools of both instances through one pgbouncer server connection: two tenants interleaving, every reply is the caller's", async () => {
  for (let i = 0; i < 3; i++) await db.asTenant(tA, a1, (q) => q("SELECT roomcast.send_in_app($1, 'mention', 'Hi')", [a1]));
  for (let i = 0; i < 5; i++) await db.asTenant(tB, b1, (q) => q("SELECT roomcast.send_in_app($1, 'mention', 'Hi')", [b1]));
  const A = [await client(await db.token(tA, a1), { url: nodes.n1.url }), await client(await db.token(tA, a1), { url: nodes.n2.url })];
  const B = [await client(await db.token(tB, b1), { url: nodes.n1.url }), await client(await db.token(tB, b1), { url: nodes.n2.url })];
  const calls = [];
  const t0 = Date.now();
  for (let n = 0; n < 150; n++)
    for (const [c, tenant, user, count] of [[A[n % 2], tA, a1, 3], [B[n % 2], tB, b1, 5]]) {
      calls.push(ask(c, "whoami", { n }).then((r) => ({ r, tenant, user, n, kind: "whoami" })));
      if (n % 10 === 0) calls.push(ask(c, "get_unread_count").then((r) => ({ r, count, kind: "unread" })));
    }
  const replies = await Promise.all(calls);
  let whoami = 0;
  for (const x of replies) {
    if (x.kind === "unread") assert.deepEqual(x.r, { count: x.count }, "unread count of the caller's tenant");
    else {
      whoami++;
      assert.deepEqual(x.r, { tenant: x.tenant, user: x.user, n: x.n }, "the caller's identity");
    }
  }
  // pgbouncer's admin console: the server connections behind both rpc pools (8 client connections)
  const admin = new pg.Client({ host: "127.0.0.1", port: bouncerPort, database: "pgbouncer", user: "postgres" });
  await admin.connect();
  const servers = (await admin.query({ text: "SHOW SERVERS", queryMode: "simple" })).rows.filter((r) => r.database === db.name && r.user === "rc_e2e_notifier");
  const clients = (await admin.query({ text: "SHOW CLIENTS", queryMode: "simple" })).rows.filter((r) => r.database === db.name && r.user === "rc_e2e_notifier");
  await admin.end();
  assert.ok(servers.length <= 1, `one server connection (default_pool_size=1): ${servers.length}`);
  assert.ok(clients.length >= 8, `both rpc pools connect through pgbouncer: ${clients.length} clients`);
  console.log(`rpc through pgbouncer: ${replies.length} replies (${whoami} whoami) from ${clients.length} client connections multiplexed on ${servers.length} server connection in ${Date.now() - t0} ms; every one the caller's`);
  console.log("SECURITY|pgbouncer/rpc pool|two tenants interleaving 300 requests over one shared server connection|every reply carries the caller's tenant and user");
  for (const c of [...A, ...B]) c.socket.close();
});

test("revoke_sessions from SQL disconnects the user's sockets on both instances, and only those", async () => {
  // a user of its own: revoking a1 or a2 would spoil the other tests' tokens
  const r1 = await db.addUser(tA, "r1@cluster.test");
  const mine = [await client(await db.token(tA, r1), { url: nodes.n1.url }), await client(await db.token(tA, r1), { url: nodes.n2.url })];
  const other = await client(await db.token(tA, a2), { url: nodes.n2.url });
  const reasons = Promise.all(mine.map((c) => new Promise((r) => c.socket.once("disconnect", r))));
  await emitVia(bouncerPort, tA, r1, `tenant:${tA}`, "warm", {}); // both connected and delivering
  await db.asTenant(tA, r1, (q) => q("SELECT roomcast.revoke_sessions($1)", [r1]));
  assert.deepEqual(await reasons, ["io server disconnect", "io server disconnect"]);
  await sleep(200);
  assert.equal(other.socket.connected, true, "another user's socket stays");
  other.socket.close();
});

test("kill -9 of one instance: its clients reconnect through HAProxy to the other and recover every missed event, once, in order", async () => {
  const tok = await db.token(tA, a1);
  const cs = [];
  // the sockets of the earlier tests are gone, so n1's count is exactly ours
  await until(async () => (await metrics("n1")).websocket + (await metrics("n2")).websocket === 0, 5000, "earlier sockets closed");
  for (let i = 0; i < 6; i++) cs.push(await client(tok, { reconnection: true }));
  for (const c of cs) assert.equal((await ask(c, "join", { kind: "doc", id: "5" })).success, true);
  const room = `tenant:${tA}:doc:5`;
  const m1 = await metrics("n1");
  assert.ok(m1.websocket > 0, "n1 holds some of them");
  await emitVia(bouncerPort, tA, a1, room, "e-k", { n: 1 });
  for (const c of cs) await waitFor(c.events, (e) => e[0] === "e-k");
  for (const c of cs) c.socket.once("disconnect", () => (c.dropped = true));
  const reconnected = cs.map((c) => new Promise((r) => c.socket.once("connect", () => r(c.socket.recovered))));
  nodes.n1.proc.kill("SIGKILL");
  await nodes.n1.exited;
  await until(() => cs.filter((c) => c.dropped).length === m1.websocket, 5000, "every client of n1 lost its connection");
  const victims = cs.filter((c) => c.dropped);
  // events while n1 is down (and while its clients reconnect)
  for (let n = 2; n <= 6; n++) await emitVia(bouncerPort, tA, a1, room, "e-k", { n });
  const lost = victims.length;
  const rec = await Promise.all(victims.map((c) => reconnected[cs.indexOf(c)]));
  assert.deepEqual(rec, victims.map(() => true), "socket.recovered on the other instance");
  await emitVia(bouncerPort, tA, a1, room, "e-k", { n: 7 }); // live, on the survivor
  for (const c of cs) await waitFor(c.events, (e) => e[0] === "e-k" && e[1].n === 7, 10000);
  await sleep(300);
  for (const c of cs) assert.deepEqual(c.events.filter((e) => e[0] === "e-k").map((e) => e[1].n), [1, 2, 3, 4, 5, 6, 7], "every event once, in order");
  assert.equal((await metrics("n2")).websocket, cs.length, "all on n2 now");
  console.log(`kill -9 n1: ${lost} of ${cs.length} clients reconnected through HAProxy to n2 and recovered 5 missed events`);
});
