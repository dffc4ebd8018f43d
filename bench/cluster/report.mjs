// bench/cluster/report.mjs — the report of bench/cluster/run: one instance against two.
//   node report.mjs OUTDIR
// Reads OUTDIR/cases.jsonl, <case>.commits ("n begin_ns commit_ns committed_ns") and
// <case>.recv.{0,1} ("index n pos recv_ns"). Checks that every socket got every event meant
// for it exactly once (fanout: all events; stream: event n goes to socket (n-1) mod S);
// exits 1 otherwise. Prints a table and the ratios two/one.
import fs from "node:fs";
import path from "node:path";

const dir = process.argv[2];
const cases = fs.readFileSync(path.join(dir, "cases.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
const pct = (a, p) => (a.length ? a[Math.min(a.length - 1, Math.floor((a.length * p) / 100))] : NaN);
let bad = 0;
const rows = {};
for (const c of cases) {
  const commits = new Map();
  for (const l of fs.readFileSync(path.join(dir, `${c.case}.commits`), "utf8").trim().split("\n")) {
    const [n, , commit] = l.split(" ").map(Number);
    if (n > 0) commits.set(n, commit);
  }
  const fanout = c.case.startsWith("fanout");
  const S = c.sockets;
  const seen = new Set();
  const lastPerEvent = new Map();
  let deliveries = 0, dup = 0, wrong = 0, first = Infinity, last = 0;
  for (const f of [0, 1]) {
    const file = path.join(dir, `${c.case}.recv.${f}`);
    if (!fs.existsSync(file)) continue;
    for (const l of fs.readFileSync(file, "utf8").split("\n")) {
      if (!l) continue;
      const [idx, n, , recv] = l.split(" ").map(Number);
      if (!commits.has(n)) continue; // the warm-up event 0
      if (!fanout && (n - 1) % S !== idx) wrong++;
      const key = idx * 4194304 + n;
      if (seen.has(key)) dup++;
      seen.add(key);
      deliveries++;
      lastPerEvent.set(n, Math.max(lastPerEvent.get(n) ?? 0, recv));
      first = Math.min(first, commits.get(n));
      last = Math.max(last, recv);
    }
  }
  const expected = fanout ? commits.size * S : commits.size;
  if (deliveries !== expected || dup || wrong) {
    bad++;
    console.log(`!! ${c.case}: ${deliveries} deliveries of ${expected} expected, ${dup} duplicates, ${wrong} to the wrong socket`);
  }
  const lat = [...lastPerEvent.entries()].map(([n, t]) => (t - commits.get(n)) / 1e6).sort((a, b) => a - b);
  const connected = c.connect.reduce((s, x) => s + x.connected, 0);
  rows[c.case] = {
    instances: c.instances,
    sockets: connected,
    rss_per_socket_kb: (c.rss_kb.reduce((s, x) => s + x, 0) / connected).toFixed(1),
    rss_mb: c.rss_kb.map((x) => (x / 1024).toFixed(0)).join("+"),
    cpu_s: c.cpu_seconds,
    deliveries,
    per_s: Math.round(deliveries / ((last - first) / 1e9)),
    last_p50_ms: pct(lat, 50).toFixed(1),
    last_max_ms: lat.at(-1).toFixed(1),
    cpu_us_per_delivery: ((c.cpu_seconds * 1e6) / deliveries).toFixed(2),
  };
}
console.log("case        inst sockets  RSS MB    KB/sock  deliveries  deliv/s    last p50 ms  last max ms  CPU s  CPU us/deliv");
for (const [k, r] of Object.entries(rows))
  console.log(`${k.padEnd(11)} ${String(r.instances).padStart(4)} ${String(r.sockets).padStart(7)}  ${r.rss_mb.padEnd(9)} ${r.rss_per_socket_kb.padStart(7)}  ${String(r.deliveries).padStart(10)}  ${String(r.per_s).padStart(8)}  ${r.last_p50_ms.padStart(11)}  ${r.last_max_ms.padStart(11)}  ${String(r.cpu_s).padStart(5)}  ${r.cpu_us_per_delivery.padStart(12)}`);
for (const kind of ["fanout", "stream"]) {
  const one = rows[`${kind}-1`], two = rows[`${kind}-2`];
  if (one && two)
    console.log(`${kind}: two instances / one: deliveries/s ×${(two.per_s / one.per_s).toFixed(2)}, last-socket p50 ×${(two.last_p50_ms / one.last_p50_ms).toFixed(2)}, notifier CPU ×${(two.cpu_s / one.cpu_s).toFixed(2)}`);
}
process.exit(bad ? 1 : 0);
