// report.mjs — the report of bench/fanout/run: joins each case's commit times (emitter) with
// every socket's receive times (fanclients), checks that every socket got every event meant
// for it exactly once and in order, and prints the tables with ratios and the issue's aims.
// Writes results.json next to the raw files. Exits 1 if any delivery was missing, duplicated,
// out of order or misaddressed, or a socket was lost.
//
//   node bench/fanout/report.mjs bench/results/fanout-<time>
import fs from "node:fs";
import path from "node:path";

const dir = process.argv[2];
if (!dir) {
  console.error("usage: node report.mjs RESULTS_DIR");
  process.exit(2);
}
const read = (f) => fs.readFileSync(path.join(dir, f), "utf8");
const cases = read("cases.jsonl").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));

// nanosecond timestamps exceed 2^53: keep them relative to a BigInt base, in microseconds
let base = null;
const us = (s) => {
  const v = BigInt(s);
  if (base === null) base = v;
  return Number(v - base) / 1000;
};
const pct = (sorted, q) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] : NaN);
const median = (a) => pct([...a].sort((x, y) => x - y), 0.5);

let failures = 0;
const results = [];
for (const c of cases) {
  const commits = new Map(); // n -> {send, commit} in µs
  for (const line of read(`${c.case}.commits`).trim().split("\n").filter(Boolean)) {
    const [n, begin, commit, committed] = line.split(" ");
    commits.set(Number(n), { begin: us(begin), commit: us(commit), committed: us(committed) });
  }
  const fanout = c.case.startsWith("fanout");
  // roomcast positions follow commit order; the outbox's ids follow INSERT order, which a
  // hand-written outbox does not keep across concurrent writers: only exactly-once is checked
  const ordered = !c.case.includes("outbox");
  const S = c.sockets;
  // who should get event n: everyone (tenant room) or client (n-1) mod S (its user room)
  const expectedPerSocket = (idx) => {
    if (fanout) return commits.size;
    let k = 0;
    for (const n of commits.keys()) if ((n - 1) % S === idx) k++;
    return k;
  };
  const last = new Int32Array(S).fill(-1); // last n seen per socket
  const lastPos = new Float64Array(S).fill(-1); // last position seen per socket
  const seen = fanout ? null : new Set(); // stream: n already delivered (each n has one socket)
  const got = new Int32Array(S);
  const problems = [];
  const lat = []; // µs from COMMIT sent to the socket's read
  const latDone = []; // µs from COMMIT returned (negative when the socket was first)
  const perEvent = new Map(); // n -> [min, max] latency
  for (const f of ["0", "1"]) {
    const file = path.join(dir, `${c.case}.recv.${f}`);
    if (!fs.existsSync(file)) {
      problems.push(`no receive file ${f}`);
      continue;
    }
    for (const line of fs.readFileSync(file, "utf8").split("\n")) {
      if (!line) continue;
      const [si, sn, sp, st] = line.split(" ");
      const idx = Number(si), n = Number(sn), pos = Number(sp);
      if (n === 0) continue; // the emitter's warm-up event
      const ev = commits.get(n);
      if (!ev || idx >= S || (!fanout && (n - 1) % S !== idx)) {
        if (problems.length < 5) problems.push(`socket ${idx} got event ${n} that was not for it`);
        continue;
      }
      if (fanout ? n === last[idx] : seen.has(n)) {
        if (problems.length < 5) problems.push(`socket ${idx} got event ${n} twice`);
      } else if (ordered && (pos <= lastPos[idx] || (fanout && n < last[idx]))) {
        if (problems.length < 5) problems.push(`socket ${idx} got event ${n} (position ${pos}) after position ${lastPos[idx]}`);
      }
      seen?.add(n);
      last[idx] = Math.max(last[idx], n);
      lastPos[idx] = Math.max(lastPos[idx], pos);
      got[idx]++;
      const t = us(st);
      const l = t - ev.commit;
      lat.push(l);
      latDone.push(t - ev.committed);
      const pe = perEvent.get(n);
      if (pe) {
        pe[0] = Math.min(pe[0], l);
        pe[1] = Math.max(pe[1], l);
      } else perEvent.set(n, [l, l]);
    }
  }
  let missing = 0, extra = 0;
  for (let i = 0; i < S; i++) {
    const want = expectedPerSocket(i);
    if (got[i] < want) {
      missing += want - got[i];
      if (problems.length < 5) problems.push(`socket ${i} got ${got[i]} of ${want} events`);
    } else if (got[i] > want) extra += got[i] - want;
  }
  const lost = c.done.reduce((a, d) => a + d.closed_after_connect + d.dropped_records, 0);
  if (lost && problems.length < 5) problems.push(`${lost} sockets closed or records dropped`);
  const wantTotal = fanout ? S * commits.size : commits.size;
  const ok = problems.length === 0 && missing === 0 && extra === 0 && lat.length === wantTotal;
  if (!ok) failures++;
  lat.sort((a, b) => a - b);
  latDone.sort((a, b) => a - b);
  const spans = [...perEvent.values()];
  const r = {
    case: c.case,
    server: c.server,
    load: c.load, // 1-minute load average when the case ended (2 CPUs, shared)
    sockets: S,
    events: commits.size,
    deliveries: lat.length,
    expected_deliveries: wantTotal,
    ok,
    problems,
    p50_ms: pct(lat, 0.5) / 1000,
    p99_ms: pct(lat, 0.99) / 1000,
    max_ms: lat.length ? lat[lat.length - 1] / 1000 : NaN,
    from_committed_p50_ms: pct(latDone, 0.5) / 1000,
    from_committed_p99_ms: pct(latDone, 0.99) / 1000,
    first_socket_median_ms: median(spans.map((s) => s[0])) / 1000,
    last_socket_median_ms: median(spans.map((s) => s[1])) / 1000,
    bytes_per_socket: Math.round(((c.rss_connected_kb - c.rss_before_kb) * 1024) / S),
    rss_connected_kb: c.rss_connected_kb,
    cpu_seconds: c.cpu_seconds,
    cpu_sys_share: c.cpu_seconds > 0 ? c.cpu_sys_seconds / c.cpu_seconds : NaN, // kernel share
    cpu_ms_per_10k: lat.length ? (c.cpu_seconds * 1000 * 10000) / lat.length : NaN,
    rate: c.emitter.rate,
    txn_us_p50: c.emitter.txn_us_p50,
    txn_us_p99: c.emitter.txn_us_p99,
    commit_us_p50: c.emitter.commit_us_p50,
    commit_us_p99: c.emitter.commit_us_p99,
    connect_seconds: Math.max(...c.connect.map((x) => x.seconds)),
  };
  results.push(r);
}
fs.writeFileSync(path.join(dir, "results.json"), JSON.stringify({ machine: read("machine.txt"), results }, null, 1));

const f = (v, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : "-");
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}x` : "-");
const by = (name) => results.find((r) => r.case === name);
const pad = (s, n) => String(s).padEnd(n);
const padl = (s, n) => String(s).padStart(n);

console.log(read("machine.txt").trim());
const sizes = [...new Set(results.filter((r) => r.case.startsWith("fanout")).map((r) => r.sockets))];
for (const n of sizes) {
  const ev = results.find((r) => r.case.startsWith(`fanout-${n}-`)).events;
  console.log(`\nFan-out: ${n} sockets in one room, ${ev} events, COMMIT -> socket (ms)`);
  console.log(`${pad("server", 10)}${padl("p50", 8)}${padl("p99", 8)}${padl("max", 8)}${padl("first", 8)}${padl("last", 8)}${padl("B/socket", 10)}${padl("CPU ms/10k", 12)}${padl("kernel", 8)}${padl("load", 6)}  deliveries`);
  for (const srv of ["roomcast", "node", "floor"]) {
    const r = by(`fanout-${n}-${srv}`);
    if (!r) continue;
    console.log(`${pad(srv, 10)}${padl(f(r.p50_ms), 8)}${padl(f(r.p99_ms), 8)}${padl(f(r.max_ms), 8)}${padl(f(r.first_socket_median_ms), 8)}${padl(f(r.last_socket_median_ms), 8)}${padl(r.bytes_per_socket, 10)}${padl(f(r.cpu_ms_per_10k), 12)}${padl(`${f(100 * r.cpu_sys_share, 0)} %`, 8)}${padl(r.load, 6)}  ${r.deliveries}/${r.expected_deliveries}${r.ok ? " ok" : " FAILED"}`);
  }
  const rc = by(`fanout-${n}-roomcast`), nd = by(`fanout-${n}-node`), fl = by(`fanout-${n}-floor`);
  if (rc && fl) console.log(`roomcast / floor: p50 ${ratio(rc.p50_ms, fl.p50_ms)}, p99 ${ratio(rc.p99_ms, fl.p99_ms)}, max ${ratio(rc.max_ms, fl.max_ms)}, CPU ${ratio(rc.cpu_ms_per_10k, fl.cpu_ms_per_10k)}   (aim: p99 <= 1.10x)`);
  if (rc && nd) console.log(`node / roomcast:  p50 ${ratio(nd.p50_ms, rc.p50_ms)}, p99 ${ratio(nd.p99_ms, rc.p99_ms)}, max ${ratio(nd.max_ms, rc.max_ms)}, CPU ${ratio(nd.cpu_ms_per_10k, rc.cpu_ms_per_10k)}, bytes/socket ${ratio(nd.bytes_per_socket, rc.bytes_per_socket)}`);
  if (rc) console.log(`roomcast bytes per authenticated idle socket: ${rc.bytes_per_socket} (aim: <= 1200)`);
}
// BENCH_STRACE=1: system calls per delivery during the fan-out events
const traced = results.filter((r) => fs.existsSync(path.join(dir, `${r.case}.strace`)));
if (traced.length) {
  console.log("\nSystem calls per delivery during the fan-out (strace -c; times of this run are not comparable)");
  for (const r of traced) {
    const rows = [];
    for (const line of read(`${r.case}.strace`).split("\n")) {
      const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)\s*$/.exec(line);
      if (m && m[2] !== "total") rows.push([m[2], Number(m[1])]);
    }
    const total = rows.reduce((a, x) => a + x[1], 0);
    const d = r.deliveries + r.sockets; // the warm-up event falls inside the traced window
    rows.sort((a, b) => b[1] - a[1]);
    r.syscalls_per_delivery = total / d;
    console.log(`${pad(r.case, 22)} ${f(total / d, 2)} per delivery: ${rows.slice(0, 5).map(([n, c]) => `${n} ${f(c / d, 3)}`).join(", ")}`);
  }
  fs.writeFileSync(path.join(dir, "results.json"), JSON.stringify({ machine: read("machine.txt"), results }, null, 1));
}
const streams = results.filter((r) => r.case.startsWith("stream"));
if (streams.length) {
  console.log(`\nStream: ${streams[0].sockets} sockets, one user room each, COMMIT -> socket (ms)`);
  console.log(`${pad("case", 22)}${padl("events", 8)}${padl("events/s", 10)}${padl("p50", 8)}${padl("p99", 8)}${padl("max", 8)}${padl("COMMIT rt", 11)}${padl("CPU ms/10k", 12)}${padl("load", 6)}  deliveries`);
  for (const r of streams) {
    console.log(`${pad(r.case.replace(/^stream-/, ""), 22)}${padl(r.events, 8)}${padl(f(r.rate, 0), 10)}${padl(f(r.p50_ms, 2), 8)}${padl(f(r.p99_ms, 2), 8)}${padl(f(r.max_ms, 2), 8)}${padl(f(r.commit_us_p50 / 1000, 2), 11)}${padl(f(r.cpu_ms_per_10k, 0), 12)}${padl(r.load, 6)}  ${r.deliveries}/${r.expected_deliveries}${r.ok ? " ok" : " FAILED"}`);
  }
  const rr = by("stream-rate-roomcast"), rf = by("stream-rate-floor"), rn = by("stream-rate-node");
  if (rr) console.log(`roomcast at ${f(rr.rate, 0)}/s: p99 ${f(rr.p99_ms, 2)} ms (aim: <= 2 ms)${rf ? `; roomcast / floor p99 ${ratio(rr.p99_ms, rf.p99_ms)}` : ""}${rn ? `; node / roomcast p99 ${ratio(rn.p99_ms, rr.p99_ms)}` : ""}`);
  // best of the alternated rounds, both delivered by the floor
  const best = (prefix) => results.filter((r) => r.case.startsWith(prefix)).sort((x, y) => y.rate - x.rate)[0];
  const em = best("stream-max-floor"), ob = best("stream-outbox-floor");
  if (em && ob) console.log(`highest rate (best of ${results.filter((r) => r.case.startsWith("stream-max-floor")).length}, delivered by the floor): emit ${f(em.rate, 0)}/s vs hand-written outbox ${f(ob.rate, 0)}/s = ${(100 * em.rate / ob.rate).toFixed(0)} % (aim: >= 80 %)`);
}
if (failures) {
  console.log(`\nFAILED: ${failures} case(s) lost, duplicated or reordered events:`);
  for (const r of results.filter((x) => !x.ok)) console.log(`  ${r.case}: ${r.deliveries}/${r.expected_deliveries}; ${r.problems.join("; ")}`);
  process.exit(1);
}
console.log(`\nEvery socket got every event meant for it exactly once, in order (${results.reduce((a, r) => a + r.deliveries, 0)} deliveries).`);
