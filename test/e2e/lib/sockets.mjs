// test/e2e/lib/sockets.mjs — socket.io-client helpers for the database-backed e2e tests.
import { io } from "socket.io-client";

// Connect; resolves { socket, connected, events } once the server's "connected" event
// arrived, rejects with the connect_error. `events` records every event as [name, ...args].
export function connectAs(url, opts = {}, nsp = "") {
  const socket = io(url + nsp, { transports: ["websocket"], reconnection: false, forceNew: true, ...opts });
  const events = [];
  socket.onAny((name, ...args) => events.push([name, ...args]));
  return new Promise((resolve, reject) => {
    socket.once("connected", (connected) => resolve({ socket, connected, events }));
    socket.once("connect_error", (err) => {
      socket.close();
      reject(err);
    });
  });
}

// The data.code of the connect_error a connection attempt ends with ("connected" if none)
export async function connectCode(url, opts = {}, nsp = "") {
  try {
    const { socket } = await connectAs(url, opts, nsp);
    socket.close();
    return "connected";
  } catch (err) {
    return `${err.message}/${err.data?.code}`;
  }
}

// Wait until events (from connectAs) holds an event pred accepts; resolves it
export async function waitFor(events, pred, ms = 5000) {
  const t0 = Date.now();
  for (;;) {
    const e = events.find(pred);
    if (e) return e;
    if (Date.now() - t0 > ms) throw new Error(`timed out; events: ${JSON.stringify(events).slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
