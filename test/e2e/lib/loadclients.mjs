// test/e2e/lib/loadclients.mjs — a load process for the fan-out tests: opens N
// socket.io-client WebSockets with one token, prints "ready <n>" once every one got
// "connected", then keeps them open (reading slowly or not at all) until killed.
//   node loadclients.mjs <url> <token> <n>
import { io } from "socket.io-client";

const [url, token, nArg] = process.argv.slice(2);
const n = Number(nArg);
let ready = 0;
const sockets = [];

function open() {
  return new Promise((resolve, reject) => {
    const s = io(url, { transports: ["websocket"], reconnection: false, forceNew: true, auth: { token } });
    s.once("connected", () => resolve(s));
    s.once("connect_error", (e) => reject(e));
  });
}

for (let i = 0; i < n; i += 50) {
  const batch = [];
  for (let k = i; k < Math.min(n, i + 50); k++) batch.push(open());
  for (const s of await Promise.all(batch)) {
    sockets.push(s);
    ready++;
  }
}
process.stdout.write(`ready ${ready}\n`);
setInterval(() => {}, 1 << 30);
