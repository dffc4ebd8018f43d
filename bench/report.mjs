// bench/report.mjs — print a bench/run results file with ratios against the
// Node.js reference:   node bench/report.mjs bench/results/<time>/results.jsonl
import { readFileSync } from "node:fs";

const file = process.argv[2];
if (!file) {
  console.error("usage: node bench/report.mjs RESULTS.jsonl");
  process.exit(2);
}
const rows = readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l));
const get = (server, workload) => rows.filter((r) => r.server === server && r.workload === workload);

function echoSummary(server) {
  const parts = get(server, "echo");
  if (!parts.length) return null;
  // several generator processes: add throughput, take the worst percentiles
  return {
    throughput: parts.reduce((a, r) => a + r.throughput, 0),
    p50_us: Math.max(...parts.map((r) => r.p50_us)),
    p99_us: Math.max(...parts.map((r) => r.p99_us)),
    clients: parts.reduce((a, r) => a + r.clients, 0),
    // round trips per second of server CPU: the server's own cost, whatever
    // the generator and the kernel's loopback cost on a small machine
    per_cpu_s: parts.reduce((a, r) => a + r.round_trips, 0) / parts[0].server_cpu_seconds,
  };
}

const ours = { idle: get("roomcast", "idle")[0], echo: echoSummary("roomcast") };
const ref = { idle: get("node-reference", "idle")[0], echo: echoSummary("node-reference") };
const ratio = (a, b, invert = false) => (a && b ? (invert ? b / a : a / b).toFixed(2) + "x" : "-");
const line = (label, a, b, unit, better) =>
  console.log(`${label.padEnd(34)} ${String(a ?? "-").padStart(12)} ${String(b ?? "-").padStart(12)}  ${unit.padEnd(8)} ${better}`);

console.log(`${"".padEnd(34)} ${"roomcast".padStart(12)} ${"node ref".padStart(12)}`);
line("idle connections held", ours.idle?.connected, ref.idle?.connected, "", "");
line("  still alive after heartbeats", ours.idle?.alive_after_hold, ref.idle?.alive_after_hold, "", "");
line("  RSS per connection", ours.idle?.bytes_per_conn, ref.idle?.bytes_per_conn, "bytes",
  `${ratio(ours.idle?.bytes_per_conn, ref.idle?.bytes_per_conn, true)} less (goal <= 2048 bytes)`);
line("  connection rate", ours.idle?.connect_rate, ref.idle?.connect_rate, "conn/s",
  `${ratio(ours.idle?.connect_rate, ref.idle?.connect_rate)} faster`);
line(`echo (${ours.echo?.clients ?? "-"} clients) throughput`, ours.echo?.throughput?.toFixed(0), ref.echo?.throughput?.toFixed(0), "msg/s",
  `${ratio(ours.echo?.throughput, ref.echo?.throughput)} (goal >= 3x)`);
line("  round trips per server CPU second", ours.echo?.per_cpu_s?.toFixed(0), ref.echo?.per_cpu_s?.toFixed(0), "msg/cpu-s",
  `${ratio(ours.echo?.per_cpu_s, ref.echo?.per_cpu_s)} (server efficiency)`);
line("  round trip p50", ours.echo?.p50_us, ref.echo?.p50_us, "us", `${ratio(ours.echo?.p50_us, ref.echo?.p50_us, true)} lower`);
line("  round trip p99", ours.echo?.p99_us, ref.echo?.p99_us, "us", `${ratio(ours.echo?.p99_us, ref.echo?.p99_us, true)} lower`);
