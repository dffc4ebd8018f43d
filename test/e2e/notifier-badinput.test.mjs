// notifier-badinput.test.mjs — bad input closes only the offending connection
// (malformed Engine.IO / Socket.IO packets, frames over --max-payload → 1009,
// invalid UTF-8 → 1007, WebSocket protocol errors → 1002), while a healthy
// socket.io-client keeps being served throughout.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { io } from "socket.io-client";
import { startNotifier } from "./lib/notifier.mjs";
import { connect, frame } from "./lib/rawws.mjs";

let srv;
let healthy;

before(async () => {
  srv = await startNotifier(["--conformance", "--max-payload", "1000"]);
  healthy = io(srv.url, { transports: ["websocket"], reconnection: false, forceNew: true });
  await once(healthy, "auth");
});

after(async () => {
  healthy.close();
  await srv.stop();
});

// Fail instead of hanging when the server does not close a connection
function within(promise, ms = 3000) {
  return Promise.race([
    promise,
    new Promise((_, reject) => setTimeout(() => reject(new Error(`not closed within ${ms} ms`)), ms)),
  ]);
}

// The healthy client still gets its echo, over the same server
async function assertHealthyServed() {
  const back = once(healthy, "message-back");
  healthy.emit("message", "still here");
  assert.deepEqual(await back, ["still here"]);
  assert.equal(healthy.connected, true);
}

// A raw Socket.IO connection on /socket.io/ that completed the handshake and CONNECT
async function rawSocketIO() {
  const ws = await connect(srv.port, "/socket.io/?EIO=4&transport=websocket");
  assert.equal(ws.status, 101);
  assert.match(await ws.next(), /^0\{"sid":/);
  ws.send("40");
  assert.match(await ws.next(), /^40\{"sid":/);
  assert.equal(await ws.next(), '42["auth",{}]');
  return ws;
}

test("malformed Engine.IO packet closes that connection only", async () => {
  const ws = await rawSocketIO();
  ws.send("abc");
  const { code } = await within(ws.closed);
  assert.ok(code !== null, "server sent a close frame");
  await assertHealthyServed();
});

for (const [name, packet] of [
  ["unknown Socket.IO packet type", "4abc"],
  ["EVENT payload that is not an array", "42{}"],
  ["invalid ack id", '42abc["message-with-ack",1]'],
  ["truncated JSON", '42["message",'],
  ["ack id beyond 2^53", '4299999999999999999999["message-with-ack"]'],
  ["binary data without a binary packet", null],
]) {
  test(`malformed Socket.IO input closes that connection: ${name}`, async () => {
    const ws = await rawSocketIO();
    if (packet === null) ws.sendBinary(Buffer.from([1, 2, 3]));
    else ws.send(packet);
    await within(ws.closed);
    await assertHealthyServed();
  });
}

test("a well-formed packet on a raw connection is answered (the raw client works)", async () => {
  const ws = await rawSocketIO();
  ws.send('42["message",{"a":[1,2]}]');
  assert.equal(await ws.next(), '42["message-back",{"a":[1,2]}]');
  ws.close();
});

test("a frame over --max-payload closes with 1009", async () => {
  const ws = await rawSocketIO();
  ws.send('42["message","' + "x".repeat(2000) + '"]');
  assert.equal((await within(ws.closed)).code, 1009);
  await assertHealthyServed();
});

test("a message over --max-payload in fragments closes with 1009", async () => {
  const ws = await rawSocketIO();
  ws.sendRaw(frame(1, '42["message","' + "x".repeat(600), { fin: false }));
  ws.sendRaw(frame(0, "y".repeat(600) + '"]', { fin: true }));
  assert.equal((await within(ws.closed)).code, 1009);
  await assertHealthyServed();
});

test("a fragmented message within the limit is reassembled", async () => {
  const ws = await rawSocketIO();
  ws.sendRaw(frame(1, '42["message",', { fin: false }));
  ws.sendRaw(frame(0x9, "ping-in-between"));
  ws.sendRaw(frame(0, '"frag"]', { fin: true }));
  assert.equal(await ws.next(), '42["message-back","frag"]');
  ws.close();
});

test("invalid UTF-8 in a text frame closes with 1007", async () => {
  const ws = await rawSocketIO();
  ws.sendRaw(frame(1, Buffer.concat([Buffer.from('42["message","'), Buffer.from([0xc3, 0x28]), Buffer.from('"]')])));
  assert.equal((await within(ws.closed)).code, 1007);
  await assertHealthyServed();
});

test("an unmasked client frame closes with 1002", async () => {
  const ws = await rawSocketIO();
  ws.sendRaw(frame(1, '42["message","x"]', { mask: false }));
  assert.equal((await within(ws.closed)).code, 1002);
  await assertHealthyServed();
});

test("a polling POST with a malformed payload gets 400 and ends the session", async () => {
  const hs = await (await fetch(`${srv.url}/socket.io/?EIO=4&transport=polling`)).text();
  const { sid } = JSON.parse(hs.slice(1));
  const post = await fetch(`${srv.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`, { method: "POST", body: "abc" });
  assert.equal(post.status, 400);
  const poll = await fetch(`${srv.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`);
  assert.equal(poll.status, 400);
  assert.deepEqual(await poll.json(), { code: 1, message: "Session ID unknown" });
  await assertHealthyServed();
});

test("a polling POST over --max-payload gets 413", async () => {
  const hs = await (await fetch(`${srv.url}/socket.io/?EIO=4&transport=polling`)).text();
  const { sid } = JSON.parse(hs.slice(1));
  const post = await fetch(`${srv.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`, {
    method: "POST",
    body: "4" + "x".repeat(5000),
  });
  assert.equal(post.status, 413);
  await assertHealthyServed();
});

test("garbage instead of HTTP gets 400 and the server goes on", async () => {
  const net = await import("node:net");
  const reply = await new Promise((resolve) => {
    const s = net.connect(srv.port, "127.0.0.1", () => s.write("\x00\x01garbage\r\n\r\n"));
    let got = "";
    s.on("data", (d) => (got += d));
    s.on("close", () => resolve(got));
  });
  assert.match(reply, /^HTTP\/1\.1 400 /);
  await assertHealthyServed();
});

test("a client that does not read is closed as a slow consumer; others are not delayed", async () => {
  const own = await startNotifier(["--conformance", "--max-buffered", "65536"]);
  try {
    const ws = await connect(own.port, "/socket.io/?EIO=4&transport=websocket");
    assert.match(await ws.next(), /^0\{/);
    ws.send("40");
    ws.pause(); // stop reading: the echoes pile up on the server
    const payload = '42["message","' + "z".repeat(900) + '"]';
    const batch = Buffer.concat(Array.from({ length: 1000 }, () => frame(1, payload)));
    let dropped = 0;
    for (let i = 0; i < 60 && dropped === 0; i++) {
      ws.sendRaw(batch); // about 1 MB per round, bounded by 60 rounds
      await new Promise((r) => setTimeout(r, 20));
      const text = await (await fetch(`${own.url}/metrics`)).text();
      dropped = Number(/^roomcast_drops_total\{reason="slow_consumer"\} (\d+)$/m.exec(text)[1]);
    }
    assert.equal(dropped, 1, "the non-reading client was dropped as a slow consumer");
    const other = io(own.url, { transports: ["websocket"], reconnection: false, forceNew: true });
    await once(other, "auth");
    const t0 = Date.now();
    const back = once(other, "message-back");
    other.emit("message", "prompt");
    assert.deepEqual(await back, ["prompt"]);
    assert.ok(Date.now() - t0 < 1000);
    other.close();
    ws.close();
  } finally {
    await own.stop();
  }
});
