// test/shards/lib.mjs — connections to the three clusters of suite 52-shards
// (the proxy and two shards, ports in SHARD_PROXY_PORT, SHARD1_PORT,
// SHARD2_PORT) and helpers shared by its node tests.
import pg from "pg";
import { randomUUID } from "node:crypto";

export const ports = {
  proxy: Number(process.env.SHARD_PROXY_PORT),
  s1: Number(process.env.SHARD1_PORT),
  s2: Number(process.env.SHARD2_PORT),
};

export function conninfo(where, user) {
  const db = where === "proxy" ? "proxy" : "roomcast";
  return `host=127.0.0.1 port=${ports[where]} dbname=${db} user=${user}`;
}

// A connected client to where ("proxy", "s1", "s2") as user; notices are dropped
export async function connect(where, user = "postgres") {
  const c = new pg.Client({
    host: "127.0.0.1",
    port: ports[where],
    database: where === "proxy" ? "proxy" : "roomcast",
    user,
  });
  c.on("notice", () => {});
  await c.connect();
  return c;
}

// The SQLSTATE fn's query fails with, or "ok"
export async function sqlstate(fn) {
  try {
    await fn();
    return "ok";
  } catch (e) {
    return e.code ?? String(e);
  }
}

// A tenant placed on partition part (0 = s1, 1 = s2) through the proxy, with
// users on its shard; returns { id, shard, users: [ids], tokens: [tokens] }
export async function makeTenant(svc, part, slug, nusers = 2) {
  const id = randomUUID();
  await svc.query("SELECT roomcast_proxy.place_tenant($1, $2)", [id, part]);
  await svc.query("SELECT roomcast.create_tenant($1, $1, $2)", [slug, id]);
  const shard = part === 0 ? "s1" : "s2";
  const admin = await connect(shard);
  const users = [];
  const tokens = [];
  for (let i = 0; i < nusers; i++) {
    const u = randomUUID();
    await admin.query("INSERT INTO roomcast.users (tenant_id, id, email, role) VALUES ($1, $2, $3, $4)", [
      id, u, `${slug}${i}@shard.test`, i === 0 ? "admin" : "member"]);
    users.push(u);
    const { rows } = await svc.query("SELECT roomcast.sign($1::jsonb, '1 hour') AS t", [
      JSON.stringify({ sub: u, tenantId: id, role: i === 0 ? "admin" : "member" })]);
    tokens.push(rows[0].t);
  }
  await admin.end();
  return { id, shard, users, tokens };
}

// Run fn(client) in a transaction on where as user, after authenticate(token)
export async function asToken(where, user, token, fn) {
  const c = await connect(where, user);
  try {
    await c.query("BEGIN");
    await c.query("SELECT roomcast.authenticate($1)", [token]);
    const r = await fn(c);
    await c.query("COMMIT");
    return r;
  } finally {
    await c.end();
  }
}
