// test/upgrade/truncate.test.mjs — run by suite 28-upgrade. A notifier connected to a
// database at 0.1.0 keeps working while the extension is upgraded under it, and after the
// upgrade TRUNCATE of roomcast.users or roomcast.tenants disconnects the sockets of the
// truncated users (0.2.0's kick_tenant triggers). On 0.1.0 the same TRUNCATE leaves them
// connected: that is the gap 0.2.0 closes, shown here so the test fails if it reopens.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { startNotifier } from "../e2e/lib/notifier.mjs";
import { connectAs, waitFor } from "../e2e/lib/sockets.mjs";

const DB = "upg_truncate";
const ROLE = "rc_upg_notifier";
let db, srv;
const socks = [];
const tA = randomUUID(), tB = randomUUID();
const a1 = randomUUID(), a2 = randomUUID(), b1 = randomUUID();
const sql = (q, p) => db.query(q, p);

// both tenants and their users (again, after a TRUNCATE)
async function seed() {
  await sql(`INSERT INTO roomcast.tenants (id, slug, name) VALUES ($1, 'upg-ta', 'A'), ($2, 'upg-tb', 'B')
             ON CONFLICT DO NOTHING`, [tA, tB]);
  await sql(`INSERT INTO roomcast.users (tenant_id, id, email) VALUES ($1, $2, 'a1@t.test'), ($1, $3, 'a2@t.test'),
             ($4, $5, 'b1@t.test')`, [tA, a1, a2, tB, b1]);
}

async function as(tenant, user) {
  const { rows } = await sql("SELECT roomcast.sign($1::jsonb, '1 hour') AS t",
    [JSON.stringify({ sub: user, tenantId: tenant, role: "member" })]);
  const c = await connectAs(srv.url, { auth: { token: rows[0].t } });
  socks.push(c.socket);
  return c;
}

// the disconnect reason, or "still connected" after ms
const gone = (c, ms = 5000) => Promise.race([
  new Promise((r) => (c.socket.connected ? c.socket.once("disconnect", r) : r("already"))),
  sleep(ms).then(() => "still connected"),
]);

async function emitToTenant(tenant, event) {
  const c = new pg.Client({ database: DB });
  await c.connect();
  try {
    await c.query("BEGIN");
    await c.query("SELECT roomcast.set_identity($1)", [tenant]);
    await c.query("SELECT roomcast.emit_to_tenant($1, '{}')", [event]);
    await c.query("COMMIT");
  } finally {
    await c.end();
  }
}

before(async () => {
  const admin = new pg.Client({ database: "postgres" });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${DB}`);
  await admin.query(`DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${ROLE}') THEN CREATE ROLE ${ROLE} LOGIN; END IF;
    END $$`);
  await admin.end();
  db = new pg.Client({ database: DB });
  await db.connect();
  await sql("SET client_min_messages = warning");
  await sql("CREATE EXTENSION roomcast VERSION '0.1.0'");
  await sql(`GRANT roomcast_notifier TO ${ROLE}`);
  await sql("SELECT roomcast.add_signing_key('k1', decode(repeat('7e', 32), 'hex'))");
  await seed();
  srv = await startNotifier(["--db", `host=${process.env.PGHOST} port=${process.env.PGPORT} dbname=${DB} user=${ROLE}`]);
});

after(async () => {
  for (const s of socks) s.close();
  await srv?.stop();
  await db?.end();
  const admin = new pg.Client({ database: "postgres" });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  await admin.end();
});

test("on 0.1.0 a TRUNCATE of users leaves their sockets connected (the gap)", async () => {
  const { rows } = await sql("SELECT extversion FROM pg_extension WHERE extname = 'roomcast'");
  assert.equal(rows[0].extversion, "0.1.0");
  const c = await as(tA, a1);
  await emitToTenant(tA, "before-upgrade");
  await waitFor(c.events, (e) => e[0] === "before-upgrade");
  const left = gone(c, 1500);
  await sql("TRUNCATE roomcast.users CASCADE");
  assert.equal(await left, "still connected");
  await seed();
});

test("the notifier keeps delivering while ALTER EXTENSION roomcast UPDATE runs under it", async () => {
  const c = await as(tA, a2);
  await sql("ALTER EXTENSION roomcast UPDATE");
  const { rows } = await sql("SELECT extversion FROM pg_extension WHERE extname = 'roomcast'");
  assert.equal(rows[0].extversion, "0.2.0");
  await emitToTenant(tA, "after-upgrade");
  await waitFor(c.events, (e) => e[0] === "after-upgrade");
  const fresh = await as(tB, b1);	// and new connections authenticate
  assert.equal(fresh.socket.connected, true);
});

test("after the upgrade TRUNCATE roomcast.users disconnects every socket of the truncated users", async () => {
  const S = [await as(tA, a1), await as(tA, a2), await as(tB, b1)];
  const all = Promise.all(S.map((c) => gone(c)));
  await sql("TRUNCATE roomcast.users CASCADE");
  assert.deepEqual(await all, ["io server disconnect", "io server disconnect", "io server disconnect"]);
  console.log("SECURITY|extension/control|TRUNCATE roomcast.users while 3 sockets of 2 tenants are connected|all 3 disconnected");
  await seed();
});

test("after the upgrade TRUNCATE roomcast.tenants CASCADE disconnects them too; a rolled-back one does not", async () => {
  const S = [await as(tA, a1), await as(tB, b1)];
  const stay = gone(S[0], 1500);
  await sql("BEGIN");
  await sql("TRUNCATE roomcast.tenants CASCADE");
  await sql("ROLLBACK");
  assert.equal(await stay, "still connected");
  const all = Promise.all(S.map((c) => gone(c)));
  await sql("TRUNCATE roomcast.tenants CASCADE");
  assert.deepEqual(await all, ["io server disconnect", "io server disconnect"]);
  console.log("SECURITY|extension/control|TRUNCATE roomcast.tenants CASCADE with sockets of 2 tenants connected|both disconnected; a rolled-back TRUNCATE disconnects nobody");
});
