// notifier-redis-reset.test.mjs — a Redis connection reset with data on the way (docs/notifier.md
// Presence, hub/redis_uv.c): the notifier wakes to a socket holding unread bytes and an error at
// once (POLLIN|POLLERR, on which libuv stops the poll handle for good). Both its Redis connections
// (the presence store and the relay's subscription) must notice at once (log "connection lost",
// "presence relay lost", /healthz redis down), reconnect after the back-off, and presence must work
// again across two instances. With hiredis' own libuv adapter (it ignores a poll error) neither
// connection noticed: the relay stayed silently dead until a restart.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { startNotifier } from "./lib/notifier.mjs";
import { createDb } from "./lib/db.mjs";
import { connectAs, waitFor } from "./lib/sockets.mjs";

let db, tA, a1, a2, proxy, A, B;
const socks = [];

// A TCP proxy to the runner's Redis. reset(pid) stops the notifier (SIGSTOP), sends on each of its
// connections the first bytes of a reply (a bulk string cut short: hiredis buffers it and waits for
// the rest, no reply is processed) and then a reset (RST), and lets the notifier go on 200 ms later:
// it wakes to unread data and an error at once, as a loaded machine makes it do by chance.
async function redisProxy() {
  const conns = new Set();
  const server = net.createServer((client) => {
    const up = net.connect(Number(process.env.RC_REDIS_PORT), "127.0.0.1");
    const c = { client, up };
    conns.add(c);
    const drop = () => {
      if (c.resetting) return; // reset() ends both sides itself
      conns.delete(c);
      client.destroy();
      up.destroy();
    };
    client.on("error", drop).on("close", drop);
    up.on("error", drop).on("close", drop);
    client.pipe(up);
    up.pipe(client);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: server.address().port,
    count: () => conns.size,
    async reset(pid) {
      process.kill(pid, "SIGSTOP");
      try {
        const all = [...conns];
        for (const c of all) {
          c.resetting = true;
          conns.delete(c);
          c.up.unpipe(c.client);
          c.client.unpipe(c.up);
          c.up.destroy();
          c.client.write("$100\r\npartial reply");
        }
        await sleep(50); // the bytes reach the notifier's socket before the reset
        for (const { client } of all) client.resetAndDestroy();
        await sleep(200);
        return all.length;
      } finally {
        process.kill(pid, "SIGCONT");
      }
    },
    close: () => {
      for (const { client, up } of conns) {
        client.destroy();
        up.destroy();
      }
      server.close();
    },
  };
}

const health = async (srv) => (await fetch(`${srv.url}/healthz`)).json();
async function until(pred, ms, what) {
  const t0 = Date.now();
  while (!(await pred())) {
    if (Date.now() - t0 > ms)
      throw new Error(`timed out after ${ms} ms: ${what}; notifier A: ${A?.stderr().split("\n").filter((l) => /redis/i.test(l)).slice(-6).join(" / ")}`);
    await sleep(50);
  }
  return Date.now() - t0;
}
// Lines of A's log after offset `from` that contain s
const logHas = (from, s) => A.stderr().slice(from).includes(s);

before(async () => {
  db = await createDb("rc_e2e_redis_reset");
  tA = await db.addTenant("rreset-a");
  a1 = await db.addUser(tA, "a1@rreset.test");
  a2 = await db.addUser(tA, "a2@rreset.test");
  await db.sql("SELECT roomcast.register_room_kind('doc')");
  proxy = await redisProxy();
  // the default --presence-ttl: no refresh writes (each 100 s) while the test watches
  A = await startNotifier(["--db", db.conninfo, "--redis", `redis://127.0.0.1:${proxy.port}`]);
  B = await startNotifier(["--db", db.conninfo, "--redis", process.env.RC_REDIS_URL]);
  await until(async () => logHas(0, "connected; presence is shared") && logHas(0, "presence relay subscribed"), 10000, "A connected and subscribed");
  await until(async () => (await health(B)).redis === "up", 10000, "B redis up");
});

after(async () => {
  for (const s of socks) s.close();
  await A?.stop();
  await B?.stop();
  proxy?.close();
  await db?.close();
});

async function as(srv, user) {
  const c = await connectAs(srv.url, { auth: { token: await db.token(tA, user) } });
  socks.push(c.socket);
  return c;
}
const ask = (c, ...a) => c.socket.timeout(8000).emitWithAck(...a);
const ids = (list) => list.map((u) => u.userId).sort();

test("both Redis connections reset with a reply half received: noticed at once, reconnected, presence shared again", async () => {
  const A1 = await as(A, a1);
  assert.equal((await ask(A1, "join", { kind: "doc", id: "1" })).success, true);
  assert.equal(proxy.count(), 2, "the presence store and the relay each hold one connection");

  const mark = A.stderr().length;
  assert.equal(await proxy.reset(A.proc.pid), 2);
  // under 3 s: presence's own watchdog drops a connection whose commands wait 3 s; this must not
  // need it (and the relay's subscription has no such watchdog once confirmed)
  const noticed = await until(async () => logHas(mark, "connection lost") && logHas(mark, "presence relay lost"), 2500,
    "both connections noticed the reset");
  assert.ok(!logHas(mark, "no reply for 3 s"), "noticed by the reset, not the watchdog");
  console.log(`redis reset with data on the way: both connections noticed it ${noticed} ms after SIGCONT`);
  assert.equal(A.proc.exitCode, null, "still running");

  const back = await until(async () => logHas(mark, "connected; presence is shared") && logHas(mark, "presence relay subscribed"), 15000,
    "reconnected and subscribed again");
  await until(async () => (await health(A)).redis === "up", 5000, "healthz redis up");
  console.log(`reconnected and subscribed again ${back} ms after that`);

  // the relay works again: a join on B is told to A's socket in the room
  const B2 = await as(B, a2);
  assert.equal((await ask(B2, "join", { kind: "doc", id: "1" })).success, true);
  await waitFor(A1.events, (e) => e[0] === "user-joined" && e[1].userId === a2);
  // the store works again: A lists B's user, and B lists A's (A wrote its entries again)
  await until(async () => ids(await ask(A1, "presence:list")).join() === [a1, a2].sort().join(), 3000, "A lists both");
  await until(async () => ids(await ask(B2, "presence:list")).join() === [a1, a2].sort().join(), 3000, "B lists both");
  console.log("SECURITY|notifier/presence|Redis connections reset with a reply half sent, the notifier stopped meanwhile|both noticed at once; local fallback; reconnected");
});
