// notifier-rpc-limits.test.mjs — client requests under attack (issue 8 findings 5, 6, 7 and the
// rpc part of 4): one tenant's burst does not starve another (per-tenant queues served in turn
// over --rpc-pool connections), --rate refuses the excess of one socket before it runs,
// disabled/deleted users and deleted tenants cannot CONNECT, join-rca takes only a string,
// a socket that leaves while its request runs is not touched, and the pool survives a
// database restart. Prints SECURITY| lines for docs/security.md.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import net from "node:net";
import readline from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { startNotifier } from "./lib/notifier.mjs";
import { createDb } from "./lib/db.mjs";
import { connectAs, connectCode, waitFor } from "./lib/sockets.mjs";

let db, tA, tB, a1, a2, b1;
const socks = [];
const servers = [];

async function as(srv, tenant, user, nsp = "") {
  const c = await connectAs(srv.url, { auth: { token: await db.token(tenant, user) } }, nsp);
  socks.push(c.socket);
  return c;
}

async function notifier(args = []) {
  const srv = await startNotifier(["--db", db.conninfo, ...args]);
  servers.push(srv);
  return srv;
}

// Stop a notifier of one test (the pool's connections are counted per database)
async function done(srv) {
  await srv.stop();
  assert.doesNotMatch(srv.stderr(), /AddressSanitizer|runtime error/, "sanitizer report in the notifier's stderr");
}

const ask = (c, ...args) => c.socket.timeout(10000).emitWithAck(...args);

// Backends of the rpc pool, as pg_stat_activity lists them
async function rpcBackends(client = db.client) {
  const { rows } = await client.query(
    "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'roomcast-notifier-rpc'",
    [db.name],
  );
  return rows[0].n;
}

async function until(pred, ms = 15000, what = "condition") {
  const t0 = Date.now();
  while (!(await pred())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

before(async () => {
  db = await createDb("rc_e2e_rpc_limits");
  db.client.on("error", () => {}); // the restart test terminates this connection
  tA = await db.addTenant("limits-a");
  tB = await db.addTenant("limits-b");
  a1 = await db.addUser(tA, "a1@limits.test");
  a2 = await db.addUser(tA, "a2@limits.test");
  b1 = await db.addUser(tB, "b1@limits.test");
  await db.sql("SELECT roomcast.register_room_kind('rca')");
  await db.sql("CREATE SCHEMA app");
  await db.sql(
    "CREATE FUNCTION app.slow(args jsonb) RETURNS jsonb LANGUAGE sql AS $$ SELECT jsonb_build_object('slept', true) FROM pg_sleep((args->>'s')::float8) $$",
  );
  await db.sql("GRANT USAGE ON SCHEMA app TO rc_e2e_notifier");
  await db.sql("GRANT EXECUTE ON FUNCTION app.slow(jsonb) TO rc_e2e_notifier");
  await db.sql("SELECT roomcast.register_method('slow', 'app.slow(jsonb)')");
});

after(async () => {
  for (const s of socks) s.close();
  for (const s of servers) {
    await s.stop();
    assert.doesNotMatch(s.stderr(), /AddressSanitizer|runtime error/, "sanitizer report in the notifier's stderr");
  }
  await db?.close().catch(() => {});
});

test("one tenant's burst of 15,000 requests neither delays nor refuses another tenant's requests", async () => {
  const srv = await notifier(["--rate", "100000"]);
  const B = await as(srv, tB, b1);
  assert.deepEqual(await ask(B, "get_unread_count"), { count: 0 });
  // tenant A floods from another process: 5 sockets × 3,000 get_unread_count at once
  const child = spawn(process.execPath, [new URL("./lib/burst-client.mjs", import.meta.url).pathname, srv.url, await db.token(tA, a1), "5", "3000", "get_unread_count"], { stdio: ["pipe", "pipe", "inherit"] });
  const lines = readline.createInterface({ input: child.stdout });
  const it = lines[Symbol.asyncIterator]();
  assert.equal((await it.next()).value, "ready");
  const result = it.next();
  let burstDone = false;
  result.then(() => (burstDone = true));
  child.stdin.write("go\n");
  // tenant B: a request every 10 ms while A's burst is being served
  const t0 = Date.now();
  const lat = [];
  const bReplies = [];
  while (!burstDone && Date.now() - t0 < 30000) {
    const s = Date.now();
    bReplies.push(await ask(B, "get_unread_count"));
    lat.push(Date.now() - s);
    await sleep(10);
  }
  const a = JSON.parse((await result).value);
  child.kill();
  lat.sort((x, y) => x - y);
  const p50 = lat[Math.floor(lat.length / 2)], max = lat[lat.length - 1];
  console.log(`# burst: A ${a.ok} answered, ${a.limited} RATE_LIMITED in ${a.ms} ms; B ${lat.length} requests meanwhile, latency p50 ${p50} ms, max ${max} ms`);
  console.log(`SECURITY|notifier/rpc|tenant A: 15,000 get_unread_count at once on 5 sockets|A: ${a.limited} RATE_LIMITED with retryAfter (its queue is full); tenant B: 0 refused, latency max ${max} ms`);
  assert.ok(lat.length >= 5, `B asked during the burst (${lat.length})`);
  assert.equal(bReplies.filter((r) => r.error).length, 0, `B was refused: ${JSON.stringify(bReplies.find((r) => r.error))}`);
  assert.ok(max < 500, `B waited ${max} ms`);
  assert.ok(a.limited > 0, "A's tenant queue is bounded");
  assert.equal(a.retryAfterMissing, 0, "RATE_LIMITED carries retryAfter");
  assert.equal(a.ok + a.limited, 15000, "every request of A answered");
  const metrics = await (await fetch(`${srv.url}/metrics`)).text();
  assert.match(metrics, /roomcast_rpc_rate_limited_total\{reason="queue"\} [1-9]/);
  assert.match(metrics, /roomcast_rpc_latency_ms_count [1-9]/);
  assert.match(metrics, /roomcast_rpc_queue_depth 0/);
  await done(srv);
});

test("--rate N: a socket sending 3N events at once gets RATE_LIMITED with retryAfter for the excess, and those requests do not run", async () => {
  const N = 5;
  const srv = await notifier(["--rate", String(N)]);
  const ids = [];
  for (let i = 0; i < 3 * N; i++) {
    const { rows } = await db.asTenant(tA, a1, (q) => q("SELECT roomcast.send_in_app($1, 'mention', 'Hi') AS id", [a1]));
    ids.push(rows[0].id);
  }
  const S = await as(srv, tA, a1, "/notifications");
  await waitFor(S.events, (e) => e[0] === "notification:unread_count");
  const replies = await Promise.all(ids.map((id) => ask(S, "mark_read", { notificationIds: [id] })));
  const ok = replies.filter((r) => r.success === true).length;
  const limited = replies.filter((r) => r.error?.code === "RATE_LIMITED");
  console.log(`SECURITY|notifier/rpc|${3 * N} mark_read at once on one socket with --rate ${N}|${ok} run; ${limited.length} RATE_LIMITED with retryAfter, not run`);
  assert.ok(ok >= 2 * N && ok <= 2 * N + 1, `burst 2N: ${ok} ran`);
  assert.equal(ok + limited.length, 3 * N);
  assert.ok(limited.every((r) => r.error.retryAfter > 0 && /rate/.test(r.error.message)));
  const errEvents = S.events.filter((e) => e[0] === "error");
  assert.equal(errEvents.length, limited.length, "one error event per refused request");
  assert.equal(errEvents[0][1].code, "RATE_LIMITED");
  assert.ok(errEvents[0][1].retryAfter > 0 && errEvents[0][1].retryAfter <= 1000 / N + 1);
  await sleep(1000);
  const { count } = await ask(S, "get_unread_count");
  assert.equal(count, 3 * N - ok, "the refused mark_read were not applied");
  // the bucket refills: the socket works again
  assert.equal((await ask(S, "mark_all_read")).success, true);
  await done(srv);
});

test("--rpc-pool 1 and 4 both work, with that many database connections", async () => {
  for (const n of [1, 4]) {
    const srv = await notifier(["--rpc-pool", String(n)]);
    await until(async () => (await rpcBackends()) === n, 10000, `${n} rpc connections`);
    const A = await as(srv, tA, a1);
    const B = await as(srv, tB, b1);
    const t0 = Date.now();
    const r = await Promise.all([ask(A, "slow", { s: 0.2 }), ask(B, "slow", { s: 0.2 }), ask(A, "rooms")]);
    const ms = Date.now() - t0;
    assert.deepEqual(r[0], { slept: true });
    assert.deepEqual(r[1], { slept: true });
    if (n === 4) assert.ok(ms < 390, `two slow calls ran in parallel on 4 connections (${ms} ms)`);
    else assert.ok(ms >= 390, `one connection runs one call at a time (${ms} ms)`);
    A.socket.close();
    B.socket.close();
    await done(srv);
    await until(async () => (await rpcBackends()) === 0, 10000, "rpc connections closed");
  }
});

test("a disabled user, a deleted user and a user of a deleted tenant cannot CONNECT, even with an unexpired token", async () => {
  const srv = await notifier();
  const tC = await db.addTenant("limits-c");
  const dis = await db.addUser(tA, "disabled@limits.test");
  const del = await db.addUser(tA, "deleted@limits.test");
  const orphan = await db.addUser(tC, "orphan@limits.test");
  const tok = { dis: await db.token(tA, dis), del: await db.token(tA, del), orphan: await db.token(tC, orphan) };
  for (const k of Object.keys(tok)) assert.equal(await connectCode(srv.url, { auth: { token: tok[k] } }), "connected", k);
  await db.sql("UPDATE roomcast.users SET status = 'disabled' WHERE id = $1", [dis]);
  await db.sql("DELETE FROM roomcast.users WHERE id = $1", [del]);
  await db.sql("DELETE FROM roomcast.tenants WHERE id = $1", [tC]);
  for (const [k, what] of [["dis", "disabled user"], ["del", "deleted user"], ["orphan", "user of a deleted tenant"]]) {
    for (const nsp of ["", "/notifications"]) {
      const code = await connectCode(srv.url, { auth: { token: tok[k] } }, nsp);
      assert.equal(code, "Unauthorized/UNAUTHORIZED", `${what} on ${nsp || "/"}`);
    }
    console.log(`SECURITY|notifier/auth|CONNECT with an unexpired token of a ${what}|CONNECT_ERROR UNAUTHORIZED`);
  }
  // an active user still connects, in the same order as before: connected, then the count
  const N = await as(srv, tA, a1, "/notifications");
  await waitFor(N.events, (e) => e[0] === "notification:unread_count");
  assert.equal(N.events[0][0], "connected");
  const metrics = await (await fetch(`${srv.url}/metrics`)).text();
  assert.match(metrics, /roomcast_auth_failures_total\{code="UNAUTHORIZED"\} 6/);
  await done(srv);
});

test("join-rca: a string rcaId is encoded as the id; numbers, objects, arrays, null and hostile strings are refused", async () => {
  const srv = await notifier();
  const A = await as(srv, tA, a1);
  assert.deepEqual(await ask(A, "join-rca", "rca-1"), { success: true, room: `tenant:${tA}:rca:rca-1` });
  assert.deepEqual(await ask(A, "leave-rca", "rca-1"), { success: true, room: `tenant:${tA}:rca:rca-1` });
  const hostile = [
    ["a number", 5, "INVALID_ARGUMENT"],
    ["an object with a kind", { kind: "doc", id: "1" }, "INVALID_ARGUMENT"],
    ["an array", ["rca-1"], "INVALID_ARGUMENT"],
    ["null", null, "INVALID_ARGUMENT"],
    ["true", true, "INVALID_ARGUMENT"],
    ["a string with quotes", 'x","kind":"doc', "LIMIT_EXCEEDED"],
    ["a string with backslashes", "a\\\"b\\", "LIMIT_EXCEEDED"],
    ["a string with a NUL and newline", "a\u0000b\n", "INVALID_ARGUMENT"],
    ["a 200 KB string", "x".repeat(200000), "LIMIT_EXCEEDED"],
  ];
  for (const [what, v, code] of hostile) {
    const r = await ask(A, "join-rca", v);
    assert.equal(r.success, false, what);
    assert.equal(r.error.code, code, `${what}: ${JSON.stringify(r).slice(0, 200)}`);
    if (typeof v !== "string") assert.match(r.error.message, /rcaId must be a string/);
    console.log(`SECURITY|notifier/rpc|join-rca with ${what}|${code}; no room joined`);
  }
  const noArg = await ask(A, "join-rca");
  assert.equal(noArg.error.code, "INVALID_ARGUMENT");
  assert.deepEqual((await ask(A, "rooms")).sort(), [`tenant:${tA}`, `tenant:${tA}:user:${a1}`].sort());
  await done(srv);
});

test("sockets that leave while their requests wait or run are never answered, and the notifier stays up", async () => {
  const srv = await notifier(["--rpc-pool", "2", "--max-conns-per-user", "0"]);
  const W = await as(srv, tA, a2);
  assert.deepEqual(await ask(W, "join", { kind: "rca", id: "room-x" }), { success: true, room: `tenant:${tA}:rca:room-x` });
  for (let round = 0; round < 3; round++) {
    const batch = [];
    for (let i = 0; i < 40; i++) batch.push(await as(srv, tA, i % 2 ? a1 : a2));
    for (const c of batch) {
      c.socket.emit("slow", { s: 0.05 }, () => {});
      c.socket.emit("join", { kind: "rca", id: "room-x" }, () => {});
      c.socket.emit("get_unread_count", () => {});
    }
    await sleep(round * 30);
    for (const c of batch) c.socket.disconnect();
  }
  // CONNECTs that go away before the database answered
  for (let i = 0; i < 20; i++) {
    const c = connectAs(srv.url, { auth: { token: await db.token(tA, a1) } }).catch(() => null);
    setTimeout(() => c.then((x) => x?.socket.close()), 0);
  }
  await sleep(500);
  console.log("SECURITY|notifier/rpc|120 sockets disconnect with slow calls, joins and counts queued or running|replies dropped by reference; notifier up, no sanitizer report");
  assert.deepEqual(await ask(W, "slow", { s: 0 }), { slept: true });
  assert.equal(srv.proc.exitCode, null);
  await done(srv);
});

test("--rpc-queue: a tenant over its tenth, or over the whole queue once it has 4 waiting, gets RATE_LIMITED; a quiet tenant is still admitted", async () => {
  const srv = await notifier(["--rpc-pool", "1", "--rpc-queue", "40", "--rate", "100000"]);
  const tC = await db.addTenant("limits-qc"), tD = await db.addTenant("limits-qd");
  const c1 = await db.addUser(tC, "c1@limits.test"), d1 = await db.addUser(tD, "d1@limits.test");
  const A = await as(srv, tA, a1), B = await as(srv, tB, b1), C = await as(srv, tC, c1), D = await as(srv, tD, d1);
  // hold the only connection for 1.5 s, so that nothing drains while the queues fill
  const blocker = ask(A, "slow", { s: 1.5 });
  await sleep(200);
  const batch = async (c, n) => {
    const p = [];
    for (let i = 0; i < n; i++) p.push(ask(c, "get_unread_count"));
    await sleep(100);
    return p;
  };
  const pa = await batch(A, 20), pb = await batch(B, 20), pc = await batch(C, 12), pd = await batch(D, 2);
  const [ra, rb, rc, rd] = await Promise.all([pa, pb, pc, pd].map((p) => Promise.all(p)));
  assert.deepEqual(await blocker, { slept: true });
  const lim = (r) => r.filter((x) => x.error?.code === "RATE_LIMITED");
  // per tenant: 40 / 10 = 4, at least 16
  assert.equal(lim(ra).length, 4);
  assert.match(lim(ra)[0].error.message, /this tenant/);
  assert.equal(lim(rb).length, 4);
  // overall 40 reached by C's 8th: C (8 waiting, past the reserve of 4) is refused
  assert.equal(lim(rc).length, 4);
  assert.match(lim(rc)[0].error.message, /too many requests waiting/);
  assert.ok([...lim(ra), ...lim(rb), ...lim(rc)].every((x) => x.error.retryAfter >= 1000));
  // D has fewer than 4 waiting: admitted although the queue is full
  assert.deepEqual(rd, [{ count: 0 }, { count: 0 }]);
  console.log("SECURITY|notifier/rpc|three tenants fill --rpc-queue 40 behind a held connection|over a tenant's 16 or past the reserve: RATE_LIMITED; a fourth quiet tenant still admitted");
  await done(srv);
});

test("CONNECT while the rpc pool cannot reach the database: CONNECT_ERROR UNAVAILABLE, then connected once it is back", async () => {
  const srv = await notifier(["--rpc-pool", "1"]);
  assert.equal(await connectCode(srv.url, { auth: { token: await db.token(tA, a1) } }), "connected");
  const pool = async () => {
    const m = await (await fetch(`${srv.url}/metrics`)).text();
    return `${m.match(/^roomcast_rpc_pool_up (\d+)$/m)?.[1]}/${m.match(/^roomcast_rpc_pool_size (\d+)$/m)?.[1]}`;
  };
  assert.equal(await pool(), "1/1", "roomcast_rpc_pool_up 1 of roomcast_rpc_pool_size 1");
  await db.sql("ALTER ROLE rc_e2e_notifier CONNECTION LIMIT 1"); // the listener keeps its slot
  try {
    await db.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'roomcast-notifier-rpc'", [db.name]);
    await until(async () => (await connectCode(srv.url, { auth: { token: await db.token(tA, a1) } })) === "Service unavailable/UNAVAILABLE", 10000, "UNAVAILABLE");
    assert.equal(await pool(), "0/1", "roomcast_rpc_pool_up 0 while the pool cannot connect");
    console.log("SECURITY|notifier/auth|CONNECT while the database cannot confirm the user|CONNECT_ERROR UNAVAILABLE (fail closed)");
  } finally {
    await db.sql("ALTER ROLE rc_e2e_notifier CONNECTION LIMIT -1");
  }
  await until(async () => (await connectCode(srv.url, { auth: { token: await db.token(tA, a1) } })) === "connected", 20000, "connected again");
  assert.equal(await pool(), "1/1", "roomcast_rpc_pool_up 1 again");
  await done(srv);
});

test("a CONNECT still waiting for the database when --connect-timeout runs out: CONNECT_ERROR UNAVAILABLE, not a bare close", async () => {
  const srv = await notifier(["--rpc-pool", "1", "--connect-timeout", "1000"]);
  const A = await as(srv, tA, a1);
  const slow = ask(A, "slow", { s: 3 }); // the pool's only connection is busy for 3 s
  await sleep(200);
  const code = await connectCode(srv.url, { auth: { token: await db.token(tA, a2) } });
  console.log(`SECURITY|notifier/auth|CONNECT not confirmed by a busy database within --connect-timeout|${code.replace(/\|/g, "/")}`);
  assert.equal(code, "Service unavailable/UNAVAILABLE", "the CONNECT is answered before its session closes");
  assert.deepEqual(await slow, { slept: true }, "the request ahead of it still ran");
  assert.match(await (await fetch(`${srv.url}/metrics`)).text(), /roomcast_drops_total\{reason="connect_timeout"\} 1/);
  await done(srv);
});

// A TCP proxy to the database for the rpc pool (--rpc-db). Once armed, the next bytes the
// notifier sends on a connection are not forwarded: the proxy answers them as a backend
// terminated at that moment does (a FATAL ErrorResponse, then a reset, since the query
// was never read). The notifier (pid) is stopped meanwhile, so that it wakes to a socket
// holding unread data and an error at once, as a loaded machine makes it do by chance.
async function resetProxy() {
  const fatal = (() => {
    const fields = Buffer.from("SFATAL\0C57P01\0Mterminating connection due to administrator command\0\0");
    const head = Buffer.alloc(5);
    head.write("E");
    head.writeInt32BE(fields.length + 4, 1);
    return Buffer.concat([head, fields]);
  })();
  const conns = new Set();
  let armed = 0; // the notifier's pid while armed
  const server = net.createServer((client) => {
    const up = net.connect(Number(process.env.PGPORT), process.env.PGHOST);
    conns.add(client);
    const drop = () => {
      conns.delete(client);
      client.destroy();
      up.destroy();
    };
    client.on("error", drop).on("close", drop);
    up.on("error", drop).on("close", drop);
    up.on("data", (d) => client.write(d));
    let started = false;
    client.on("data", (d) => {
      if (armed && started) {
        const pid = armed;
        armed = 0;
        process.kill(pid, "SIGSTOP");
        client.write(fatal);
        client.resetAndDestroy();
        up.destroy();
        setTimeout(() => process.kill(pid, "SIGCONT"), 200);
        return;
      }
      started = true; // the startup packet always goes through
      up.write(d);
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: server.address().port,
    arm: (pid) => (armed = pid),
    close: () => {
      for (const c of conns) c.destroy();
      server.close();
    },
  };
}

test("a CONNECT whose rpc connection is reset with the server's last message unread: CONNECT_ERROR UNAVAILABLE, and the pool reconnects", async () => {
  const proxy = await resetProxy();
  try {
    // a short --connect-timeout: a CONNECT left unanswered shows as a close, not a long wait
    const rpcDb = `host=127.0.0.1 port=${proxy.port} dbname=${db.name} user=rc_e2e_notifier`;
    const srv = await notifier(["--rpc-pool", "1", "--rpc-db", rpcDb, "--connect-timeout", "3000"]);
    const code = async () => connectCode(srv.url, { auth: { token: await db.token(tA, a1) } });
    assert.equal(await code(), "connected");
    proxy.arm(srv.proc.pid);
    const refused = await code();
    console.log("SECURITY|notifier/auth|CONNECT while its rpc connection is reset with the server's FATAL unread|" + refused.replace(/\|/g, "/"));
    assert.equal(refused, "Service unavailable/UNAVAILABLE", "the CONNECT in flight is answered, not dropped");
    await until(async () => (await code()) === "connected", 15000, "connected again (the pool reconnected)");
    await done(srv);
  } finally {
    proxy.close();
  }
});

test("the database restarts in the middle of requests: the pool reconnects and requests are answered again", async () => {
  const srv = await notifier(["--rpc-pool", "3"]);
  const A = await as(srv, tA, a1);
  await until(async () => (await rpcBackends()) === 3, 10000, "3 rpc connections");
  const inflight = [];
  for (let i = 0; i < 30; i++) inflight.push(ask(A, "slow", { s: 0.05 }).catch((e) => ({ timeout: e.message })));
  await sleep(100);
  const pgctl = [`${process.env.RC_PG_BIN}/pg_ctl`, "-D", process.env.RC_PGDATA, "-l", `${process.env.RC_TMP}/pglog/postgres.log`, "-m", "fast", "-w", "restart"];
  const cmd = process.getuid() === 0 ? ["runuser", "-u", process.env.RC_PG_OSUSER || "postgres", "--", ...pgctl] : pgctl;
  const res = spawnSync(cmd[0], cmd.slice(1), { stdio: "ignore" });
  assert.equal(res.status, 0, "pg_ctl restart");
  const during = await Promise.all(inflight);
  const codes = new Set(during.map((r) => (r.slept ? "ok" : r.error?.code ?? "timeout")));
  for (const c of codes) assert.ok(["ok", "UNAVAILABLE"].includes(c), `answered ${c}`);
  // answered again once the pool is back (backoff 1 s, then 2 s)
  const t0 = Date.now();
  await until(async () => (await ask(A, "slow", { s: 0 })).slept === true, 15000, "rpc answered after the restart");
  const admin = new pg.Client({ database: db.name });
  await admin.connect();
  await until(async () => (await rpcBackends(admin)) === 3, 15000, "3 rpc connections again");
  await admin.end();
  console.log(`SECURITY|notifier/rpc|database restarted with 30 calls in flight|in flight: ${[...codes].join("/")}; pool back in ${Date.now() - t0} ms`);
  assert.equal(srv.proc.exitCode, null);
  await done(srv);
});
