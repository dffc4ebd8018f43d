// notifier-presence.test.mjs — SPEC §7 Presence with the official socket.io-client: two
// notifier instances sharing Redis (the runner's, RC_REDIS_URL) and the database list the users
// of both; kill -9 of one: its users leave presence within --presence-ttl; Redis shut down,
// started again and hung (SIGSTOP) during a session: presence keeps answering from the local
// instance, /healthz says redis down/up, nothing crashes, entries come back; cross-tenant and
// not-joined rooms are FORBIDDEN; GET /presence with and without a Bearer token;
// user-left on disconnect.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { startNotifier } from "./lib/notifier.mjs";
import { createDb } from "./lib/db.mjs";
import { connectAs, waitFor } from "./lib/sockets.mjs";

const TTL = 3;
let db, A, B, tA, tB, a1, a2, a3, b1;
const socks = [];
const redisPort = process.env.RC_REDIS_PORT;
const args = () => ["--db", db.conninfo, "--redis", process.env.RC_REDIS_URL, "--presence-ttl", String(TTL)];

async function as(srv, tenant, user) {
  const c = await connectAs(srv.url, { auth: { token: await db.token(tenant, user) } });
  socks.push(c.socket);
  return c;
}
const ask = (c, ...a) => c.socket.timeout(8000).emitWithAck(...a);
const ids = (list) => list.map((u) => u.userId).sort();
// A listing that shows users: entries written on another instance reach Redis a few ms after
// that instance acked (presence is eventually consistent), so wait up to 2 s for them
async function listing(c, arg, users) {
  let list;
  await until(async () => ids((list = await ask(c, "presence:list", ...(arg ? [arg] : [])))).join() === [...users].sort().join(), 2000,
    `listing ${JSON.stringify(arg)} = ${users}`).catch(() => {});
  assert.deepEqual(ids(list), [...users].sort());
  return list;
}
const health = async (srv) => (await fetch(`${srv.url}/healthz`)).json();
async function until(pred, ms, what) {
  const t0 = Date.now();
  while (!(await pred())) {
    if (Date.now() - t0 > ms)
      throw new Error(`timed out after ${ms} ms: ${what}; notifier A: ${A?.stderr().split("\n").filter((l) => /redis/i.test(l)).slice(-6).join(" / ")}`);
    await sleep(100);
  }
  return Date.now() - t0;
}

// Start Redis again exactly as test/lib/servers.sh rc_redis_start does (same port, options)
function redisStart() {
  const dir = `${process.env.RC_TMP}/redis`;
  execFileSync("redis-server", ["--bind", "127.0.0.1", "--port", redisPort, "--save", "", "--appendonly", "no",
    "--dir", dir, "--daemonize", "yes", "--pidfile", `${dir}/redis.pid`, "--logfile", `${dir}/redis.log`]);
}
const redisCli = (...a) => execFileSync("redis-cli", ["-p", redisPort, ...a]).toString().trim();

before(async () => {
  db = await createDb("rc_e2e_presence");
  tA = await db.addTenant("pres-a");
  tB = await db.addTenant("pres-b");
  a1 = await db.addUser(tA, "a1@pres.test");
  a2 = await db.addUser(tA, "a2@pres.test");
  a3 = await db.addUser(tA, "a3@pres.test");
  b1 = await db.addUser(tB, "b1@pres.test");
  await db.sql("SELECT roomcast.register_room_kind('doc')");
  A = await startNotifier(args());
  B = await startNotifier(args());
  await until(async () => (await health(A)).redis === "up" && (await health(B)).redis === "up", 5000, "redis up");
});

after(async () => {
  for (const s of socks) s.close();
  await A?.stop();
  await B?.stop();
  await db?.close();
});

test("two instances sharing Redis: presence:list lists the users of both, not another tenant's; rooms", async () => {
  const A1 = await as(A, tA, a1);
  const A1b = await as(A, tA, a1); // a second tab: connections 2
  const B2 = await as(B, tA, a2);
  const B3 = await as(B, tB, b1);
  const list = await listing(A1, null, [a1, a2]);
  const me = list.find((u) => u.userId === a1);
  assert.equal(me.connections, 2);
  assert.equal(me.email, `${a1.slice(0, 8)}@e2e.test`);
  assert.ok(me.since > Date.now() - 60000 && me.since <= Date.now());
  await listing(B2, {}, [a1, a2]);
  assert.deepEqual(ids(await ask(B3, "presence:list")), [b1]);
  console.log("SECURITY|notifier/presence|tenant B lists presence with Redis shared by both tenants|only tenant B's users");

  const room = `tenant:${tA}:doc:1`;
  assert.equal((await ask(A1, "join", { kind: "doc", id: "1" })).success, true);
  assert.equal((await ask(B2, "join", { kind: "doc", id: "1" })).success, true);
  await listing(A1, { room }, [a1, a2]);
  const r1b = await ask(A1b, "presence:list", { room });
  assert.equal(r1b.error?.code, "FORBIDDEN", "a room this socket is not in");
  console.log("SECURITY|notifier/presence|presence:list of a room of its tenant the socket did not join|FORBIDDEN");
  const rb = await ask(B3, "presence:list", { room });
  assert.equal(rb.error?.code, "FORBIDDEN");
  console.log("SECURITY|notifier/presence|presence:list of another tenant's room|FORBIDDEN");
  for (const bad of [{ room: `tenant:${tA}:user:${a2}` }, { room: 42 }, { room: "x".repeat(5000) }, { room: `rc:presence:*` }]) {
    const r = await ask(A1, "presence:list", bad);
    assert.equal(r.error?.code, "FORBIDDEN", JSON.stringify(bad).slice(0, 80));
  }
  console.log("SECURITY|notifier/presence|presence:list of a user room, a number, a 5000-byte name, a Redis key pattern|FORBIDDEN; no Redis command");
  assert.equal((await ask(A1, "presence:list", "tenant")).error?.code, "INVALID_ARGUMENT");

  // user-left on disconnect, to the others in the room
  const A3 = await as(A, tA, a3);
  assert.equal((await ask(A3, "join", { kind: "doc", id: "1" })).success, true);
  await waitFor(A1.events, (e) => e[0] === "user-joined" && e[1].userId === a3);
  A3.socket.close();
  const left = await waitFor(A1.events, (e) => e[0] === "user-left" && e[1].userId === a3);
  assert.equal(left[1].room, room);
  assert.ok(left[1].timestamp > 0 && left[1].email);
  await until(async () => !ids(await ask(B2, "presence:list", { room })).includes(a3), 3000, "a3 gone from the room");
  A1b.socket.close();
  await until(async () => (await ask(B2, "presence:list")).find((u) => u.userId === a1)?.connections === 1, 3000, "one tab of a1");
  B3.socket.close();
});

test("GET /presence: 401 without a valid Bearer token; the token's tenant and its rooms only", async () => {
  const tokA = await db.token(tA, a1);
  const tokB = await db.token(tB, b1);
  const get = (srv, q, tok) => fetch(`${srv.url}/presence${q}`, tok ? { headers: { authorization: `Bearer ${tok}` } } : {});
  assert.equal((await get(A, "")).status, 401);
  assert.equal((await get(A, "", tokA.slice(0, -3) + "AAA")).status, 401);
  assert.equal((await get(A, "", await db.token(tA, a1, { exp: 1 }))).status, 401);
  console.log("SECURITY|notifier/presence|GET /presence without, with a forged, with an expired token|401");
  const all = await get(B, "", tokA);
  assert.equal(all.status, 200);
  assert.equal(all.headers.get("content-type"), "application/json");
  assert.deepEqual(ids(await all.json()), [a1, a2].sort());
  const room = encodeURIComponent(`tenant:${tA}:doc:1`);
  assert.deepEqual(ids(await (await get(A, `?room=${room}`, tokA)).json()), [a1, a2].sort());
  assert.equal((await get(A, `?room=${room}`, tokB)).status, 403);
  assert.equal((await get(A, `?room=tenant:${tA}`, tokB)).status, 403);
  assert.equal((await get(A, `?room=%00`, tokA)).status, 403);
  console.log("SECURITY|notifier/presence|GET /presence?room= of another tenant (its tenant room, a kind room), %00|403");
  await until(async () => (await (await get(A, "", tokB)).json()).length === 0, 2000, "tenant B empty after b1 left");
});

test("Redis shut down, started again, hung with SIGSTOP: presence keeps answering locally, nothing crashes, entries return", async () => {
  const A1 = await as(A, tA, a1);
  const B2 = await as(B, tA, a2);
  await listing(A1, null, [a1, a2]);
  redisCli("shutdown", "nosave");
  await until(async () => (await health(A)).redis === "down", 5000, "healthz redis down");
  const local = await ask(A1, "presence:list");
  assert.deepEqual(ids(local), [a1], "local fallback: this instance's users");
  // nothing else is affected: joins, rpc and delivery go on
  assert.equal((await ask(A1, "join", { kind: "doc", id: "2" })).success, true);
  await db.asTenant(tA, a1, (q) => q("SELECT roomcast.emit(roomcast.room('doc', '2'), 'doc:changed', '{}')"));
  await waitFor(A1.events, (e) => e[0] === "doc:changed");
  const res = await fetch(`${A.url}/presence`, { headers: { authorization: `Bearer ${await db.token(tA, a1)}` } });
  assert.deepEqual(ids(await res.json()), [a1]);
  await sleep(1500);
  redisStart();
  const back = await until(async () => (await health(A)).redis === "up" && (await health(B)).redis === "up", 15000, "redis up again");
  // the restarted Redis is empty: each instance wrote its entries again on reconnecting
  await until(async () => ids(await ask(B2, "presence:list")).join() === [a1, a2].sort().join(), 3000, "entries restored");
  console.log(`redis restarted: both instances reconnected within ${back} ms and restored their entries`);

  const pid = Number(readFileSync(`${process.env.RC_TMP}/redis/redis.pid`, "utf8"));
  process.kill(pid, "SIGSTOP");
  try {
    const t0 = Date.now();
    const hung = await ask(A1, "presence:list");
    const ms = Date.now() - t0;
    assert.deepEqual(ids(hung), [a1]);
    assert.ok(ms < 5000, `answered in ${ms} ms`);
    console.log(`redis hung (SIGSTOP): presence:list answered locally in ${ms} ms`);
  } finally {
    process.kill(pid, "SIGCONT");
  }
  await until(async () => (await health(A)).redis === "up", 15000, "redis up after SIGCONT");
  await until(async () => ids(await ask(A1, "presence:list")).join() === [a1, a2].sort().join(), 5000, "shared again");
  assert.equal(A.proc.exitCode, null);
  assert.equal(B.proc.exitCode, null);
  A1.socket.close();
  B2.socket.close();
});

test("kill -9 of one instance: its users leave presence within --presence-ttl", async () => {
  const A1 = await as(A, tA, a1);
  await as(B, tA, a2);
  await listing(A1, null, [a1, a2]);
  await B.stop("SIGKILL");
  const ms = await until(async () => !ids(await ask(A1, "presence:list")).includes(a2), (TTL + 2) * 1000, "a2 expired");
  console.log(`kill -9 of instance B: its user left presence after ${ms} ms (TTL ${TTL} s)`);
  assert.ok(ms <= TTL * 1000 + 1000, `${ms} ms`);
  assert.equal(redisCli("exists", `rc:presence:tenant:${tB}`), "0", "tenant B's key expired (B had no more sockets)");
});
