// reference-server.mjs — the Node.js reference server for the benchmarks,
// configured like the reference of the official socket.io-protocol test suite
// (same handlers, maxPayload, connectTimeout, CORS), with the heartbeat given
// on the command line so both servers are measured with the same settings.
//
//   node reference-server.mjs PORT PING_INTERVAL_MS PING_TIMEOUT_MS
import { Server } from "socket.io";

const [port, pingInterval, pingTimeout] = process.argv.slice(2).map(Number);
if (!port) {
  console.error("usage: node reference-server.mjs PORT PING_INTERVAL_MS PING_TIMEOUT_MS");
  process.exit(2);
}

const io = new Server(port, {
  pingInterval: pingInterval || 25000,
  pingTimeout: pingTimeout || 20000,
  maxPayload: 1000000,
  connectTimeout: 1000,
  cors: { origin: "*" },
});

io.on("connection", (socket) => {
  socket.emit("auth", socket.handshake.auth);
  socket.on("message", (...args) => {
    socket.emit.apply(socket, ["message-back", ...args]);
  });
  socket.on("message-with-ack", (...args) => {
    const ack = args.pop();
    ack(...args);
  });
});

io.of("/custom").on("connection", (socket) => {
  socket.emit("auth", socket.handshake.auth);
});

process.on("SIGTERM", () => process.exit(0));
console.error(`reference socket.io server on port ${port}`);
