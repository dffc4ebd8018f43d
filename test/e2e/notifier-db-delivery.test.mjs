// notifier-db-delivery.test.mjs — data path 1 end to end: events emitted in SQL reach the
// sockets of their room and namespace only (never another tenant's), in commit order, with
// the position as the last argument; rollbacks deliver nothing; big events are fetched;
// revoke_sessions kicks; a lost database connection is caught up after reconnecting.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { startNotifier } from "./lib/notifier.mjs";
import { createDb } from "./lib/db.mjs";
import { connectAs, waitFor } from "./lib/sockets.mjs";

let db, srv, tA, tB, a1, a2, b1;
const socks = [];

// connect as (tenant, user) in nsp and remember the socket for cleanup
async function as(tenant, user, nsp = "") {
  const c = await connectAs(srv.url, { auth: { token: await db.token(tenant, user) } }, nsp);
  socks.push(c.socket);
  return c;
}

// the events named name (without the "connected" greeting)
const named = (events, name) => events.filter((e) => e[0] === name);

before(async () => {
  db = await createDb("rc_e2e_delivery");
  tA = await db.addTenant("deliver-a");
  tB = await db.addTenant("deliver-b");
  a1 = await db.addUser(tA, "a1@d.test");
  a2 = await db.addUser(tA, "a2@d.test");
  b1 = await db.addUser(tB, "b1@d.test");
  srv = await startNotifier(["--db", db.conninfo]);
});

after(async () => {
  for (const s of socks) s.close();
  await srv?.stop();
  await db?.close();
});

test("emit_to_user, emit_to_tenant and emit reach the right sockets only, with pos as the last argument", async () => {
  const A1 = await as(tA, a1);
  const A2 = await as(tA, a2);
  const B1 = await as(tB, b1);
  const A1n = await as(tA, a1, "/notifications");
  const ids = await db.asTenant(tA, a1, async (q) => {
    await q("SELECT roomcast.emit_to_user($1, 'dm', '{\"x\":1}')", [a1]);
    await q("SELECT roomcast.emit_to_tenant('all', '{\"y\":2}')");
    await q("SELECT roomcast.emit(roomcast.user_room($1), 'to-a2', '[1,\"two\"]', '/')", [a2]);
    await q("SELECT roomcast.emit(roomcast.tenant_room(), 'nsp-only', '\"s\"', '/notifications')");
    const { rows } = await q("SELECT 1");
    return rows;
  });
  assert.ok(ids);
  // B's tenant gets its own event (the sentinel that it would have seen A's by now)
  await db.asTenant(tB, b1, (q) => q("SELECT roomcast.emit_to_tenant('b-only', '{}')"));

  const dm = await waitFor(A1.events, (e) => e[0] === "dm");
  assert.equal(dm[1].x, 1);
  assert.equal(typeof dm[1].timestamp, "number");
  assert.match(dm[2], /^\d+$/, "the offset is a string");
  assert.equal(dm.length, 3);
  await waitFor(A1.events, (e) => e[0] === "all");
  await waitFor(A2.events, (e) => e[0] === "all");
  const toA2 = await waitFor(A2.events, (e) => e[0] === "to-a2");
  assert.deepEqual(toA2.slice(1, 2), [[1, "two"]]);
  const nspOnly = await waitFor(A1n.events, (e) => e[0] === "nsp-only");
  assert.equal(nspOnly[1], "s");
  await waitFor(B1.events, (e) => e[0] === "b-only");
  // tenant A's events were committed before B's sentinel: had they gone to B, they would be there
  await sleep(100);
  assert.deepEqual(B1.events.map((e) => e[0]), ["connected", "b-only"]);
  assert.deepEqual(A1.events.map((e) => e[0]), ["connected", "dm", "all"]);
  assert.deepEqual(A2.events.map((e) => e[0]), ["connected", "all", "to-a2"]);
  // (the inbox namespace also starts with notification:unread_count)
  assert.deepEqual(A1n.events.map((e) => e[0]).filter((n) => n !== "notification:unread_count"), ["connected", "nsp-only"]);
  // positions increase in the order the events were emitted in the transaction
  assert.ok(Number(A1.events[1].at(-1)) < Number(A1.events[2].at(-1)));
  // counted: 5 events from the database, 6 packets to sockets, a latency for each event
  const text = await (await fetch(`${srv.url}/metrics`)).text();
  const metric = (name) => Number(new RegExp(`^${name} (\\d+)$`, "m").exec(text)[1]);
  assert.equal(metric("roomcast_db_events_total"), 5);
  assert.equal(metric("roomcast_deliveries_total"), 6);
  assert.equal(metric("roomcast_commit_to_socket_ms_count"), 5);
  assert.ok(metric('roomcast_commit_to_socket_ms_bucket\\{le="5000"\\}') === 5);
});

test("a rolled-back transaction delivers nothing; delivery follows commit order", async () => {
  const A1 = await as(tA, a1);
  await db.asTenant(tA, a1, (q) => q("SELECT roomcast.emit_to_user($1, 'rolled-back', '{}')", [a1]), { rollback: true });
  // two transactions: the one that commits first is delivered first, whatever began first
  const c1 = new pg.Client({ database: db.name });
  const c2 = new pg.Client({ database: db.name });
  await c1.connect();
  await c2.connect();
  try {
    for (const c of [c1, c2]) {
      await c.query("BEGIN");
      await c.query("SELECT roomcast.set_identity($1, $2, 'member')", [tA, a1]);
    }
    await c1.query("SELECT roomcast.emit_to_user($1, 'first-begun', '{\"n\":1}')", [a1]);
    await c2.query("SELECT roomcast.emit_to_user($1, 'second-begun', '{\"n\":1}')", [a1]);
    await c2.query("SELECT roomcast.emit_to_user($1, 'second-begun', '{\"n\":2}')", [a1]);
    await c2.query("COMMIT");
    await c1.query("COMMIT");
  } finally {
    await c1.end();
    await c2.end();
  }
  await waitFor(A1.events, (e) => e[0] === "first-begun");
  await sleep(50);
  assert.deepEqual(
    A1.events.slice(1).map((e) => [e[0], e[1].n]),
    [["second-begun", 1], ["second-begun", 2], ["first-begun", 1]],
  );
  const pos = A1.events.slice(1).map((e) => Number(e.at(-1)));
  assert.deepEqual([...pos].sort((x, y) => x - y), pos);
});

test("a 20 KB event (sent as big in NOTIFY) arrives whole and in order", async () => {
  const A1 = await as(tA, a1);
  const blob = "x".repeat(20000);
  await db.asTenant(tA, a1, async (q) => {
    await q("SELECT roomcast.emit_to_user($1, 'small-1', '{}')", [a1]);
    await q("SELECT roomcast.emit_to_user($1, 'big', jsonb_build_object('blob', $2::text))", [a1, blob]);
    await q("SELECT roomcast.emit_to_user($1, 'small-2', '{}')", [a1]);
  });
  await waitFor(A1.events, (e) => e[0] === "small-2");
  assert.deepEqual(A1.events.slice(1).map((e) => e[0]), ["small-1", "big", "small-2"]);
  assert.equal(named(A1.events, "big")[0][1].blob, blob);
});

test("revoke_sessions disconnects every socket of that user, and only those", async () => {
  const A1 = await as(tA, a1);
  const A1n = await as(tA, a1, "/notifications");
  const A2 = await as(tA, a2);
  const reasons = Promise.all([A1, A1n].map((c) => new Promise((r) => c.socket.once("disconnect", r))));
  await db.asTenant(tA, a1, (q) => q("SELECT roomcast.revoke_sessions($1)", [a1]));
  assert.deepEqual(await reasons, ["io server disconnect", "io server disconnect"]);
  await db.asTenant(tA, a1, (q) => q("SELECT roomcast.emit_to_user($1, 'still-here', '{}')", [a2]));
  await waitFor(A2.events, (e) => e[0] === "still-here");
  assert.equal(A2.socket.connected, true);
});

test("after its database connection is killed the notifier reconnects and delivers what was committed meanwhile", async () => {
  const A1 = await as(tA, a1);
  await db.asTenant(tA, a1, (q) => q("SELECT roomcast.emit_to_user($1, 'before', '{\"n\":0}')", [a1]));
  await waitFor(A1.events, (e) => e[0] === "before");
  const dbUp = async () => (await (await fetch(`${srv.url}/metrics`)).text()).match(/^roomcast_db_up (\d)$/m)?.[1];
  assert.equal(await dbUp(), "1", "roomcast_db_up 1 (one --db: no shard label)");
  const { rows } = await db.sql(
    "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = 'roomcast-notifier' AND datname = $1",
    [db.name],
  );
  assert.equal(rows.length, 1);
  // while down: /healthz says 503 and roomcast_db_up 0 (the first retry is 1 s away)
  let sawDown = false, upWhileDown;
  for (let i = 0; i < 40 && !sawDown; i++) {
    sawDown = (await fetch(`${srv.url}/healthz`)).status === 503;
    if (sawDown) upWhileDown = await dbUp();
    else await sleep(25);
  }
  assert.ok(sawDown, "/healthz 503 while the listener is down");
  assert.equal(upWhileDown, "0", "roomcast_db_up 0 while the listener is down");
  for (let n = 1; n <= 3; n++)
    await db.asTenant(tA, a1, (q) => q("SELECT roomcast.emit_to_user($1, 'meanwhile', jsonb_build_object('n', $2::int))", [a1, n]));
  await waitFor(A1.events, (e) => e[0] === "meanwhile" && e[1].n === 3, 10000);
  // back up: live delivery again, nothing lost, nothing twice
  for (let i = 0; i < 100 && (await fetch(`${srv.url}/healthz`)).status !== 200; i++) await sleep(50);
  assert.equal(await dbUp(), "1", "roomcast_db_up 1 again after the reconnect");
  await db.asTenant(tA, a1, (q) => q("SELECT roomcast.emit_to_user($1, 'after', '{\"n\":4}')", [a1]));
  await waitFor(A1.events, (e) => e[0] === "after");
  assert.deepEqual(
    A1.events.slice(1).map((e) => `${e[0]}:${e[1].n}`),
    ["before:0", "meanwhile:1", "meanwhile:2", "meanwhile:3", "after:4"],
  );
  assert.equal(A1.socket.connected, true);
});
