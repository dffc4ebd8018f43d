// jobs.test.mjs — the job queue end to end (SPEC §9): a socket.io-client enqueues through
// rpc job:enqueue, the example Python worker (examples/assistant/worker.py) claims it, the
// socket receives job:queued, job:started, the chunks in order and job:completed; a
// dropped transport mid-stream loses no chunk and duplicates none (the socket is recovered); cancel through the
// socket stops the worker; another tenant sees and cancels nothing.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { io } from "socket.io-client";
import { startNotifier } from "./lib/notifier.mjs";
import { createDb } from "./lib/db.mjs";
import { connectAs, waitFor } from "./lib/sockets.mjs";

let db, srv, worker, workerLog = "", tA, tB, a1, a2, b1;
const socks = [];

async function as(tenant, user, nsp = "") {
  const c = await connectAs(srv.url, { auth: { token: await db.token(tenant, user) } }, nsp);
  socks.push(c.socket);
  return c;
}
const ask = (c, ...args) => c.socket.timeout(5000).emitWithAck(...args);
// the events of one job, as [name, data, offset]
const of = (events, id, name) => events.filter((e) => e[0] === name && e[1]?.id === id);

before(async () => {
  db = await createDb("rc_e2e_jobs");
  tA = await db.addTenant("jobs-a");
  tB = await db.addTenant("jobs-b");
  a1 = await db.addUser(tA, "a1@jobs.test");
  a2 = await db.addUser(tA, "a2@jobs.test");
  b1 = await db.addUser(tB, "b1@jobs.test", "admin");
  // sockets may enqueue only kinds the operator opened to them
  await db.sql(`ALTER DATABASE rc_e2e_jobs SET roomcast.rpc_job_kinds = 'assistant'`);
  await db.sql(`DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rc_e2e_worker') THEN
        CREATE ROLE rc_e2e_worker LOGIN;
      END IF; END $$`);
  await db.sql("GRANT roomcast_worker TO rc_e2e_worker");
  srv = await startNotifier(["--db", db.conninfo]);
  const py = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
  worker = spawn(py, [`${process.env.RC_ROOT}/examples/assistant/worker.py`,
    "--dsn", `host=${process.env.PGHOST} port=${process.env.PGPORT} dbname=rc_e2e_jobs user=rc_e2e_worker`,
    "--word-delay", "0.03"], { stdio: ["ignore", "ignore", "pipe"] });
  worker.stderr.on("data", (d) => (workerLog += d));
  for (let i = 0; i < 100 && !workerLog.includes("listening"); i++) await sleep(50);
  assert.ok(workerLog.includes("listening"), `worker did not start: ${workerLog}`);
});

after(async () => {
  for (const s of socks) s.close();
  worker?.kill("SIGTERM");
  await srv?.stop();
  await db?.close();
});

test("enqueue through the socket: the worker claims it; job:queued, job:started, every chunk in order, job:completed", async () => {
  const A1 = await as(tA, a1);
  const r = await ask(A1, "job:enqueue", { kind: "assistant", payload: { prompt: "why is the build red", words: 10 } });
  assert.equal(r.success, true, JSON.stringify(r));
  const id = r.id;
  const done = await waitFor(A1.events, (e) => e[0] === "job:completed" && e[1].id === id, 10000);
  const queued = of(A1.events, id, "job:queued");
  assert.equal(queued.length, 1);
  assert.equal(queued[0][1].kind, "assistant");
  assert.equal(typeof queued[0][1].position, "number");
  assert.equal(of(A1.events, id, "job:started").length, 1);
  const chunks = of(A1.events, id, "job:chunk");
  assert.deepEqual(chunks.map((c) => c[1].seq), [...Array(10).keys()]);
  assert.equal(chunks.map((c) => c[1].text).join(""), done[1].result.text);
  // the order of arrival is the order of the log: queued < started < chunks < completed
  const names = A1.events.filter((e) => e[1]?.id === id).map((e) => e[0]);
  assert.deepEqual([names[0], names[1], names.at(-1)], ["job:queued", "job:started", "job:completed"]);
  const st = await ask(A1, "job:status", { id });
  assert.equal(st.status, "completed");
  assert.equal(st.result.text, done[1].result.text);
});

test("a dropped transport mid-stream: the recovered socket has every chunk exactly once, in order", async () => {
  const token = await db.token(tA, a1);
  const socket = io(srv.url, { transports: ["websocket"], auth: { token }, forceNew: true,
    reconnection: true, reconnectionDelay: 100, reconnectionDelayMax: 200 });
  socks.push(socket);
  const got = [];    // [event, data, offset] of this job's events as received, live or recovered
  socket.onAny((name, data, offset) => {
    if (String(name).startsWith("job:")) got.push([name, data, offset]);
  });
  let connects = 0;
  socket.on("connected", () => connects++);
  await new Promise((resolve) => socket.once("connected", resolve));
  const r = await socket.timeout(5000).emitWithAck("job:enqueue",
    { kind: "assistant", payload: { prompt: "a long streamed answer", words: 60 } });
  const id = r.id;
  const chunksOf = () => got.filter((e) => e[0] === "job:chunk" && e[1].id === id);
  while (chunksOf().length < 5) await sleep(5);
  const beforeDrop = chunksOf().length;
  socket.io.engine.close();            // the transport drops; socket.io-client reconnects with {pid, offset}
  while (connects < 2) await sleep(10);
  assert.equal(socket.recovered, true, "the notifier recovered the session (issue 10)");
  for (let i = 0; i < 400 && !got.some((e) => e[0] === "job:completed" && e[1].id === id); i++) await sleep(25);
  const chunks = chunksOf();
  assert.deepEqual(chunks.map((c) => c[1].seq), [...Array(60).keys()], "every chunk exactly once, in order");
  const offsets = chunks.map((c) => Number(c[2]));
  assert.deepEqual(offsets, [...offsets].sort((x, y) => x - y), "in log order");
  assert.equal(new Set(offsets).size, 60, "no offset twice");
  console.log(`# drop after ${beforeDrop} of 60 chunks: the rest arrived after recovery (socket.recovered=true)`);
  socket.close();
});

test("cancel through the socket: job:cancelled; the worker stops streaming", async () => {
  const A1 = await as(tA, a1);
  const { id } = await ask(A1, "job:enqueue", { kind: "assistant", payload: { prompt: "cancel me", words: 300 } });
  await waitFor(A1.events, (e) => e[0] === "job:chunk" && e[1].id === id && e[1].seq >= 2, 10000);
  assert.deepEqual(await ask(A1, "job:cancel", { id }), { success: true, cancelled: true });
  await waitFor(A1.events, (e) => e[0] === "job:cancelled" && e[1].id === id);
  await sleep(400);
  const at = A1.events.findIndex((e) => e[0] === "job:cancelled" && e[1].id === id);
  assert.equal(A1.events.slice(at).filter((e) => e[0] === "job:chunk" && e[1].id === id).length, 0, "no chunk after job:cancelled");
  assert.equal(of(A1.events, id, "job:completed").length, 0);
  assert.equal((await ask(A1, "job:status", { id })).status, "cancelled");
  assert.match(workerLog, new RegExp(`job ${id} attempt 1: cancelled`));
});

test("tenant isolation: another tenant's (and another user's) job ids, status, chunks and results are invisible and uncancellable", async () => {
  const A1 = await as(tA, a1);
  const A2 = await as(tA, a2);
  const B1 = await as(tB, b1);   // B's admin
  const { id } = await ask(A1, "job:enqueue", { kind: "assistant", payload: { prompt: "secret plans", words: 5 } });
  await waitFor(A1.events, (e) => e[0] === "job:completed" && e[1].id === id, 10000);
  const sB = await ask(B1, "job:status", { id });
  assert.equal(sB.error?.code, "FORBIDDEN");
  const cB = await ask(B1, "job:cancel", { id });
  assert.equal(cB.error?.code, "FORBIDDEN");
  const sNone = await ask(B1, "job:status", { id: "00000000-0000-0000-0000-000000000001" });
  assert.deepEqual(sB.error.message.replace(id, "X"), sNone.error.message.replace("00000000-0000-0000-0000-000000000001", "X"),
    "same answer as for a job that does not exist");
  console.log("SECURITY|jobs/rpc|tenant B admin asks job:status and job:cancel for tenant A's job id|FORBIDDEN, same message as an unknown id; job untouched");
  const s2 = await ask(A2, "job:status", { id });
  assert.equal(s2.error?.code, "FORBIDDEN");
  console.log("SECURITY|jobs/rpc|another user of the same tenant asks job:status of a colleague's job|FORBIDDEN");
  assert.equal(B1.events.filter((e) => e[0].startsWith("job:")).length, 0);
  assert.equal(A2.events.filter((e) => e[0].startsWith("job:")).length, 0);
  console.log("SECURITY|jobs/events|tenant B and user a2 connected while a1's job streams|no job:* event reaches them");
  assert.equal((await ask(A1, "job:status", { id })).status, "completed");
});

test("bad input through the socket: closed kinds, bad priority, bad options, missing id", async () => {
  const A1 = await as(tA, a1);
  const closed = await ask(A1, "job:enqueue", { kind: "billing", payload: {} });
  assert.equal(closed.error?.code, "FORBIDDEN");
  console.log("SECURITY|jobs/rpc|socket enqueues a kind not in roomcast.rpc_job_kinds (billing)|FORBIDDEN; no job row");
  const prio = await ask(A1, "job:enqueue", { kind: "assistant", payload: {}, priority: "urgent" });
  assert.equal(prio.error?.code, "INVALID_ARGUMENT");
  const opts = await ask(A1, "job:enqueue", { kind: "assistant", payload: {}, opts: { delay_ms: -5 } });
  assert.equal(opts.error?.code, "INVALID_ARGUMENT");
  const big = await ask(A1, "job:enqueue", { kind: "assistant", payload: { p: "x".repeat(70000) } });
  assert.equal(big.error?.code, "LIMIT_EXCEEDED");
  const noid = await ask(A1, "job:status", {});
  assert.equal(noid.error?.code, "INVALID_ARGUMENT");
  const { rows } = await db.sql("SELECT count(*)::int AS n FROM roomcast.jobs WHERE kind = 'billing' OR payload ? 'p'");
  assert.equal(rows[0].n, 0);
});
