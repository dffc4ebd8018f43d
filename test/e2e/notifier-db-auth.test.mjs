// notifier-db-auth.test.mjs — authentication at every namespace CONNECT against a real
// database (SPEC §7): where the token comes from, the CONNECT_ERROR codes, the tenant and
// user rooms, key rotation without a restart, and a notifier whose database is unreachable.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { startNotifier, freePort } from "./lib/notifier.mjs";
import { createDb } from "./lib/db.mjs";
import { connectAs, connectCode } from "./lib/sockets.mjs";

let db, srv, tenant, user, partition;

before(async () => {
  db = await createDb("rc_e2e_auth");
  tenant = await db.addTenant("auth-a");
  user = await db.addUser(tenant, "ann@auth.test", "admin");
  // for the maintain() test: the event-log partition three days ahead is missing at start
  const { rows } = await db.sql(
    "SELECT 'roomcast.events_' || to_char((now() AT TIME ZONE 'UTC') + interval '3 days', 'YYYYMMDD') AS p");
  partition = rows[0].p;
  await db.sql(`DROP TABLE IF EXISTS ${partition}`);
  srv = await startNotifier(["--db", db.conninfo]);
});

after(async () => {
  await srv?.stop();
  await db?.close();
});

test("/healthz is 200 with db up once the listener has loaded the keys", async () => {
  const res = await fetch(`${srv.url}/healthz`);
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.status, "ok");
  assert.equal(body.db, "up");
});

test("a valid token in the auth payload connects; the socket gets connected {message, timestamp}", async () => {
  const token = await db.token(tenant, user, { role: "admin", email: "ann@auth.test" });
  for (const nsp of ["", "/notifications"]) {
    const t0 = Date.now();
    const { socket, connected } = await connectAs(srv.url, { auth: { token } }, nsp);
    assert.equal(socket.connected, true);
    assert.equal(typeof connected.message, "string");
    assert.ok(connected.timestamp >= t0 - 1000 && connected.timestamp <= Date.now() + 1000, `timestamp ${connected.timestamp}`);
    socket.close();
  }
});

test("the token may come from the Authorization header or the token query parameter; auth wins", async () => {
  const token = await db.token(tenant, user);
  assert.equal(await connectCode(srv.url, { extraHeaders: { Authorization: `Bearer ${token}` } }), "connected");
  assert.equal(await connectCode(srv.url, { query: { token } }), "connected");
  assert.equal(await connectCode(srv.url, { transports: ["polling"], query: { token } }), "connected");
  // the auth payload is looked at first: a bad one there is not rescued by a good header
  assert.equal(
    await connectCode(srv.url, { auth: { token: "x.y.z" }, extraHeaders: { Authorization: `Bearer ${token}` } }),
    "Unauthorized/INVALID_TOKEN",
  );
});

test("missing, malformed, forged and expired tokens get CONNECT_ERROR Unauthorized with their code", async () => {
  const good = await db.token(tenant, user);
  const [h, p] = good.split(".");
  const otherPayload = Buffer.from(JSON.stringify({ sub: user, tenantId: tenant, role: "admin", exp: 4102444800 })).toString("base64url");
  assert.equal(await connectCode(srv.url, {}), "Unauthorized/UNAUTHORIZED");
  assert.equal(await connectCode(srv.url, { auth: {} }), "Unauthorized/UNAUTHORIZED");
  assert.equal(await connectCode(srv.url, { auth: { token: "not a jwt" } }), "Unauthorized/INVALID_TOKEN");
  assert.equal(await connectCode(srv.url, { auth: { token: 42 } }), "Unauthorized/INVALID_TOKEN");
  assert.equal(await connectCode(srv.url, { auth: { token: `${h}.${otherPayload}.${good.split(".")[2]}` } }), "Unauthorized/INVALID_TOKEN");
  assert.equal(await connectCode(srv.url, { auth: { token: `${h}.${p}.AAAA` } }), "Unauthorized/INVALID_TOKEN");
  const expired = await db.token(tenant, user, { exp: Math.floor(Date.now() / 1000) - 60 });
  assert.equal(await connectCode(srv.url, { auth: { token: expired } }), "Unauthorized/TOKEN_EXPIRED");
  assert.equal(await connectCode(srv.url, { auth: { token: expired } }, "/notifications"), "Unauthorized/TOKEN_EXPIRED");
});

// Try until pred(code) holds: the notifier reloads keys on {"c":"keys"}, shortly after commit
async function eventually(fn, pred, ms = 5000) {
  const t0 = Date.now();
  let v;
  while (Date.now() - t0 < ms) {
    v = await fn();
    if (pred(v)) return v;
    await sleep(50);
  }
  return v;
}

test("a key added or retired in the database is picked up without a restart", async () => {
  const old = await db.token(tenant, user);
  await db.sql("SELECT roomcast.add_signing_key('k2', gen_random_bytes(48), 'HS384')");
  const fresh = await db.token(tenant, user); // signed with k2, the newest key
  assert.match(JSON.parse(Buffer.from(fresh.split(".")[0], "base64url")).kid, /^k2$/);
  assert.equal(await eventually(() => connectCode(srv.url, { auth: { token: fresh } }), (c) => c === "connected"), "connected");
  assert.equal(await connectCode(srv.url, { auth: { token: old } }), "connected", "k1 still active");
  await db.sql("SELECT roomcast.retire_signing_key('k1')");
  assert.equal(
    await eventually(() => connectCode(srv.url, { auth: { token: old } }), (c) => c !== "connected"),
    "Unauthorized/INVALID_TOKEN",
  );
  assert.equal(await connectCode(srv.url, { auth: { token: fresh } }), "connected");
});

test("--max-conns-per-user: further CONNECTs to a namespace get TOO_MANY_CONNECTIONS; refusals are counted in /metrics", async () => {
  const own = await startNotifier(["--db", db.conninfo, "--max-conns-per-user", "2"]);
  const open = [];
  try {
    const token = await db.token(tenant, user);
    for (let i = 0; i < 2; i++) open.push((await connectAs(own.url, { auth: { token } })).socket);
    assert.equal(await connectCode(own.url, { auth: { token } }), "Too many connections/TOO_MANY_CONNECTIONS");
    // per namespace: the same user may still open the notification namespace
    assert.equal(await connectCode(own.url, { auth: { token } }, "/notifications"), "connected");
    // another user of the tenant is not affected
    const other = await db.addUser(tenant, "bob@auth.test");
    assert.equal(await connectCode(own.url, { auth: { token: await db.token(tenant, other) } }), "connected");
    open.pop().close();
    assert.equal(await eventually(() => connectCode(own.url, { auth: { token } }), (c) => c === "connected"), "connected");
    assert.equal(await connectCode(own.url, { auth: { token: "x" } }), "Unauthorized/INVALID_TOKEN");
    const text = await (await fetch(`${own.url}/metrics`)).text();
    assert.match(text, /^roomcast_auth_failures_total\{code="TOO_MANY_CONNECTIONS"\} 1$/m);
    assert.match(text, /^roomcast_auth_failures_total\{code="INVALID_TOKEN"\} 1$/m);
  } finally {
    for (const s of open) s.close();
    await own.stop();
  }
});

test("the notifier runs roomcast.maintain() when it connects: the missing partition is created", async () => {
  const exists = async () => (await db.sql("SELECT to_regclass($1) IS NOT NULL AS e", [partition])).rows[0].e;
  assert.equal(await eventually(exists, (e) => e === true), true, `${partition} created`);
});

test("without a reachable database: /healthz 503 and every CONNECT is refused UNAUTHORIZED", async () => {
  const deadPort = await freePort();
  const own = await startNotifier(["--db", `host=127.0.0.1 port=${deadPort} dbname=x connect_timeout=2`]);
  try {
    const res = await fetch(`${own.url}/healthz`);
    assert.equal(res.status, 503);
    const body = await res.json();
    assert.equal(body.db, "down");
    const token = await db.token(tenant, user);
    assert.equal(await connectCode(own.url, { auth: { token } }), "Unauthorized/UNAUTHORIZED");
    assert.equal(own.proc.exitCode, null, "the notifier stays up");
  } finally {
    await own.stop();
  }
});
