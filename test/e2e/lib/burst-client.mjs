// test/e2e/lib/burst-client.mjs — a separate process that floods the notifier with requests,
// so the test process measuring another tenant's latency is not slowed by the flood's acks.
//   node burst-client.mjs URL TOKEN SOCKETS PER_SOCKET EVENT
// Prints "ready" once every socket is connected, waits for a line on stdin, sends
// SOCKETS × PER_SOCKET events with acks at once, and prints one JSON line
// {ok, limited, retryAfterMissing, other, ms} when every ack has arrived.
import { io } from "socket.io-client";
import readline from "node:readline";

const [url, token, nSockets, perSocket, event] = process.argv.slice(2);
const sockets = [];
for (let i = 0; i < Number(nSockets); i++) {
  const s = io(url, { transports: ["websocket"], reconnection: false, forceNew: true, auth: { token } });
  await new Promise((resolve, reject) => {
    s.once("connected", resolve);
    s.once("connect_error", reject);
  });
  sockets.push(s);
}
console.log("ready");
const rl = readline.createInterface({ input: process.stdin });
await new Promise((resolve) => rl.once("line", resolve));
const t0 = Date.now();
const acks = [];
for (const s of sockets)
  for (let i = 0; i < Number(perSocket); i++) acks.push(s.timeout(60000).emitWithAck(event).catch((e) => ({ timeout: e.message })));
const replies = await Promise.all(acks);
const out = { ok: 0, limited: 0, retryAfterMissing: 0, other: 0, ms: Date.now() - t0 };
for (const r of replies) {
  if (r.error?.code === "RATE_LIMITED") {
    out.limited++;
    if (!(r.error.retryAfter > 0)) out.retryAfterMissing++;
  } else if (r.error || r.timeout) out.other++;
  else out.ok++;
}
console.log(JSON.stringify(out));
for (const s of sockets) s.close();
rl.close();
