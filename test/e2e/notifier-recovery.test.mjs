// notifier-recovery.test.mjs — connection state recovery with the official socket.io-client
// (>= 4.6), durable through roomcast.recover: after a dropped transport, after kill -9 of the
// notifier and a restart, and on a second notifier instance, the client gets exactly the
// events it missed, once, in commit order, then live ones, with socket.recovered === true and
// its rooms back. A pid of another user, a forged pid and an offset older than
// --recovery-window give a new session (recovered === false).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { io } from "socket.io-client";
import { startNotifier } from "./lib/notifier.mjs";
import { createDb } from "./lib/db.mjs";
import { waitFor } from "./lib/sockets.mjs";

let db, srv, tA, a1, a2;
const socks = [];
const extra = [];

before(async () => {
  db = await createDb("rc_e2e_recovery");
  tA = await db.addTenant("recover-a");
  a1 = await db.addUser(tA, "a1@r.test");
  a2 = await db.addUser(tA, "a2@r.test");
  await db.sql("SELECT roomcast.register_room_kind('doc')");
  srv = await startNotifier(["--db", db.conninfo]);
});

after(async () => {
  for (const s of socks) s.close();
  for (const n of extra) await n.stop();
  await srv?.stop();
  await db?.close();
});

// A client that reconnects by itself (as a browser tab does); resolves once "connected" came
async function client(url, token) {
  const socket = io(url, {
    transports: ["websocket"],
    forceNew: true,
    auth: { token },
    reconnectionDelay: 300,
    reconnectionDelayMax: 300,
    randomizationFactor: 0,
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

const emitDoc = (name, n) =>
  db.asTenant(tA, a1, (q) => q("SELECT roomcast.emit(roomcast.room('doc', '1'), $1, $2::jsonb)", [name, JSON.stringify({ n })]));
const emitUser = (user, name, n) =>
  db.asTenant(tA, a1, (q) => q("SELECT roomcast.emit_to_user($1, $2, $3::jsonb)", [user, name, JSON.stringify({ n })]));

// the numbered events (names starting with "e-"), as [name, n]
const numbered = (events) => events.filter((e) => e[0].startsWith("e-")).map((e) => [e[0], e[1].n]);

// Wait until socket reconnected ("connect" after a drop) and say whether it recovered
function reconnected(socket) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("no reconnect")), 10000);
    socket.once("connect", () => {
      clearTimeout(t);
      resolve(socket.recovered);
    });
  });
}

// join doc:1 through the notifier (remembered for the pid by the database)
async function joinDoc(socket) {
  const ack = await socket.timeout(5000).emitWithAck("join", { kind: "doc", id: "1" });
  assert.equal(ack.success, true, JSON.stringify(ack));
}

test("a dropped transport recovers exactly the missed events, once, in order, then live ones", async () => {
  const { socket, events } = await client(srv.url, await db.token(tA, a1));
  assert.match(socket._pid, /^[A-Za-z0-9_-]{38}$/, "the CONNECT reply carries a pid");
  await joinDoc(socket);
  // the room is remembered for this pid, and only for it
  const { rows } = await db.sql("SELECT pid FROM roomcast.socket_rooms WHERE user_id = $1", [a1]);
  assert.deepEqual(rows.map((r) => r.pid), [socket._pid]);
  await emitDoc("e-doc", 1);
  await waitFor(events, (e) => e[0] === "e-doc");
  const down = new Promise((r) => socket.once("disconnect", r));
  socket.io.engine.close();
  await down;
  await emitDoc("e-doc", 2);
  await emitUser(a1, "e-user", 3);
  await emitDoc("e-doc", 4);
  assert.equal(await reconnected(socket), true, "socket.recovered");
  await emitDoc("e-doc", 5); // live: the doc room is joined again
  await waitFor(events, (e) => e[0] === "e-doc" && e[1].n === 5);
  await sleep(100);
  assert.deepEqual(numbered(events), [["e-doc", 1], ["e-doc", 2], ["e-user", 3], ["e-doc", 4], ["e-doc", 5]]);
  const pos = events.filter((e) => e[0].startsWith("e-")).map((e) => Number(e.at(-1)));
  assert.deepEqual([...pos].sort((x, y) => x - y), pos);
  const rooms = await socket.emitWithAck("rooms");
  assert.deepEqual([...rooms].sort(), [`tenant:${tA}`, `tenant:${tA}:doc:1`, `tenant:${tA}:user:${a1}`].sort());
  socket.close();
});

test("events committed while the recover call is in flight are held: once, in order, without gaps", async () => {
  // a room kind whose policy takes 0.6 s: recover() asks it again, after its snapshot was
  // taken, so events committed meanwhile are not among the missed ones and reach the
  // notifier live while the socket is in no room yet; they must be held, not lost
  await db.sql(`CREATE OR REPLACE FUNCTION public.slow_policy(user_id uuid, id text) RETURNS boolean
                LANGUAGE sql AS $$ SELECT pg_sleep(0.6) IS NOT NULL $$`);
  await db.sql("SELECT roomcast.register_room_kind('slow', 'public.slow_policy(uuid,text)'::regprocedure)");
  const emitSlow = (n) =>
    db.asTenant(tA, a1, (q) => q("SELECT roomcast.emit(roomcast.room('slow', '1'), 'e-slow', $1::jsonb)", [JSON.stringify({ n })]));
  const { socket, events } = await client(srv.url, await db.token(tA, a1));
  const ack = await socket.timeout(5000).emitWithAck("join", { kind: "slow", id: "1" });
  assert.equal(ack.success, true);
  await emitSlow(0);
  await waitFor(events, (e) => e[0] === "e-slow");
  const down = new Promise((r) => socket.once("disconnect", r));
  socket.io.engine.close();
  await down;
  for (let n = 1; n <= 3; n++) await emitSlow(n);
  const back = reconnected(socket);
  let connected = false;
  back.then(() => (connected = true), () => (connected = true));
  // keep committing until the recovery is done: several land inside the slow recover call
  let n = 4;
  while (!connected) {
    await emitSlow(n++);
    await sleep(40);
  }
  assert.equal(await back, true);
  await emitSlow(n);
  await waitFor(events, (e) => e[0] === "e-slow" && e[1].n === n);
  await sleep(100);
  assert.ok(n > 10, "events were committed during the recover call");
  assert.deepEqual(events.filter((e) => e[0] === "e-slow").map((e) => e[1].n), Array.from({ length: n + 1 }, (_, i) => i),
    "each event once, in commit order");
  socket.close();
});

test("after kill -9 of the notifier and a restart the client recovers from the database", async () => {
  const a = await startNotifier(["--db", db.conninfo]);
  extra.push(a);
  const { socket, events } = await client(a.url, await db.token(tA, a1));
  await joinDoc(socket);
  await emitDoc("e-doc", 1);
  await waitFor(events, (e) => e[0] === "e-doc");
  const down = new Promise((r) => socket.once("disconnect", r));
  await a.stop("SIGKILL");
  await down;
  await emitDoc("e-doc", 2);
  await emitUser(a1, "e-user", 3);
  // the restarted notifier (a new process, a new port: the client is pointed at it)
  const b = await startNotifier(["--db", db.conninfo]);
  extra.push(b);
  socket.io.uri = b.url;
  assert.equal(await reconnected(socket), true, "recovered by a notifier that never saw the session");
  await emitDoc("e-doc", 4);
  await waitFor(events, (e) => e[0] === "e-doc" && e[1].n === 4);
  await sleep(100);
  assert.deepEqual(numbered(events), [["e-doc", 1], ["e-doc", 2], ["e-user", 3], ["e-doc", 4]]);
  socket.close();
});

test("a second notifier instance recovers a session of the first", async () => {
  const b = await startNotifier(["--db", db.conninfo]);
  extra.push(b);
  const { socket, events } = await client(srv.url, await db.token(tA, a1));
  await joinDoc(socket);
  await emitDoc("e-doc", 1);
  await waitFor(events, (e) => e[0] === "e-doc");
  socket.io.uri = b.url;
  const down = new Promise((r) => socket.once("disconnect", r));
  socket.io.engine.close();
  await down;
  await emitDoc("e-doc", 2);
  await emitDoc("e-doc", 3);
  assert.equal(await reconnected(socket), true);
  await emitDoc("e-doc", 4);
  await waitFor(events, (e) => e[0] === "e-doc" && e[1].n === 4);
  await sleep(100);
  assert.deepEqual(numbered(events), [["e-doc", 1], ["e-doc", 2], ["e-doc", 3], ["e-doc", 4]]);
  socket.close();
});

test("another user's pid, a forged pid and an offset past --recovery-window give a new session", async () => {
  // another user's: a1's session, reconnecting with a2's token
  {
    const { socket, events } = await client(srv.url, await db.token(tA, a1));
    await joinDoc(socket);
    await emitUser(a1, "e-user", 1);
    await waitFor(events, (e) => e[0] === "e-user");
    const oldPid = socket._pid;
    const down = new Promise((r) => socket.once("disconnect", r));
    socket.io.engine.close();
    await down;
    socket.auth = { token: await db.token(tA, a2) };
    await emitDoc("e-doc", 2);
    assert.equal(await reconnected(socket), false, "not recovered");
    assert.notEqual(socket._pid, oldPid, "a new pid");
    await sleep(200);
    assert.deepEqual(numbered(events), [["e-user", 1]], "nothing of a1's session reaches a2");
    assert.deepEqual((await socket.emitWithAck("rooms")).filter((r) => r.includes(":doc:")), []);
    console.log("SECURITY|notifier/recovery|reconnect with another user's pid and offset|new session, recovered false, no rooms or events of that session");
    socket.close();
  }
  // forged: a pid whose tag was not made by the notifier
  {
    const { socket, events } = await client(srv.url, await db.token(tA, a1));
    await emitUser(a1, "e-user", 1);
    await waitFor(events, (e) => e[0] === "e-user");
    const down = new Promise((r) => socket.once("disconnect", r));
    socket.io.engine.close();
    await down;
    const forged = socket._pid.slice(0, 16) + "A".repeat(22);
    socket._pid = forged;
    await emitUser(a1, "e-user", 2);
    assert.equal(await reconnected(socket), false);
    assert.notEqual(socket._pid, forged);
    await sleep(200);
    assert.deepEqual(numbered(events), [["e-user", 1]]);
    console.log("SECURITY|notifier/recovery|CONNECT with a forged pid (bad HMAC tag)|new session, recovered false, nothing replayed");
    socket.close();
  }
  // too old: --recovery-window 1
  {
    const w = await startNotifier(["--db", db.conninfo, "--recovery-window", "1"]);
    extra.push(w);
    const { socket, events } = await client(w.url, await db.token(tA, a1));
    await emitUser(a1, "e-user", 1);
    await waitFor(events, (e) => e[0] === "e-user");
    const down = new Promise((r) => socket.once("disconnect", r));
    socket.io.reconnectionDelay(2500);
    socket.io.reconnectionDelayMax(2500);
    socket.io.engine.close();
    await down;
    await emitUser(a1, "e-user", 2);
    assert.equal(await reconnected(socket), false, "the offset is older than the window");
    await sleep(200);
    assert.deepEqual(numbered(events), [["e-user", 1]]);
    socket.close();
  }
});

test("a pid the client puts in join arguments is replaced by its own", async () => {
  const { socket } = await client(srv.url, await db.token(tA, a1));
  const ack = await socket.emitWithAck("join", { kind: "doc", id: "2", pid: "someone-elses-pid" });
  assert.equal(ack.success, true);
  const { rows } = await db.sql("SELECT pid FROM roomcast.socket_rooms WHERE room LIKE '%:doc:2'");
  assert.deepEqual(rows.map((r) => r.pid), [socket._pid]);
  console.log("SECURITY|notifier/recovery|join with a pid of another session in its arguments|the socket's own pid is recorded (appended last, jsonb keeps it)");
  socket.close();
});
