// notifier-protocol.test.mjs — the real socket.io-client against roomcast-notifier
// over websocket, polling only, and polling upgraded to websocket; events,
// acks, binary attachments, namespaces, the CONNECT auth payload.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { io } from "socket.io-client";
import { startNotifier } from "./lib/notifier.mjs";

let srv;
const clients = [];

before(async () => {
  // short ping interval so heartbeats happen during the tests; a generous timeout so a
  // loaded test machine does not turn scheduling delays into failures
  srv = await startNotifier(["--conformance", "--ping-interval", "300", "--ping-timeout", "2000"]);
});

after(async () => {
  for (const c of clients) c.close();
  await srv.stop();
});

function client(opts = {}, nsp = "") {
  const c = io(srv.url + nsp, { reconnection: false, forceNew: true, ...opts });
  clients.push(c);
  return c;
}

// Connect and return [socket, auth payload echoed by the conformance server]
async function connected(opts, nsp) {
  const c = client(opts, nsp);
  const [auth] = await once(c, "auth");
  assert.equal(c.connected, true);
  return [c, auth];
}

async function echoRoundTrip(c) {
  const back = once(c, "message-back");
  c.emit("message", 1, "2", { 3: [true] }, null);
  assert.deepEqual(await back, [1, "2", { 3: [true] }, null]);
  assert.deepEqual(await c.emitWithAck("message-with-ack", "x", [1, 2]), "x");
  const args = await new Promise((resolve) => c.emit("message-with-ack", 7, { a: "é" }, (...a) => resolve(a)));
  assert.deepEqual(args, [7, { a: "é" }]);
}

async function binaryRoundTrip(c) {
  const back = once(c, "message-back");
  c.emit("message", Buffer.from([1, 2, 3]), { nested: Buffer.from([4, 5]) });
  const [a, b] = await back;
  assert.deepEqual([...a], [1, 2, 3]);
  assert.deepEqual([...b.nested], [4, 5]);
  const acked = await new Promise((resolve) => c.emit("message-with-ack", Buffer.from([9]), (x) => resolve(x)));
  assert.deepEqual([...acked], [9]);
}

test("websocket only: connect, events, acks, binary", async () => {
  const [c, auth] = await connected({ transports: ["websocket"], auth: { token: "abc" } });
  assert.deepEqual(auth, { token: "abc" });
  assert.equal(c.io.engine.transport.name, "websocket");
  await echoRoundTrip(c);
  await binaryRoundTrip(c);
});

test("polling only: connect, events, acks, binary (base64 in payloads)", async () => {
  const [c] = await connected({ transports: ["polling"] });
  assert.equal(c.io.engine.transport.name, "polling");
  await echoRoundTrip(c);
  await binaryRoundTrip(c);
  // several heartbeats pass while polling (ping every 300 ms)
  await new Promise((r) => setTimeout(r, 900));
  assert.equal(c.connected, true);
  assert.equal(c.io.engine.transport.name, "polling");
  await echoRoundTrip(c);
});

test("polling upgrades to websocket and keeps working", async () => {
  const c = client({ transports: ["polling", "websocket"] });
  const [, upgraded] = await Promise.all([once(c, "auth"), once(c.io.engine, "upgrade")]);
  assert.equal(upgraded[0].name ?? c.io.engine.transport.name, "websocket");
  assert.equal(c.io.engine.transport.name, "websocket");
  await echoRoundTrip(c);
  await binaryRoundTrip(c);
});

test("heartbeat keeps a websocket client connected across several ping intervals", async () => {
  const [c] = await connected({ transports: ["websocket"] });
  let pings = 0;
  c.io.on("ping", () => pings++);
  await new Promise((r) => setTimeout(r, 1000));
  assert.ok(pings >= 2, `expected at least 2 pings, got ${pings}`);
  assert.equal(c.connected, true);
});

test("custom namespace connects with its auth payload; unknown namespace is refused", async () => {
  const [custom, auth] = await connected({ transports: ["websocket"], auth: { k: 1 } }, "/custom");
  assert.deepEqual(auth, { k: 1 });
  assert.equal(custom.nsp, "/custom");
  const bad = client({ transports: ["websocket"] }, "/random");
  const [err] = await once(bad, "connect_error");
  assert.equal(err.message, "Invalid namespace");
});

async function socketsGauge() {
  const text = await (await fetch(`${srv.url}/metrics`)).text();
  return Number(/^roomcast_sockets (\d+)$/m.exec(text)[1]);
}

test("a namespace disconnect is seen by the server (sockets gauge)", async () => {
  const before = await socketsGauge();
  const [c] = await connected({ transports: ["websocket"] });
  assert.equal(await socketsGauge(), before + 1);
  c.disconnect();
  for (let i = 0; i < 50 && (await socketsGauge()) !== before; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(await socketsGauge(), before);
});
