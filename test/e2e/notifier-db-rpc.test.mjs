// notifier-db-rpc.test.mjs — client requests through roomcast.rpc (data path 2): join and
// leave with their room effects, rooms, the inbox built-ins, registered and unknown methods,
// and the error shape {error:{code, message}}.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { startNotifier } from "./lib/notifier.mjs";
import { createDb } from "./lib/db.mjs";
import { connectAs, waitFor } from "./lib/sockets.mjs";

let db, srv, tA, tB, a1, a2, b1;
const socks = [];

async function as(tenant, user, nsp = "") {
  const c = await connectAs(srv.url, { auth: { token: await db.token(tenant, user) } }, nsp);
  socks.push(c.socket);
  return c;
}

const ask = (c, ...args) => c.socket.timeout(5000).emitWithAck(...args);

before(async () => {
  db = await createDb("rc_e2e_rpc");
  tA = await db.addTenant("rpc-a");
  tB = await db.addTenant("rpc-b");
  a1 = await db.addUser(tA, "a1@rpc.test");
  a2 = await db.addUser(tA, "a2@rpc.test");
  b1 = await db.addUser(tB, "b1@rpc.test");
  await db.sql("SELECT roomcast.register_room_kind('doc')");
  await db.sql("CREATE SCHEMA app");
  await db.sql("CREATE FUNCTION app.echo(args jsonb) RETURNS jsonb LANGUAGE sql AS $$ SELECT jsonb_build_object('echo', args) $$");
  await db.sql("GRANT USAGE ON SCHEMA app TO rc_e2e_notifier");
  await db.sql("GRANT EXECUTE ON FUNCTION app.echo(jsonb) TO rc_e2e_notifier");
  await db.sql("SELECT roomcast.register_method('echo', 'app.echo(jsonb)')");
  srv = await startNotifier(["--db", db.conninfo]);
});

after(async () => {
  for (const s of socks) s.close();
  await srv?.stop();
  await db?.close();
});

test("join: ack {success, room}, room-joined to the socket, user-joined to the others; events of the room arrive; leave stops them", async () => {
  const A1 = await as(tA, a1);
  const A2 = await as(tA, a2);
  const room = `tenant:${tA}:doc:7`;
  assert.deepEqual(await ask(A2, "join", { kind: "doc", id: "7" }), { success: true, room });
  const reply = await ask(A1, "join", { kind: "doc", id: "7" });
  assert.deepEqual(reply, { success: true, room });
  const joined = await waitFor(A1.events, (e) => e[0] === "room-joined");
  assert.equal(joined[1].room, room);
  const uj = await waitFor(A2.events, (e) => e[0] === "user-joined");
  assert.equal(uj[1].userId, a1);
  assert.equal(uj[1].email, `${a1.slice(0, 8)}@e2e.test`);
  assert.equal(uj[1].room, room);
  assert.ok((await ask(A1, "rooms")).includes(room));
  assert.deepEqual((await ask(A1, "debug:rooms")).sort(), [`tenant:${tA}`, `tenant:${tA}:user:${a1}`, room].sort());

  await db.asTenant(tA, a1, (q) => q("SELECT roomcast.emit(roomcast.room('doc', '7'), 'doc:changed', '{\"v\":1}')"));
  const changed = await waitFor(A1.events, (e) => e[0] === "doc:changed");
  assert.equal(changed[1].v, 1);

  assert.deepEqual(await ask(A1, "leave", { kind: "doc", id: "7" }), { success: true, room });
  const ul = await waitFor(A2.events, (e) => e[0] === "user-left");
  assert.equal(ul[1].userId, a1);
  assert.ok(!(await ask(A1, "rooms")).includes(room));
  await db.asTenant(tA, a1, async (q) => {
    await q("SELECT roomcast.emit(roomcast.room('doc', '7'), 'doc:changed', '{\"v\":2}')");
    await q("SELECT roomcast.emit_to_user($1, 'sentinel', '{}')", [a1]);
  });
  await waitFor(A1.events, (e) => e[0] === "sentinel");
  await waitFor(A2.events, (e) => e[0] === "doc:changed" && e[1].v === 2);
  assert.equal(A1.events.filter((e) => e[0] === "doc:changed").length, 1, "no event after leave");
});

test("join of an unregistered kind is refused with {success:false, error:{code, message}}; another tenant's room cannot be joined", async () => {
  const A1 = await as(tA, a1);
  const r = await ask(A1, "join", { kind: "secret", id: "1" });
  assert.equal(r.success, false);
  assert.equal(r.error.code, "FORBIDDEN");
  assert.match(r.error.message, /unknown room kind/);
  const bad = await ask(A1, "join", { kind: "Bad Kind!", id: "1" });
  assert.equal(bad.success, false);
  assert.equal(bad.error.code, "LIMIT_EXCEEDED");
  // B joins doc 7 of its own tenant: a different room; A's event there does not reach B
  const B1 = await as(tB, b1);
  assert.deepEqual(await ask(B1, "join", { kind: "doc", id: "7" }), { success: true, room: `tenant:${tB}:doc:7` });
  await db.asTenant(tA, a1, (q) => q("SELECT roomcast.emit(roomcast.room('doc', '7'), 'a-doc', '{}')"));
  await db.asTenant(tB, b1, (q) => q("SELECT roomcast.emit(roomcast.room('doc', '7'), 'b-doc', '{}')"));
  await waitFor(B1.events, (e) => e[0] === "b-doc");
  assert.deepEqual(B1.events.map((e) => e[0]), ["connected", "room-joined", "b-doc"]);
});

test("the inbox: unread count at CONNECT of /notifications, get_unread_count, mark_read", async () => {
  const N = await as(tA, a2, "/notifications");
  const first = await waitFor(N.events, (e) => e[0] === "notification:unread_count");
  assert.equal(first[1].count, 0);
  const { rows } = await db.asTenant(tA, a1, (q) => q("SELECT roomcast.send_in_app($1, 'mention', 'Hi') AS id", [a2]));
  const id = rows[0].id;
  const nn = await waitFor(N.events, (e) => e[0] === "notification:new");
  assert.equal(nn[1].id, id);
  assert.deepEqual(await ask(N, "get_unread_count"), { count: 1 });
  await waitFor(N.events, (e) => e[0] === "notification:unread_count" && e[1].count === 1);
  assert.deepEqual(await ask(N, "mark_read", { notificationIds: [id] }), { success: true, marked: 1, unreadCount: 0 });
  assert.deepEqual(await ask(N, "get_unread_count"), { count: 0 });
});

test("a registered method runs with the socket's identity; unknown events get UNKNOWN_EVENT; events without ack are fine", async () => {
  const A1 = await as(tA, a1);
  assert.deepEqual(await ask(A1, "echo", { a: [1, "x"] }), { echo: { a: [1, "x"] } });
  assert.deepEqual(await ask(A1, "echo"), { echo: {} });
  const unknown = await ask(A1, "no-such-method", {});
  assert.equal(unknown.error.code, "UNKNOWN_EVENT");
  A1.socket.emit("echo", { no: "ack" });
  const weird = await ask(A1, "we\"ird", 1);
  assert.equal(weird.error.code, "UNKNOWN_EVENT");
  await sleep(50);
  assert.equal(A1.socket.connected, true);
});
