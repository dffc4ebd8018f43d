// test/e2e/lib/rawws.mjs — a minimal WebSocket client over node:net, so that
// tests can send what no well-behaved client sends (oversized or unmasked
// frames, invalid UTF-8) and read the close code the server answers with.
import net from "node:net";
import crypto from "node:crypto";

export function frame(opcode, payload, { mask = true, fin = true } = {}) {
  const data = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const len = data.length;
  const head = [(fin ? 0x80 : 0) | opcode];
  const maskBit = mask ? 0x80 : 0;
  if (len < 126) head.push(maskBit | len);
  else if (len < 65536) head.push(maskBit | 126, len >> 8, len & 255);
  else {
    head.push(maskBit | 127, 0, 0, 0, 0);
    head.push((len >>> 24) & 255, (len >>> 16) & 255, (len >>> 8) & 255, len & 255);
  }
  if (!mask) return Buffer.concat([Buffer.from(head), data]);
  const key = crypto.randomBytes(4);
  const out = Buffer.from(data);
  for (let i = 0; i < out.length; i++) out[i] ^= key[i & 3];
  return Buffer.concat([Buffer.from(head), key, out]);
}

// Connect and upgrade; resolves to a client with messages, send(), sendRaw(),
// next() (next message), closed (promise of {code} once the server closes).
export function connect(port, path, headers = {}) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, "127.0.0.1");
    const key = crypto.randomBytes(16).toString("base64");
    let buf = Buffer.alloc(0);
    let upgraded = false;
    const messages = [];
    const waiters = [];
    let closeResolve;
    const closed = new Promise((r) => (closeResolve = r));
    let closeCode = null;
    const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("");
    sock.on("connect", () => {
      sock.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`,
      );
    });
    const push = (m) => {
      const w = waiters.shift();
      if (w) w(m);
      else messages.push(m);
    };
    sock.on("data", (d) => {
      buf = Buffer.concat([buf, d]);
      if (!upgraded) {
        const end = buf.indexOf("\r\n\r\n");
        if (end < 0) return;
        const head = buf.subarray(0, end).toString();
        const status = Number(head.split(" ")[1]);
        buf = buf.subarray(end + 4);
        if (status !== 101) {
          sock.destroy();
          resolve({ status, head, body: buf.toString() });
          return;
        }
        upgraded = true;
        resolve(client);
      }
      for (;;) {
        if (buf.length < 2) return;
        const op = buf[0] & 15;
        let len = buf[1] & 127;
        let off = 2;
        if (len === 126) {
          if (buf.length < 4) return;
          len = buf.readUInt16BE(2);
          off = 4;
        } else if (len === 127) {
          if (buf.length < 10) return;
          len = Number(buf.readBigUInt64BE(2));
          off = 10;
        }
        if (buf.length < off + len) return;
        const payload = buf.subarray(off, off + len);
        buf = buf.subarray(off + len);
        if (op === 8) {
          closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
          sock.end();
        } else if (op === 1) push(payload.toString());
        else if (op === 2) push(Buffer.from(payload));
      }
    });
    sock.on("error", () => {});
    sock.on("close", () => {
      closeResolve({ code: closeCode });
      for (const w of waiters.splice(0)) w(null);
    });
    sock.setTimeout(10000, () => sock.destroy());
    const client = {
      status: 101,
      closed,
      send: (text) => sock.write(frame(1, text)),
      sendBinary: (data) => sock.write(frame(2, data)),
      sendRaw: (bytes) => sock.write(bytes),
      next: () => (messages.length ? Promise.resolve(messages.shift()) : new Promise((r) => waiters.push(r))),
      close: () => sock.destroy(),
      pause: () => sock.pause(),
      resume: () => sock.resume(),
    };
    sock.on("error", reject);
  });
}
