// test/e2e/lib/fanclients.mjs — a load process for the fan-out correctness tests: opens N
// socket.io-client sockets with one token (transports: "websocket", "polling", or "upgrade"
// = polling first, then the upgrade to WebSocket), prints "ready <n> <on websocket>" once
// every one got "connected", and records, per socket, the `i` of every "fan" event and its
// trailing offset argument. Once every socket got event expect-1 (expect from the command
// line, or from a line "expect N" on stdin when the count is known later), or when a line
// "report" arrives on stdin, it prints one line "result <json>": how many sockets got
// exactly 0..expect-1 once each in order (exact); how many got a gap-free run ending with
// expect-1 (tail: for sockets that joined while events flowed); how many upgraded between
// two events (midUpgrade); and the first sockets that got neither (what they got).
//   node fanclients.mjs <url> <token> <n> <transport> <expect>
import { io } from "socket.io-client";
import readline from "node:readline";

const [url, token, nArg, transport, expectArg] = process.argv.slice(2);
const n = Number(nArg);
let expect = Number(expectArg); // 0: not known yet (a line "expect N" on stdin sets it)
const transports = transport === "websocket" ? ["websocket"] : transport === "polling" ? ["polling"] : ["polling", "websocket"];
const got = [];
const offsets = [];
const upgradedAt = []; // events received before the upgrade, when it came between two
let complete = 0;
let reported = false;

function open(k) {
  return new Promise((resolve, reject) => {
    const s = io(url, { transports, upgrade: transport === "upgrade", reconnection: false, forceNew: true, auth: { token } });
    got[k] = [];
    offsets[k] = [];
    s.io.engine.once("upgrade", () => {
      if (got[k].length > 0) upgradedAt[k] = got[k].length;
    });
    s.on("fan", (data, offset) => {
      got[k].push(data.i);
      offsets[k].push(offset);
      if (expect && data.i === expect - 1 && ++complete === n) report();
    });
    s.once("connected", () => resolve(s));
    s.once("connect_error", (e) => reject(e));
  });
}

function report() {
  if (reported) return;
  reported = true;
  let exact = 0;
  let tail = 0;
  let offsetsOk = 0;
  let midUpgrade = 0;
  const bad = [];
  for (let k = 0; k < n; k++) {
    const seq = got[k];
    const gapFree = seq.length > 0 && seq.every((v, j) => v === seq[0] + j) && seq[seq.length - 1] === expect - 1;
    if (seq.length === expect && seq.every((v, j) => v === j)) exact++;
    if (gapFree) tail++;
    else if (bad.length < 5) bad.push({ socket: k, count: seq.length, head: seq.slice(0, 12) });
    if (upgradedAt[k] > 0 && upgradedAt[k] < seq.length) midUpgrade++;
    // the offset is the event's position: a string of digits, rising
    const o = offsets[k].map(Number);
    if (offsets[k].every((x) => typeof x === "string" && /^\d+$/.test(x)) && o.every((v, j) => j === 0 || v > o[j - 1])) offsetsOk++;
  }
  process.stdout.write(`result ${JSON.stringify({ n, expect, exact, tail, midUpgrade, offsetsOk, bad })}\n`);
}

const sockets = [];
for (let i = 0; i < n; i += 50) {
  const batch = [];
  for (let k = i; k < Math.min(n, i + 50); k++) batch.push(open(k));
  sockets.push(...(await Promise.all(batch)));
}
// "ready" comes as soon as every socket is connected (over polling for "upgrade"): the
// events that follow at once find many of them in the middle of their upgrade
process.stdout.write(`ready ${sockets.length} ${sockets.filter((s) => s.io.engine.transport.name === "websocket").length}\n`);
readline.createInterface({ input: process.stdin }).on("line", (l) => {
  const m = /^expect (\d+)$/.exec(l.trim());
  if (l.trim() === "report") report();
  else if (m) {
    expect = Number(m[1]);
    complete = got.filter((seq) => seq.length && seq[seq.length - 1] === expect - 1).length;
    if (complete === n) report();
  }
});
setInterval(() => {}, 1 << 30);
