// test/e2e/lib/fanclients.mjs — a load process for the fan-out correctness tests: opens N
// socket.io-client sockets with one token (transports: "websocket", "polling", or "upgrade"
// = polling first, then the upgrade to WebSocket), prints "ready <n>" once every one got
// "connected", and records, per socket, the `i` of every "fan" event and its trailing
// offset argument. Once every socket holds `expect` events, or when a line "report" arrives
// on stdin, it prints one line "result <json>": how many sockets got exactly 0..expect-1
// once each in order, and the first sockets that did not (what they got).
//   node fanclients.mjs <url> <token> <n> <transport> <expect>
import { io } from "socket.io-client";
import readline from "node:readline";

const [url, token, nArg, transport, expectArg] = process.argv.slice(2);
const n = Number(nArg);
const expect = Number(expectArg);
const transports = transport === "websocket" ? ["websocket"] : transport === "polling" ? ["polling"] : ["polling", "websocket"];
const got = [];
const offsets = [];
let complete = 0;
let reported = false;

function open(k) {
  return new Promise((resolve, reject) => {
    const s = io(url, { transports, upgrade: transport === "upgrade", reconnection: false, forceNew: true, auth: { token } });
    got[k] = [];
    offsets[k] = [];
    s.on("fan", (data, offset) => {
      got[k].push(data.i);
      offsets[k].push(offset);
      if (got[k].length === expect && ++complete === n) report();
    });
    s.once("connected", () => resolve(s));
    s.once("connect_error", (e) => reject(e));
  });
}

function report() {
  if (reported) return;
  reported = true;
  let exact = 0;
  let offsetsOk = 0;
  const bad = [];
  for (let k = 0; k < n; k++) {
    const seq = got[k];
    if (seq.length === expect && seq.every((v, j) => v === j)) exact++;
    else if (bad.length < 5) bad.push({ socket: k, count: seq.length, head: seq.slice(0, 12) });
    // the offset is the event's position: a string of digits, rising
    const o = offsets[k].map(Number);
    if (offsets[k].every((x) => typeof x === "string" && /^\d+$/.test(x)) && o.every((v, j) => j === 0 || v > o[j - 1])) offsetsOk++;
  }
  process.stdout.write(`result ${JSON.stringify({ n, expect, exact, offsetsOk, bad })}\n`);
}

const sockets = [];
for (let i = 0; i < n; i += 50) {
  const batch = [];
  for (let k = i; k < Math.min(n, i + 50); k++) batch.push(open(k));
  sockets.push(...(await Promise.all(batch)));
}
// an upgrading socket must have finished its upgrade before "ready", or not: both are
// legitimate; wait a little so most have, the rest are caught mid-upgrade
if (transport === "upgrade") await new Promise((r) => setTimeout(r, 300));
process.stdout.write(`ready ${sockets.length} ${sockets.filter((s) => s.io.engine.transport.name === "websocket").length}\n`);
readline.createInterface({ input: process.stdin }).on("line", (l) => {
  if (l.trim() === "report") report();
});
setInterval(() => {}, 1 << 30);
