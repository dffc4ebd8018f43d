// bench/delivery.mjs — commit → socket latency and events/s through one notifier (run by
// bench/delivery.sh against each build). Needs PG* env, the database in argv[2] (roomcast,
// a signing key, tenant T and users), the notifier's URL in argv[3]; prints one JSON line.
//
// Latency: SOCKETS sockets, each its own user; one event per transaction to a user room
// in turn, RATE per second for SECONDS; from just before COMMIT is sent to the moment the
// socket gets the event (same process, performance.now()), p50/p99/max in ms.
// Throughput: WRITERS sessions commit TOTAL events in transactions of BATCH to a room with
// no member; the notifier's roomcast_db_events_total (polled every 5 ms) shows when it has
// taken all of them in; events/s = TOTAL / (that moment - first COMMIT sent). No socket is
// in the way, so this is the database → notifier path itself (a single socket.io-client
// receiving 10,000 events/s is slower than either notifier).
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";

const require = createRequire(`${process.env.BENCH_NODE_ROOT}/test/package.json`);
const { io } = require("socket.io-client");
const pg = require("pg");

const [db, url] = process.argv.slice(2);
const T = "d0000000-0000-0000-0000-00000000000a";
const env = (k, d) => Number(process.env[k] ?? d);
const SOCKETS = env("BENCH_SOCKETS", 100), RATE = env("BENCH_RATE", 500), SECONDS = env("BENCH_SECONDS", 10);
const TOTAL = env("BENCH_TOTAL", 50000), BATCH = env("BENCH_BATCH", 50), WRITERS = env("BENCH_WRITERS", 4);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const user = (i) => `d0000000-0000-0000-0000-${String(i + 1).padStart(12, "0")}`;

const admin = new pg.Client({ database: db });
await admin.connect();
async function sock(i) {
  const { rows } = await admin.query("SELECT roomcast.sign(jsonb_build_object('sub', $1::text, 'tenantId', $2::text), '1 hour') AS t", [user(i), T]);
  const s = io(url, { transports: ["websocket"], reconnection: false, forceNew: true, auth: { token: rows[0].t } });
  await new Promise((res, rej) => { s.once("connected", res); s.once("connect_error", rej); });
  return s;
}

// --- latency
const socks = [];
for (let i = 0; i < SOCKETS; i++) socks.push(await sock(i));
const sentAt = new Map();
const lat = [];
for (const s of socks) s.on("lat", (d) => { const t0 = sentAt.get(d.seq); if (t0 !== undefined) lat.push(performance.now() - t0); });
const em = new pg.Client({ database: db });
await em.connect();
const n = RATE * SECONDS;
const start = performance.now();
for (let seq = 0; seq < n; seq++) {
  const due = start + (seq * 1000) / RATE;
  const wait = due - performance.now();
  if (wait > 1) await sleep(wait);
  await em.query("BEGIN");
  await em.query("SELECT roomcast.set_identity($1)", [T]);
  await em.query("SELECT roomcast.emit_to_user($1, 'lat', jsonb_build_object('seq', $2::int))", [user(seq % SOCKETS), seq]);
  sentAt.set(seq, performance.now());
  await em.query("COMMIT");
}
for (let i = 0; i < 200 && lat.length < n; i++) await sleep(10);
lat.sort((a, b) => a - b);
const q = (p) => lat.length ? Number(lat[Math.min(lat.length - 1, Math.floor(p * lat.length))].toFixed(3)) : null;

// --- throughput
const dbEvents = async () => Number(/^roomcast_db_events_total (\d+)$/m.exec(await (await fetch(`${url}/metrics`)).text())[1]);
const base = await dbEvents();
let got = 0, last = 0;
let done = false;
const poller = (async () => {
  while (!done) {
    const n = (await dbEvents()) - base;
    if (n > got) { got = n; last = performance.now(); }
    await sleep(5);
  }
})();
const writers = [];
for (let w = 0; w < WRITERS; w++) { const c = new pg.Client({ database: db }); await c.connect(); writers.push(c); }
const per = Math.floor(TOTAL / WRITERS / BATCH);
const t0 = performance.now();
await Promise.all(writers.map(async (c) => {
  for (let i = 0; i < per; i++) {
    await c.query("BEGIN");
    await c.query("SELECT roomcast.set_identity($1)", [T]);
    await c.query("SELECT count(roomcast.emit($2, 'tput', jsonb_build_object('i', i, 'status', 'open'))) FROM generate_series(1, $1) i", [BATCH, `tenant:${T}:case:nobody`]);
    await c.query("COMMIT");
  }
}));
const committed = performance.now();
const total = per * BATCH * WRITERS;
for (let i = 0; i < 3000 && got < total; i++) await sleep(10);
done = true;
await poller;
console.log(JSON.stringify({
  latency_events: n, latency_received: lat.length, p50_ms: q(0.5), p99_ms: q(0.99), max_ms: q(1),
  tput_events: total, tput_received: got, commit_events_per_s: Math.round(total / ((committed - t0) / 1000)),
  events_per_s: got ? Math.round(got / ((last - t0) / 1000)) : 0,
}));
for (const s of socks) s.close();
await Promise.all([admin.end(), em.end(), ...writers.map((c) => c.end())]);
