// report.mjs — the TLS-against-plain table of bench/tls/run, from the results.json that
// bench/fanout/report.mjs wrote (which also checked every delivery): per round and mode,
// bytes per idle socket, connects per second, broadcast latency; then the spread over the
// rounds (min..max) and the TLS / plain ratios of the medians.
//
//   node bench/tls/report.mjs bench/results/tls-<time>
import fs from "node:fs";
import path from "node:path";

const dir = process.argv[2];
const { machine, results } = JSON.parse(fs.readFileSync(path.join(dir, "results.json"), "utf8"));
const f = (v, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : "-");
const pad = (s, n) => String(s).padEnd(n);
const padl = (s, n) => String(s).padStart(n);
const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const rows = results.map((r) => ({
  mode: r.server,
  round: Number(r.case.split("-").at(-1)),
  sockets: r.sockets,
  bytes: r.bytes_per_socket,
  connects: r.sockets / r.connect_seconds,
  p50: r.p50_ms,
  p99: r.p99_ms,
  last: r.last_socket_median_ms,
  cpu: r.cpu_ms_per_10k,
  load: r.load,
  ok: r.ok,
}));
console.log(machine.trim());
console.log(`\nTLS against plain: ${rows[0]?.sockets} sockets, every one in the broadcast room`);
console.log(`${pad("case", 12)}${padl("B/socket", 10)}${padl("connects/s", 12)}${padl("p50 ms", 9)}${padl("p99 ms", 9)}${padl("last ms", 9)}${padl("CPU ms/10k", 12)}${padl("load", 6)}  deliveries`);
for (const r of rows) {
  console.log(`${pad(`${r.mode} #${r.round}`, 12)}${padl(r.bytes, 10)}${padl(f(r.connects, 0), 12)}${padl(f(r.p50), 9)}${padl(f(r.p99), 9)}${padl(f(r.last), 9)}${padl(f(r.cpu, 0), 12)}${padl(r.load, 6)}  ${r.ok ? "ok" : "FAILED"}`);
}
const keys = [["bytes", "bytes per idle socket", 0], ["connects", "connects/s", 0], ["last", "last delivery ms (median over events)", 1],
  ["p99", "p99 delivery ms", 1], ["cpu", "CPU ms per 10k deliveries", 0]];
console.log("\nmedian (min..max over rounds)      plain                 tls             tls/plain");
for (const [k, label, d] of keys) {
  const span = (mode) => {
    const v = rows.filter((r) => r.mode === mode).map((r) => r[k]);
    return { med: median(v), txt: `${f(median(v), d)} (${f(Math.min(...v), d)}..${f(Math.max(...v), d)})` };
  };
  const p = span("plain"), t = span("tls");
  console.log(`${pad(label, 36)}${pad(p.txt, 22)}${pad(t.txt, 22)}${f(t.med / p.med, 2)}x`);
}
