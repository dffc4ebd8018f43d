// notifier-lifecycle.test.mjs — a socket's token over time, with the official socket.io-client
// (SPEC §7 Session lifecycle, docs/sessions.md): auth:refresh-needed before exp, auth:refresh
// with a fresh token keeps the socket; a bad, expired or other user's token is refused and
// disconnects; after exp the socket gets auth:expired and nothing else, its events are held and
// arrive in order after a refresh; at the end of --grace it is disconnected ("token expired").
// Short tokens (roomcast.sign(claims, '3 seconds')) and small --refresh-warning/--grace.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { startNotifier } from "./lib/notifier.mjs";
import { createDb } from "./lib/db.mjs";
import { io } from "socket.io-client";
import { connectAs, waitFor } from "./lib/sockets.mjs";

let db, srv, tA, a1, a2;
const socks = [];

before(async () => {
  db = await createDb("rc_e2e_lifecycle");
  tA = await db.addTenant("life-a");
  a1 = await db.addUser(tA, "a1@l.test");
  a2 = await db.addUser(tA, "a2@l.test");
  srv = await startNotifier(["--db", db.conninfo, "--refresh-warning", "2", "--grace", "2"]);
});

after(async () => {
  for (const s of socks) s.close();
  await srv?.stop();
  await db?.close();
});

async function as(ttl) {
  const c = await connectAs(srv.url, { auth: { token: await db.token(tA, a1, {}, ttl) } });
  socks.push(c.socket);
  return c;
}

const emitUser = (name, n) =>
  db.asTenant(tA, a1, (q) => q("SELECT roomcast.emit_to_user($1, $2, $3::jsonb)", [a1, name, JSON.stringify({ n })]));
const names = (events) => events.map((e) => e[0]);
// a promise that fails after ms instead of hanging the suite
const within = (p, ms, what) =>
  Promise.race([p, new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out: ${what}`)), ms).unref())]);
const disconnected = (socket) => within(new Promise((r) => socket.once("disconnect", r)), 10000, "disconnect");

test("auth:refresh-needed before exp; auth:refresh with a fresh token keeps the socket", async () => {
  const { socket, events } = await as("3 seconds");
  const warn = await waitFor(events, (e) => e[0] === "auth:refresh-needed", 3000);
  assert.ok(warn[1].expiresIn >= 0 && warn[1].expiresIn <= 2, JSON.stringify(warn));
  const ack = await socket.timeout(5000).emitWithAck("auth:refresh", { token: await db.token(tA, a1, {}, "1 hour") });
  assert.equal(ack.success, true);
  assert.ok(ack.expiresAt > Date.now() + 3500 * 1000, "expiresAt of the new token, in ms");
  await sleep(3000); // past the old token's exp
  assert.equal(socket.connected, true);
  assert.ok(!names(events).includes("auth:expired"));
  await emitUser("e-live", 1);
  await waitFor(events, (e) => e[0] === "e-live");
  socket.close();
});

test("a bad, an expired and another user's token are refused and disconnect", async () => {
  const cases = [
    ["not-a-jwt", "INVALID_TOKEN", "garbage token"],
    [await db.token(tA, a1, { exp: 1 }), "TOKEN_EXPIRED", "expired token"],
    [await db.token(tA, a2, {}, "1 hour"), "UNAUTHORIZED", "another user's token"],
    [null, "INVALID_ARGUMENT", "no token"],
  ];
  for (const [token, code, what] of cases) {
    const { socket } = await as("1 hour");
    const gone = disconnected(socket);
    const ack = await socket.timeout(5000).emitWithAck("auth:refresh", token === null ? {} : { token });
    assert.equal(ack.success, false, what);
    assert.equal(ack.error.code, code, what);
    assert.equal(await gone, "io server disconnect", what);
    console.log(`SECURITY|notifier/lifecycle|auth:refresh with ${what}|ack success false ${code}, socket disconnected, token not adopted`);
  }
});

test("an expired socket receives nothing; held events arrive in order after auth:refresh", async () => {
  const { socket, events } = await as("2 seconds");
  await waitFor(events, (e) => e[0] === "auth:expired", 4000);
  await emitUser("e-held", 1);
  await emitUser("e-held", 2);
  await sleep(400);
  assert.ok(!names(events).includes("e-held"), "nothing reaches an expired socket");
  console.log("SECURITY|notifier/lifecycle|socket whose token expired keeps its connection|receives nothing but auth:expired; its events are held");
  const ack = await socket.timeout(5000).emitWithAck("auth:refresh", { token: await db.token(tA, a1, {}, "1 hour") });
  assert.equal(ack.success, true);
  await emitUser("e-held", 3);
  await waitFor(events, (e) => e[0] === "e-held" && e[1].n === 3);
  await sleep(100);
  assert.deepEqual(events.filter((e) => e[0] === "e-held").map((e) => e[1].n), [1, 2, 3]);
  socket.close();
});

test("at the end of --grace an expired socket is disconnected with 'token expired'", async () => {
  const { socket, events } = await as("1 second");
  const gone = disconnected(socket);
  await waitFor(events, (e) => e[0] === "auth:expired", 4000);
  const t0 = Date.now();
  assert.equal(await gone, "io server disconnect");
  assert.ok(Date.now() - t0 >= 1500, "after the grace period");
  const err = events.find((e) => e[0] === "error");
  assert.deepEqual(err[1], { code: "TOKEN_EXPIRED", message: "token expired" });
});

test("events held during grace past --max-buffered close the transport; the client recovers them after a refresh", async () => {
  const small = await startNotifier(["--db", db.conninfo, "--refresh-warning", "0", "--grace", "30", "--max-buffered", "65536"]);
  try {
    const socket = io(small.url, {
      transports: ["websocket"],
      forceNew: true,
      auth: { token: await db.token(tA, a1, {}, "2 seconds") },
      reconnectionDelay: 500,
      reconnectionDelayMax: 500,
      randomizationFactor: 0,
    });
    socks.push(socket);
    const events = [];
    socket.onAny((name, ...args) => events.push([name, ...args]));
    await new Promise((r) => socket.once("connected", r));
    await emitUser("e-big", 0); // an offset to recover from
    await waitFor(events, (e) => e[0] === "e-big");
    await waitFor(events, (e) => e[0] === "auth:expired", 4000);
    // the token of the automatic reconnect: set before the transport can close
    socket.auth = { token: await db.token(tA, a1, {}, "1 hour") };
    const gone = disconnected(socket);
    const pad = "x".repeat(10000);
    for (let n = 1; n <= 10; n++)
      await db.asTenant(tA, a1, (q) => q("SELECT roomcast.emit_to_user($1, 'e-big', $2::jsonb)", [a1, JSON.stringify({ n, pad })]));
    assert.equal(await gone, "transport close", "held events over the bound close the transport");
    console.log("SECURITY|notifier/lifecycle|100 kB of events for a socket in its grace period, --max-buffered 64 kB|transport closed at the bound; the client recovers them on reconnect with a fresh token");
    const recovered = await within(new Promise((r) => socket.once("connect", () => r(socket.recovered))), 10000, "reconnect");
    assert.equal(recovered, true);
    await waitFor(events, (e) => e[0] === "e-big" && e[1].n === 10);
    await sleep(100);
    assert.deepEqual(events.filter((e) => e[0] === "e-big").map((e) => e[1].n), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    socket.close();
  } finally {
    await small.stop();
  }
});
