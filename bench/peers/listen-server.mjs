// listen-server.mjs — the Node.js peer of the fan-out benchmark (bench/fanout/run):
// socket.io 4.8 with what an application would write by hand to do roomcast's job.
// It verifies each CONNECT's JWT locally with the keys of roomcast.signing_keys (HS256/384/512,
// exp), joins tenant:{t} and tenant:{t}:user:{u} as the notifier does, greets with `connected`,
// and LISTENs on the database: on channel roomcast each notification is a hint and the events
// are read back with roomcast.notifier_read (docs/protocol.md), as the notifier does; on any
// other channel the event is the payload. Each event is emitted to its room as
// emit(event, data, String(pos)), so the bytes on the wire match the notifier's. Unlike the
// notifier it does no roomcast.authenticate() round trip per CONNECT (that only costs connect
// time, which the benchmark does not compare) and no catch-up after a lost connection.
//
//   node listen-server.mjs PORT PING_INTERVAL_MS PING_TIMEOUT_MS DATABASE [CHANNEL]
// (host, port and user of the database from PGHOST, PGPORT, PGUSER; loopback only)
import http from "node:http";
import { createHmac, timingSafeEqual } from "node:crypto";
import pg from "pg";
import { Server } from "socket.io";

const [portArg, pingArg, timeoutArg, database, channel = "roomcast"] = process.argv.slice(2);
const port = Number(portArg);
if (!port || !database || !/^[a-z_]+$/.test(channel)) {
  console.error("usage: node listen-server.mjs PORT PING_INTERVAL_MS PING_TIMEOUT_MS DATABASE [CHANNEL]");
  process.exit(2);
}

const db = new pg.Client({ database, application_name: "bench-node-peer" });
await db.connect();
const keys = new Map();
for (const k of (await db.query("SELECT kid, alg, secret FROM roomcast.signing_keys WHERE retired_at IS NULL")).rows) {
  keys.set(k.kid, k);
}
const HASH = { HS256: "sha256", HS384: "sha384", HS512: "sha512" };

// the claims of a valid token, else null
function verify(token) {
  if (typeof token !== "string") return null;
  const parts = token.split(".");
  if (parts.length !== 3) return null;
  try {
    const header = JSON.parse(Buffer.from(parts[0], "base64url"));
    const key = keys.get(header.kid);
    if (!key || key.alg !== header.alg || !HASH[key.alg]) return null;
    const want = createHmac(HASH[key.alg], key.secret).update(`${parts[0]}.${parts[1]}`).digest();
    const got = Buffer.from(parts[2], "base64url");
    if (got.length !== want.length || !timingSafeEqual(got, want)) return null;
    const claims = JSON.parse(Buffer.from(parts[1], "base64url"));
    if (typeof claims.exp !== "number" || claims.exp * 1000 < Date.now()) return null;
    if (typeof claims.sub !== "string" || typeof claims.tenantId !== "string") return null;
    return claims;
  } catch {
    return null;
  }
}

const httpServer = http.createServer();
const io = new Server(httpServer, {
  pingInterval: Number(pingArg) || 25000,
  pingTimeout: Number(timeoutArg) || 20000,
  maxHttpBufferSize: 1000000,
});

io.use((socket, next) => {
  const claims = verify(socket.handshake.auth?.token);
  if (!claims) return next(Object.assign(new Error("Unauthorized"), { data: { code: "INVALID_TOKEN" } }));
  socket.data.user = { userId: claims.sub, tenantId: claims.tenantId, role: claims.role, email: claims.email };
  next();
});

io.on("connection", (socket) => {
  const { userId, tenantId } = socket.data.user;
  socket.join([`tenant:${tenantId}`, `tenant:${tenantId}:user:${userId}`]);
  socket.emit("connected", { message: "connected", timestamp: Date.now() });
});

// a socket never gets another tenant's event; namespace "/" only
const send = (tenant, room, nsp, event, data, pos) => {
  if (nsp === "/" && room.startsWith(`tenant:${tenant}`)) io.to(room).emit(event, data, String(pos));
};

// channel roomcast: a notification is only a hint (docs/protocol.md); read what is new with
// roomcast.notifier_read, one query at a time, again while pages are full or hints came meanwhile
let afterPos = "0", afterControl = "0", reading = false, again = false;
async function readLog() {
  reading = true;
  do {
    again = false;
    const { rows } = await db.query(
      "SELECT pos, tenant_id::text AS t, room, nsp, event, data FROM roomcast.notifier_read($1, $2, 500)",
      [afterPos, afterControl],
    );
    let events = 0, controls = 0;
    for (const r of rows) {
      if (r.room === null) {
        afterControl = r.pos; // keys, kick…: not part of the benchmark
        controls++;
        continue;
      }
      send(r.t, r.room, r.nsp, r.event, JSON.parse(r.data), r.pos);
      afterPos = r.pos;
      events++;
    }
    if (events === 500 || controls === 500) again = true;
  } while (again);
  reading = false;
}

db.on("notification", (m) => {
  if (m.channel !== channel) return;
  if (channel === "roomcast") {
    if (reading) again = true;
    else readLog().catch((e) => console.error(e));
    return;
  }
  // any other channel: the event is the payload (the benchmark's hand-written outbox)
  let msg;
  try {
    msg = JSON.parse(m.payload);
  } catch {
    return;
  }
  if (msg.p !== undefined) send(msg.t, msg.r, msg.n, msg.e, msg.d, msg.p);
});
await db.query(`LISTEN ${channel}`);
if (channel === "roomcast") {
  const { rows } = await db.query("SELECT pos::text, control_id::text FROM roomcast.notifier_anchor()");
  [afterPos, afterControl] = [rows[0].pos, rows[0].control_id];
}

httpServer.listen(port, "127.0.0.1");
process.on("SIGTERM", () => process.exit(0));
process.on("SIGINT", () => process.exit(0));
console.error(`node peer on 127.0.0.1:${port}, LISTEN ${channel}`);
