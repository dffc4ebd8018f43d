// test/e2e/lib/sockets.mjs — socket.io-client helpers for the database-backed e2e tests.
import { io } from "socket.io-client";

// Connect; resolves { socket, connected, events } once the server's "connected" event
// arrived, rejects with the connect_error. `events` records every event as [name, ...args].
// It always settles: a transport closed before "connected" (which socket.io-client reports
// with no event when reconnection is off), or nothing within `ms`, rejects too, so a
// server that drops a CONNECT fails the test with a reason instead of hanging the suite.
export function connectAs(url, opts = {}, nsp = "", ms = 20000) {
  const socket = io(url + nsp, { transports: ["websocket"], reconnection: false, forceNew: true, ...opts });
  const events = [];
  socket.onAny((name, ...args) => events.push([name, ...args]));
  return new Promise((resolve, reject) => {
    const fail = (err) => {
      clearTimeout(timer);
      socket.close();
      reject(err);
    };
    const timer = setTimeout(() => fail(new Error(`no "connected" within ${ms} ms`)), ms);
    socket.once("connected", (connected) => {
      clearTimeout(timer);
      resolve({ socket, connected, events });
    });
    socket.once("connect_error", fail);
    // deferred: a CONNECT_ERROR packet closes the manager just before "connect_error" is emitted
    socket.io.once("close", (reason) =>
      setTimeout(() => {
        if (!events.some((e) => e[0] === "connected")) fail(new Error(`transport closed before "connected": ${reason}`));
      }, 0),
    );
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
