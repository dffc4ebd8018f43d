// test/e2e/lib/db.mjs — a private database with the roomcast extension for one e2e test
// file: a signing key, tenants and users, a LOGIN role granted roomcast_notifier for
// `roomcast-notifier --db`, tokens, and SQL helpers that emit as a tenant.
import pg from "pg";
import { randomUUID } from "node:crypto";

// Create (or recreate) database `name` with the extension and key "k1".
// Returns { name, conninfo, sql(q, params), token(tenant, user, extra), addUser(...), ... }.
export async function createDb(name) {
  const admin = new pg.Client({ database: "postgres" });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.query(`DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rc_e2e_notifier') THEN
        CREATE ROLE rc_e2e_notifier LOGIN;
      END IF; END $$`);
  await admin.end();
  const db = new pg.Client({ database: name });
  await db.connect();
  await db.query("SET client_min_messages = warning");
  await db.query("CREATE EXTENSION roomcast CASCADE");
  await db.query("CREATE EXTENSION IF NOT EXISTS pgcrypto");
  await db.query("GRANT roomcast_notifier TO rc_e2e_notifier");
  await db.query("SELECT roomcast.add_signing_key('k1', gen_random_bytes(32))");
  const conninfo = `host=${process.env.PGHOST} port=${process.env.PGPORT} dbname=${name} user=rc_e2e_notifier`;

  const sql = (q, params) => db.query(q, params);
  return {
    name,
    conninfo,
    client: db,
    sql,
    // a tenant with a random id; returns its id
    async addTenant(slug) {
      const id = randomUUID();
      await sql("INSERT INTO roomcast.tenants (id, slug, name) VALUES ($1, $2, $2)", [id, slug]);
      return id;
    },
    async addUser(tenant, email, role = "member") {
      const id = randomUUID();
      await sql("INSERT INTO roomcast.users (tenant_id, id, email, role) VALUES ($1, $2, $3, $4)", [tenant, id, email, role]);
      return id;
    },
    // a token signed by the database; extra claims are merged (e.g. {exp: 1})
    async token(tenant, user, extra = {}, ttl = "1 hour") {
      const claims = { sub: user, tenantId: tenant, role: "member", email: `${user.slice(0, 8)}@e2e.test`, ...extra };
      const { rows } = await sql("SELECT roomcast.sign($1::jsonb, $2::interval) AS t", [JSON.stringify(claims), ttl]);
      return rows[0].t;
    },
    // run fn(query) in one transaction acting as (tenant, user); commits unless rollback
    async asTenant(tenant, user, fn, { rollback = false } = {}) {
      const c = new pg.Client({ database: name });
      await c.connect();
      try {
        await c.query("BEGIN");
        await c.query("SELECT roomcast.set_identity($1, $2, 'member')", [tenant, user]);
        const r = await fn((q, p) => c.query(q, p));
        await c.query(rollback ? "ROLLBACK" : "COMMIT");
        return r;
      } finally {
        await c.end();
      }
    },
    async close() {
      await db.end();
    },
  };
}
