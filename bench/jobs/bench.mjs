// bench/jobs/bench.mjs — end-to-end job throughput (enqueue → claim → complete) of
// roomcast's queue, pg-boss and graphile-worker on the same PostgreSQL cluster in the
// same run, plus the time from roomcast.complete() to the requester's socket.
// Run by bench/jobs/run (which starts the private cluster and the databases).
//
// Every system: BENCH_JOBS jobs (default 100,000) with empty payloads, enqueued by one
// producer in transactions of 1,000 while BENCH_WORKERS (4) workers run; the clock runs
// from the first enqueue to the last completion in the database. Every worker records
// the ids it ran: the check is "each job ran exactly once, none lost".
//   roomcast          claim(n => 100) and one complete() per job, batched in one statement
//   roomcast+events   the same with a requester, so job:queued/started/completed go to the log
//   pg-boss 10        4 instances, work() with batchSize 100, pollingIntervalSeconds 0.5 (its minimum)
//   graphile-worker   one runner, concurrency 4 (LISTEN/NOTIFY wake-ups), its recommended set-up
import pg from "pg";
import { spawn } from "node:child_process";
import net from "node:net";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import PgBoss from "pg-boss";
import { run as gwRun, runMigrations as gwMigrate, Logger as GwLogger } from "graphile-worker";
import { io } from "socket.io-client";

const N = Number(process.env.BENCH_JOBS || 100000);
const W = Number(process.env.BENCH_WORKERS || 4);
const TX = 1000;
const T = "b0000000-0000-0000-0000-00000000000a";
const U = "b0000000-0000-0000-0000-000000000001";
const only = (process.env.BENCH_ONLY || "roomcast,roomcast+events,pg-boss,graphile-worker,latency").split(",");
const conn = (db, user = process.env.PGUSER) =>
  `postgresql://${user}@${process.env.PGHOST}:${process.env.PGPORT}/${db}`;
const client = async (db, user) => {
  const c = new pg.Client({ connectionString: conn(db, user) });
  await c.connect();
  return c;
};
const results = [];

// Check the ids the workers ran: every job once, none lost
function verify(name, ids) {
  const distinct = new Set(ids.map(String)).size;
  return { ran: ids.length, distinct, exactlyOnce: ids.length === N && distinct === N };
}

async function report(name, t0, ids, extra = {}) {
  const secs = (performance.now() - t0) / 1000;
  const r = { system: name, jobs: N, workers: W, seconds: +secs.toFixed(2), jobsPerSecond: Math.round(N / secs), ...verify(name, ids), ...extra };
  results.push(r);
  console.error(`${name}: ${r.jobsPerSecond} jobs/s (${r.seconds} s), exactly once: ${r.exactlyOnce}`);
}

// ---- roomcast
async function benchRoomcast(name, withUser) {
  const db = "bench_roomcast";
  const admin = await client(db);
  await admin.query("TRUNCATE roomcast.jobs");
  await admin.query("CHECKPOINT");
  const producer = await client(db);
  const workers = await Promise.all(Array.from({ length: W }, () => client(db, "bench_worker")));
  const ids = [];
  let produced = 0;
  let done = 0;
  const t0 = performance.now();
  const prod = (async () => {
    for (let i = 0; i < N; i += TX) {
      const n = Math.min(TX, N - i);
      await producer.query(`BEGIN; SELECT roomcast.set_identity('${T}', ${withUser ? `'${U}'` : "NULL"});
        SELECT count(roomcast.enqueue('bench', '{}', 'normal', '{"delay_ms": 0}')) FROM generate_series(1, ${n}); COMMIT`);
      produced += n;
    }
  })();
  await Promise.all(workers.map(async (w) => {
    let wake = null;
    w.on("notification", () => wake?.());
    await w.query("LISTEN roomcast_jobs");
    while (done < N) {
      const r = await w.query("SELECT c->>'id' AS id FROM roomcast.claim('{bench}', 100) c");
      if (r.rows.length === 0) {
        if (produced === N && done >= N) break;
        // wait for a wake-up (a hint only) or 50 ms
        await Promise.race([new Promise((res) => (wake = res)), sleep(50)]);
        wake = null;
        continue;
      }
      const batch = r.rows.map((x) => x.id);
      await w.query("SELECT count(roomcast.complete(id, '{}')) FROM unnest($1::uuid[]) id", [batch]);
      for (const id of batch) ids.push(id);
      done += batch.length;
    }
  }));
  await prod;
  const st = (await admin.query("SELECT count(*) FILTER (WHERE status = 'completed' AND attempt = 1)::int AS ok FROM roomcast.jobs")).rows[0];
  const ev = (await admin.query("SELECT count(*)::int AS n FROM roomcast.events WHERE event LIKE 'job:%'")).rows[0].n;
  await report(name, t0, ids, { completedInTable: st.ok, events: ev });
  await Promise.all([admin, producer, ...workers].map((c) => c.end()));
}

// ---- pg-boss
async function benchPgBoss() {
  const db = "bench_pgboss";
  const bosses = Array.from({ length: W }, () => new PgBoss({ connectionString: conn(db), max: 3, supervise: false, schedule: false }));
  const setup = new PgBoss({ connectionString: conn(db), max: 2 });
  setup.on("error", (e) => console.error("pg-boss:", e.message));
  await setup.start();
  await setup.createQueue("bench");
  for (const b of bosses) {
    b.on("error", (e) => console.error("pg-boss:", e.message));
    await b.start();
  }
  const admin = await client(db);
  await admin.query("CHECKPOINT");
  const ids = [];
  const t0 = performance.now();
  const prod = (async () => {
    for (let i = 0; i < N; i += TX) {
      const n = Math.min(TX, N - i);
      await setup.insert(Array.from({ length: n }, () => ({ name: "bench", data: {} })));
    }
  })();
  for (const b of bosses)
    await b.work("bench", { batchSize: 100, pollingIntervalSeconds: 0.5 }, async (jobs) => {
      for (const j of jobs) ids.push(j.id);
    });
  await prod;
  // poll the table only for the tail: a count over the whole queue every
  // 20 ms would slow pg-boss down
  while (ids.length < N) await sleep(5);
  for (;;) {
    const n = (await admin.query("SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'bench' AND state = 'completed'")).rows[0].n;
    if (n >= N) break;
    await sleep(20);
  }
  await report("pg-boss", t0, ids, { version: "10.4.2", settings: "4 instances, batchSize 100, pollingIntervalSeconds 0.5" });
  for (const b of bosses) await b.stop({ graceful: false, wait: true });
  await setup.stop({ graceful: false, wait: true });
  await admin.end();
}

// ---- graphile-worker
async function benchGraphile() {
  const db = "bench_graphile";
  await gwMigrate({ connectionString: conn(db) });
  const admin = await client(db);
  await admin.query("CHECKPOINT");
  const ids = [];
  const logger = new GwLogger(() => (level, message) => { if (level === "error") console.error("graphile-worker:", message); });
  const t0 = performance.now();
  const runner = await gwRun({
    connectionString: conn(db), concurrency: W, noHandleSignals: true, pollInterval: 1000, logger,
    taskList: { bench: async (_payload, helpers) => { ids.push(helpers.job.id); } },
  });
  const producer = await client(db);
  for (let i = 0; i < N; i += TX) {
    const n = Math.min(TX, N - i);
    await producer.query(`SELECT count(graphile_worker.add_job('bench', '{}'::json)) FROM generate_series(1, ${n})`);
  }
  while (ids.length < N) await sleep(5);
  for (;;) {
    const left = (await admin.query("SELECT count(*)::int AS n FROM graphile_worker.jobs")).rows[0].n;
    if (left === 0 && ids.length >= N) break;
    await sleep(20);
  }
  await report("graphile-worker", t0, ids, { version: "0.16.6", settings: "one runner, concurrency 4, LISTEN/NOTIFY" });
  await runner.stop();
  await Promise.all([admin, producer].map((c) => c.end()));
}

// ---- complete() → socket latency through the notifier
function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

async function benchLatency(samples = 300) {
  const db = "bench_roomcast";
  const admin = await client(db);
  const port = await freePort();
  const notifier = spawn(process.env.RC_NOTIFIER, ["--listen", `127.0.0.1:${port}`, "--db",
    `host=${process.env.PGHOST} port=${process.env.PGPORT} dbname=${db} user=bench_notifier`], { stdio: ["ignore", "ignore", "inherit"] });
  for (let i = 0; i < 100; i++) {
    try { if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break; } catch { /* not yet */ }
    await sleep(50);
  }
  const token = (await admin.query(`SELECT roomcast.sign(jsonb_build_object('sub', $1::text, 'tenantId', $2::text, 'role', 'member')) AS t`, [U, T])).rows[0].t;
  const socket = io(`http://127.0.0.1:${port}`, { transports: ["websocket"], auth: { token }, forceNew: true, reconnection: false });
  await new Promise((res, rej) => { socket.once("connected", res); socket.once("connect_error", rej); });
  const waiting = new Map();
  socket.on("job:completed", (d) => { const w = waiting.get(d.id); if (w) w(performance.now()); });
  const producer = await client(db);
  const worker = await client(db, "bench_worker");
  const ms = [];
  for (let i = 0; i < samples; i++) {
    await producer.query(`BEGIN; SELECT roomcast.set_identity('${T}', '${U}'); SELECT roomcast.enqueue('lat', '{}'); COMMIT`);
    const id = (await worker.query("SELECT c->>'id' AS id FROM roomcast.claim('{lat}') c")).rows[0].id;
    const arrived = new Promise((res) => waiting.set(id, res));
    const t0 = performance.now();
    await worker.query("SELECT roomcast.complete($1, '{\"text\": \"done\"}')", [id]);
    ms.push((await arrived) - t0);
    waiting.delete(id);
  }
  ms.sort((a, b) => a - b);
  const q = (p) => +ms[Math.min(ms.length - 1, Math.floor(p * ms.length))].toFixed(2);
  const r = { system: "roomcast complete() → socket", samples, p50ms: q(0.5), p95ms: q(0.95), p99ms: q(0.99), maxms: +ms.at(-1).toFixed(2) };
  results.push(r);
  console.error(`complete → socket: p50 ${r.p50ms} ms, p95 ${r.p95ms} ms, p99 ${r.p99ms} ms`);
  socket.close();
  notifier.kill("SIGTERM");
  await Promise.all([admin, producer, worker].map((c) => c.end()));
}

if (only.includes("roomcast")) await benchRoomcast("roomcast", false);
if (only.includes("roomcast+events")) await benchRoomcast("roomcast+events", true);
if (only.includes("pg-boss")) await benchPgBoss();
if (only.includes("graphile-worker")) await benchGraphile();
if (only.includes("latency")) await benchLatency();

const thr = results.filter((r) => r.jobsPerSecond);
const peers = thr.filter((r) => !r.system.startsWith("roomcast"));
const best = peers.length ? Math.max(...peers.map((r) => r.jobsPerSecond)) : null;
console.log("| system | jobs | workers | seconds | jobs/s | vs faster peer | exactly once |");
console.log("|---|---|---|---|---|---|---|");
for (const r of thr)
  console.log(`| ${r.system} | ${r.jobs} | ${r.workers} | ${r.seconds} | ${r.jobsPerSecond} | ${best ? (r.jobsPerSecond / best).toFixed(2) + "×" : "-"} | ${r.exactlyOnce} |`);
for (const r of results.filter((x) => x.p50ms !== undefined))
  console.log(`\n${r.system}: p50 ${r.p50ms} ms, p95 ${r.p95ms} ms, p99 ${r.p99ms} ms, max ${r.maxms} ms (${r.samples} samples)`);
console.log(JSON.stringify({ when: new Date().toISOString(), results }));
process.exit(0);
