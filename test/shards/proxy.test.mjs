// proxy.test.mjs — the PL/Proxy proxy database of examples/shards/proxy.sql
// against two shards (suite 52-shards starts them): the same SQL for tenants
// on both shards, keys on every shard, the tenant directory, workers,
// refresh, and every cross-tenant or hostile-role attempt failing with the
// SQLSTATE a direct call on a shard gets.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { connect, sqlstate, makeTenant, asToken } from "./lib.mjs";

let owner, svc, A, B, s1, s2;

before(async () => {
  owner = await connect("proxy");
  svc = await connect("proxy", "rc_svc");
  s1 = await connect("s1");
  s2 = await connect("s2");
  A = await makeTenant(svc, 0, "proxy-a");
  B = await makeTenant(svc, 1, "proxy-b");
  for (const [t, db, n] of [[A, s1, 2], [B, s2, 3]]) {
    for (let i = 1; i <= n; i++) {
      await db.query("INSERT INTO public.cases VALUES ($1, $2, $3)", [t.id, i, `case ${i}`]);
      await db.query("INSERT INTO public.notes VALUES ($1, $2, 1, 'note')", [t.id, i]);
    }
  }
});

after(async () => {
  for (const c of [owner, svc, s1, s2]) await c?.end();
});

const md5keys = async (db) =>
  (await db.query("SELECT string_agg(kid || ':' || md5(secret) || ':' || (retired_at IS NOT NULL), ',' ORDER BY kid) AS k FROM roomcast.signing_keys")).rows[0].k;

test("signing keys: add and retire through the proxy reach every shard; an application role may not", async () => {
  await owner.query("SELECT roomcast.add_signing_key('k2', decode(repeat('7b', 32), 'hex'))");
  assert.equal(await md5keys(s1), await md5keys(s2));
  assert.match(await md5keys(s1), /k2:[0-9a-f]{32}:false/);
  await owner.query("SELECT roomcast.retire_signing_key('k2')");
  assert.equal(await md5keys(s1), await md5keys(s2));
  assert.match(await md5keys(s2), /k2:[0-9a-f]{32}:true/);
  const app = await connect("proxy", "rc_app");
  const direct = await connect("s1", "rc_app");
  const viaProxy = await sqlstate(() => app.query("SELECT roomcast.add_signing_key('k3', decode(repeat('7c', 32), 'hex'))"));
  const onShard = await sqlstate(() => direct.query("SELECT roomcast.add_signing_key('k3', decode(repeat('7c', 32), 'hex'))"));
  assert.equal(viaProxy, "42501");
  assert.equal(viaProxy, onShard);
  console.log("SECURITY|shards/keys|application role calls add_signing_key through the proxy|42501 as on a shard, no key added anywhere");
  await app.end();
  await direct.end();
});

test("the directory places tenants; an unlisted tenant goes to hashtext(id) mod shards and is written down", async () => {
  assert.equal((await s1.query("SELECT count(*)::int AS n FROM roomcast.tenants WHERE id = $1", [A.id])).rows[0].n, 1);
  assert.equal((await s2.query("SELECT count(*)::int AS n FROM roomcast.tenants WHERE id = $1", [A.id])).rows[0].n, 0);
  assert.equal((await s2.query("SELECT count(*)::int AS n FROM roomcast.tenants WHERE id = $1", [B.id])).rows[0].n, 1);
  const { rows } = await svc.query("SELECT roomcast.create_tenant('hashed', 'Hashed') AS id");
  const id = rows[0].id;
  const part = (await owner.query("SELECT abs(hashtext($1::text) % 2) AS p", [id])).rows[0].p;
  const on = part === 0 ? s1 : s2;
  const off = part === 0 ? s2 : s1;
  assert.equal((await on.query("SELECT count(*)::int AS n FROM roomcast.tenants WHERE id = $1", [id])).rows[0].n, 1);
  assert.equal((await off.query("SELECT count(*)::int AS n FROM roomcast.tenants WHERE id = $1", [id])).rows[0].n, 0);
  const dir = await owner.query("SELECT part FROM roomcast_proxy.tenants WHERE tenant_id = $1", [id]);
  assert.equal(dir.rows[0].part, part);
});

test("the same SQL for tenants on both shards: emit lands on the tenant's shard, loaders see its rows", async () => {
  for (const [t, own, other, ncases] of [[A, s1, s2, 2], [B, s2, s1, 3]]) {
    const pos = await asToken("proxy", "rc_app", t.tokens[1], async (c) => {
      const r = await c.query("SELECT roomcast.emit(roomcast.tenant_room(), 'same-sql', '{\"x\":1}') AS pos");
      const m = await c.query("SELECT count(j)::int AS n FROM roomcast.load_many('public.cases', 'id', $1::bigint[]) j", [[1, 2, 3]]);
      assert.equal(m.rows[0].n, ncases, "load_many sees the tenant's own rows");
      const g = await c.query("SELECT count(j)::int AS n FROM roomcast.load_grouped('public.notes', 'case_id', $1::bigint[]) j", [[1]]);
      assert.equal(g.rows[0].n, 1, "load_grouped: one group for key 1");
      return r.rows[0].pos;
    });
    assert.ok(Number(pos) > 0);
    const ev = await own.query("SELECT count(*)::int AS n FROM roomcast.events WHERE tenant_id = $1 AND event = 'same-sql'", [t.id]);
    assert.equal(ev.rows[0].n, 1, "the event is in the log of the tenant's shard");
    const stray = await other.query("SELECT count(*)::int AS n FROM roomcast.events WHERE tenant_id = $1", [t.id]);
    assert.equal(stray.rows[0].n, 0, "nothing of the tenant on the other shard");
  }
});

test("set_identity through the proxy: a service role acts for a tenant, an application role gets 42501 as on a shard", async () => {
  await svc.query("BEGIN");
  await svc.query("SELECT roomcast.set_identity($1, NULL, 'service')", [B.id]);
  const r = await svc.query("SELECT roomcast.emit_to_tenant('svc-event') AS pos, roomcast.current_role() AS role");
  await svc.query("COMMIT");
  assert.equal(r.rows[0].role, "service");
  assert.equal((await s2.query("SELECT count(*)::int AS n FROM roomcast.events WHERE event = 'svc-event' AND tenant_id = $1", [B.id])).rows[0].n, 1);
  const app = await connect("proxy", "rc_app");
  const direct = await connect("s2", "rc_app");
  const viaProxy = await sqlstate(() => app.query("SELECT roomcast.set_identity($1)", [B.id]));
  const onShard = await sqlstate(() => direct.query("SELECT roomcast.set_identity($1)", [B.id]));
  assert.equal(viaProxy, "42501");
  assert.equal(viaProxy, onShard);
  console.log("SECURITY|shards/identity|application role calls set_identity through the proxy|42501, as on the shard");
  await app.end();
  await direct.end();
});

test("jobs: requesters on both shards, one worker claims through the proxy and completes each on its shard", async () => {
  const ids = [];
  for (const t of [A, B])
    ids.push(await asToken("proxy", "rc_app", t.tokens[1], async (c) =>
      (await c.query("SELECT roomcast.enqueue('shardjob', '{\"q\":1}', 'high') AS id")).rows[0].id));
  const w = await connect("proxy", "rc_worker");
  const claimed = (await w.query("SELECT j FROM roomcast.claim(ARRAY['shardjob'], 5) j")).rows.map((r) => r.j);
  assert.deepEqual(claimed.map((j) => j.id).sort(), [...ids].sort(), "one claim got the jobs of both shards");
  for (const j of claimed) {
    assert.equal((await w.query("SELECT roomcast.progress($1, 50) AS ok", [j.id])).rows[0].ok, true);
    assert.equal((await w.query("SELECT roomcast.chunk($1, 0, 'part') AS ok", [j.id])).rows[0].ok, true);
    assert.equal((await w.query("SELECT roomcast.complete($1, '{\"answer\":42}') AS ok", [j.id])).rows[0].ok, true);
  }
  for (const [t, id] of [[A, ids[0]], [B, ids[1]]]) {
    const st = await asToken("proxy", "rc_app", t.tokens[1], async (c) =>
      (await c.query("SELECT roomcast.job_status($1) AS s", [id])).rows[0].s);
    assert.equal(st.status, "completed");
  }
  // an application role is no worker, through the proxy as on a shard
  const app = await connect("proxy", "rc_app");
  const direct = await connect("s1", "rc_app");
  assert.equal(await sqlstate(() => app.query("SELECT roomcast.claim(ARRAY['shardjob'])")), "42501");
  assert.equal(await sqlstate(() => direct.query("SELECT roomcast.claim(ARRAY['shardjob'])")), "42501");
  await app.end();
  await direct.end();
  await w.end();
});

test("sessions through the proxy: issue_tokens, refresh rotates, a reused refresh token revokes (RC402)", async () => {
  const t = (await svc.query("SELECT roomcast.issue_tokens($1, $2) AS t", [B.id, B.users[1]])).rows[0].t;
  assert.ok(t.refresh_token.startsWith(`${B.id}.`), "the refresh token carries its tenant for routing");
  const app = await connect("proxy", "rc_app");
  const r = (await app.query("SELECT roomcast.refresh($1) AS t", [t.refresh_token])).rows[0].t;
  assert.ok(r.access_token && r.refresh_token.startsWith(`${B.id}.`));
  assert.equal(await sqlstate(() => app.query("SELECT roomcast.refresh($1)", [t.refresh_token])), "RC402");
  assert.equal(await sqlstate(() => app.query("SELECT roomcast.refresh($1)", [r.refresh_token])), "RC402",
    "reuse revoked the whole family");
  // a prefix naming another tenant routes to a shard that does not know the token
  const forged = `${A.id}.${r.refresh_token.slice(37)}`;
  assert.equal(await sqlstate(() => app.query("SELECT roomcast.refresh($1)", [forged])), "RC402");
  console.log("SECURITY|shards/sessions|refresh token with another tenant's routing prefix|RC402 unknown refresh token on that shard");
  await app.end();
});

// The attempts of tenant A's user on B, run on the proxy and directly on A's shard
const attempts = [
  ["emit into tenant B's room", (c, b) => c.query("SELECT roomcast.emit($1, 'x')", [`tenant:${b.id}`])],
  ["job_status of an unknown (other shard's) job", (c) => c.query("SELECT roomcast.job_status('00000000-0000-4000-8000-000000000001')")],
];

test("cross-tenant attempts through the proxy fail with the SQLSTATEs of direct calls", async () => {
  for (const [what, fn] of attempts) {
    const viaProxy = await sqlstate(() => asToken("proxy", "rc_app", A.tokens[1], (c) => fn(c, B)));
    const direct = await sqlstate(() => asToken("s1", "rc_app", A.tokens[1], (c) => fn(c, B)));
    assert.notEqual(viaProxy, "ok", what);
    assert.equal(viaProxy, direct, what);
    console.log(`SECURITY|shards/tenancy|${what} through the proxy|${viaProxy}, the same SQLSTATE as a direct call`);
  }
  // reads under RLS: B's case ids give A nothing, as directly
  const n = await asToken("proxy", "rc_app", A.tokens[1], async (c) =>
    (await c.query("SELECT count(j)::int AS n FROM roomcast.load_many('public.cases', 'id', $1::bigint[]) j", [[3]])).rows[0].n);
  assert.equal(n, 0, "case 3 exists only for B");
  // a token whose payload was changed to tenant B: routed to B's shard, refused there
  const [h, p, s] = A.tokens[1].split(".");
  const claims = JSON.parse(Buffer.from(p, "base64url"));
  claims.tenantId = B.id;
  const forged = `${h}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.${s}`;
  const app = await connect("proxy", "rc_app");
  const direct = await connect("s2", "rc_app");
  const viaProxy = await sqlstate(() => app.query("SELECT roomcast.rpc($1, 'get_recent', '{}')", [forged]));
  assert.equal(viaProxy, "RC402");
  assert.equal(viaProxy, await sqlstate(() => direct.query("SELECT roomcast.rpc($1, 'get_recent', '{}')", [forged])));
  assert.equal(await sqlstate(() => app.query("SELECT roomcast.authenticate($1)", [forged])), "RC402");
  assert.equal(await sqlstate(() => app.query("SELECT roomcast.authenticate('not.a.token')")), "RC402");
  console.log("SECURITY|shards/tenancy|token of tenant A with its tenantId changed to B|routed to B's shard, RC402 signature mismatch");
  await app.end();
  await direct.end();
});

test("a hostile application role on the proxy gains no service powers on a shard", async () => {
  const app = await connect("proxy", "rc_app");
  // forge the proxy session's identity: the shard runs set_identity as rc_app
  await app.query("BEGIN");
  await app.query("SELECT set_config('roomcast_proxy.tenant', $1, true), set_config('roomcast_proxy.role', 'service', true)", [B.id]);
  assert.equal(await sqlstate(() => app.query("SELECT roomcast.emit_to_tenant('forged')")), "42501");
  await app.query("ROLLBACK");
  console.log("SECURITY|shards/identity|set_config of the proxy's identity settings to another tenant as service|42501 on the shard (set_identity re-checked as the mapped role)");
  // call the internal PL/Proxy function with a service identity
  assert.equal(await sqlstate(() => app.query(
    "SELECT roomcast_proxy.emit_to_tenant(NULL, $1, NULL, 'service', 'forged', '{}', '/')", [B.id])), "42501");
  console.log("SECURITY|shards/identity|internal PL/Proxy function called with a service identity|42501 on the shard");
  // a PL/Proxy function of its own (CONNECT as postgres): the language is untrusted
  assert.equal(await sqlstate(() => app.query(
    "CREATE FUNCTION pg_temp.evil() RETURNS text LANGUAGE plproxy AS $$ CONNECT 'dbname=roomcast user=postgres'; SELECT current_user; $$")), "42501");
  console.log("SECURITY|shards/proxy|CREATE FUNCTION LANGUAGE plproxy with its own connect string|42501 permission denied for language plproxy");
  // the directory and the cluster configuration are not the application's
  for (const q of [
    ["SELECT roomcast_proxy.place_tenant($1, 0)", [B.id]],
    ["SELECT roomcast_proxy.freeze_tenant($1, true)", [B.id]],
    ["SELECT * FROM roomcast_proxy.tenants", []],
    ["SELECT roomcast_proxy.configure_shards(ARRAY['host=127.0.0.1 dbname=postgres user=postgres'])", []],
    ["SELECT roomcast_proxy.map_role('rc_app', 'postgres')", []],
    ["SELECT roomcast_proxy.route_jobs(ARRAY['{}'::jsonb])", []],
  ]) assert.equal(await sqlstate(() => app.query(q[0], q[1])), "42501", q[0]);
  console.log("SECURITY|shards/proxy|re-route a tenant, read the directory, redefine shards or user mappings|42501");
  // another role's shard credentials stay hidden
  const um = await app.query("SELECT usename, umoptions FROM pg_user_mappings WHERE srvname = 'roomcast_shards' AND usename <> 'rc_app'");
  assert.ok(um.rows.length > 0 && um.rows.every((r) => r.umoptions === null), "other mappings' options are hidden");
  console.log("SECURITY|shards/proxy|read pg_user_mappings for the service role's shard credentials|options NULL (hidden)");
  await app.end();
  // a role without a user mapping cannot reach any shard
  const nomap = await connect("proxy", "rc_nomap");
  const st = await sqlstate(() => nomap.query("SELECT roomcast.rpc($1, 'get_recent', '{}')", [A.tokens[1]]));
  assert.notEqual(st, "ok");
  console.log(`SECURITY|shards/proxy|role with no user mapping calls roomcast.rpc|refused (${st})`);
  await nomap.end();
});

test("a frozen tenant (being moved) is refused with 55000 until thawed; others are not", async () => {
  await owner.query("SELECT roomcast_proxy.freeze_tenant($1, true)", [A.id]);
  const app = await connect("proxy", "rc_app");
  assert.equal(await sqlstate(() => app.query("SELECT roomcast.rpc($1, 'get_recent', '{}')", [A.tokens[1]])), "55000");
  assert.equal(await sqlstate(() => app.query("SELECT roomcast.rpc($1, 'get_recent', '{}')", [B.tokens[1]])), "ok");
  await owner.query("SELECT roomcast_proxy.freeze_tenant($1, false)", [A.id]);
  assert.equal(await sqlstate(() => app.query("SELECT roomcast.rpc($1, 'get_recent', '{}')", [A.tokens[1]])), "ok");
  await app.end();
});

test("maintain() through the proxy runs on every shard for the notifier's role, not for an application", async () => {
  const n = await connect("proxy", "rc_notif");
  const m = (await n.query("SELECT roomcast.maintain() AS m")).rows[0].m;
  assert.equal(m.length, 2, "one answer per shard");
  await n.end();
  const app = await connect("proxy", "rc_app");
  assert.equal(await sqlstate(() => app.query("SELECT roomcast.maintain()")), "42501");
  await app.end();
});

test("no identity: RC401 through the proxy as directly", async () => {
  const app = await connect("proxy", "rc_app");
  const direct = await connect("s1", "rc_app");
  for (const q of ["SELECT roomcast.emit_to_tenant('x')", "SELECT roomcast.unread_count()", "SELECT roomcast.current_tenant()"]) {
    const st = await sqlstate(() => app.query(q));
    assert.equal(st, "RC401", q);
    assert.equal(st, await sqlstate(() => direct.query(q)), q);
  }
  await app.end();
  await direct.end();
});

test("adding a shard: configure_shards with a third one; placed tenants stay, a new tenant lands there", async () => {
  // the third shard: another database in s2's cluster, set up as the others
  await s2.query("DROP DATABASE IF EXISTS roomcast3");
  await s2.query("CREATE DATABASE roomcast3");
  await s2.query("ALTER DATABASE roomcast3 SET roomcast_shard.id = 's3'");
  const pg = (await import("pg")).default;
  const s3 = new pg.Client({ host: "127.0.0.1", port: s2.port, database: "roomcast3", user: "postgres" });
  s3.on("notice", () => {});
  await s3.connect();
  await s3.query("SET client_min_messages = warning");
  await s3.query("CREATE EXTENSION roomcast CASCADE");
  for (const k of (await s1.query("SELECT kid, alg, encode(secret, 'hex') AS s, retired_at FROM roomcast.signing_keys")).rows)
    await s3.query("INSERT INTO roomcast.signing_keys (kid, alg, secret, retired_at) VALUES ($1, $2, decode($3, 'hex'), $4)",
      [k.kid, k.alg, k.s, k.retired_at]);
  const base = (p, db) => `host=127.0.0.1 port=${p} dbname=${db}`;
  const two = [base(s1.port, "roomcast"), base(s2.port, "roomcast")];
  await owner.query("SELECT roomcast_proxy.configure_shards($1)", [[...two, base(s2.port, "roomcast3")]]);
  try {
    const C = await makeTenantOn(2, s3);
    const pos = await asToken("proxy", "rc_app", C.token, async (c) =>
      (await c.query("SELECT roomcast.emit_to_tenant('on-s3') AS p")).rows[0].p);
    assert.ok(Number(pos) > 0);
    assert.equal((await s3.query("SELECT count(*)::int AS n FROM roomcast.events WHERE event = 'on-s3'")).rows[0].n, 1);
    // B (placed on partition 1 before) still works and stays on s2
    await asToken("proxy", "rc_app", B.tokens[1], (c) => c.query("SELECT roomcast.emit_to_tenant('still-s2')"));
    assert.equal((await s2.query("SELECT count(*)::int AS n FROM roomcast.events WHERE event = 'still-s2'")).rows[0].n, 1);
  } finally {
    await owner.query("SELECT roomcast_proxy.configure_shards($1)", [two]);
    await s3.end();
  }
});

// A tenant placed on partition part, with one user on shard db; { id, user, token }
async function makeTenantOn(part, db) {
  const { randomUUID } = await import("node:crypto");
  const id = randomUUID();
  const user = randomUUID();
  await svc.query("SELECT roomcast_proxy.place_tenant($1, $2)", [id, part]);
  await svc.query("SELECT roomcast.create_tenant('third', 'Third', $1)", [id]);
  await db.query("INSERT INTO roomcast.users (tenant_id, id, email) VALUES ($1, $2, 'c@third.test')", [id, user]);
  const { rows } = await svc.query("SELECT roomcast.sign($1::jsonb, '1 hour') AS t", [JSON.stringify({ sub: user, tenantId: id })]);
  return { id, user, token: rows[0].t };
}
