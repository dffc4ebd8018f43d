// notifier-tls.test.mjs — --tls-cert/--tls-key (docs/tls.md, SPEC §7): the official
// socket.io-client over wss and over https long-polling with a CA this file generates
// (openssl, in a temp dir) connects, authenticates with a real token and receives an
// event emitted from SQL; clients are refused a certificate they cannot trust (no CA,
// expired, wrong host name); HSTS on every https response and never on plain HTTP;
// SIGHUP swaps the certificate for new connections without dropping open ones, and a
// broken file on SIGHUP keeps the old one; the cipher policy (no TLS 1.1, no non-AEAD
// suite, ALPN http/1.1 only); hostile input on the TLS port (garbage, plain HTTP, an
// oversized handshake, a handshake that never finishes); back-pressure counts ciphertext.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, readFileSync, copyFileSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import https from "node:https";
import http from "node:http";
import net from "node:net";
import tls from "node:tls";
import { once } from "node:events";
import crypto from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { io } from "socket.io-client";
import { freePort, startNotifier } from "./lib/notifier.mjs";
import { createDb } from "./lib/db.mjs";
import { connectAs, waitFor } from "./lib/sockets.mjs";

const HSTS = "max-age=31536000; includeSubDomains";
let dir, ca, db, tenant, user, srv, plain;
const socks = [];
const procs = [];

// ---- certificates (generated here, never committed) ----

function openssl(...args) {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

// A key and a certificate for cn signed by the test CA; days < 0 makes it expired.
function issue(name, { cn = "localhost", san = "DNS:localhost,IP:127.0.0.1", days = 2 } = {}) {
  openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${name}.key`,
    "-out", `${name}.csr`, "-subj", `/CN=${cn}`);
  writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\n`);
  openssl("x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
    "-days", String(days), "-extfile", `${name}.ext`, "-out", `${name}.pem`);
  return { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
}

// The SHA-256 fingerprint of a PEM certificate, as node prints it
function fingerprint(file) {
  return new crypto.X509Certificate(readFileSync(file)).fingerprint256;
}
// ---- a TLS notifier ----

// GET path over https (ca trusted); resolves { status, headers, body }
function httpsGet(port, path, opts = {}) {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: "127.0.0.1", port, path, ca, servername: "localhost", agent: false, ...opts }, (res) => {
      const chunks = [];
      res.on("data", (d) => chunks.push(d));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on("error", reject);
  });
}

function httpGet(port, path) {
  return new Promise((resolve, reject) => {
    http.get({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      const chunks = [];
      res.on("data", (d) => chunks.push(d));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    }).on("error", reject);
  });
}

// roomcast_tls_handshake_failures_total{reason} of the notifier on port, from its /metrics
async function tlsFailures(port) {
  const body = (await httpsGet(port, "/metrics")).body;
  const out = {};
  for (const m of body.matchAll(/^roomcast_tls_handshake_failures_total\{reason="(\w+)"\} (\d+)$/gm)) out[m[1]] = Number(m[2]);
  return out;
}

// Start a notifier serving TLS with files { cert, key }; resolves once /healthz answers over https
async function startTls(files, args = []) {
  const port = await freePort();
  let stderr = "";
  const proc = spawn(process.env.RC_NOTIFIER, ["--listen", `127.0.0.1:${port}`, "--tls-cert", files.cert,
    "--tls-key", files.key, ...args], { stdio: ["ignore", "ignore", "pipe"] });
  procs.push(proc);
  proc.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise((resolve) => proc.on("exit", (code, signal) => resolve({ code, signal })));
  for (let i = 0; i < 200; i++) {
    if (proc.exitCode !== null) throw new Error(`notifier exited: ${stderr}`);
    try {
      // an expired or wrong-name certificate is still a listening server
      await httpsGet(port, "/healthz", { rejectUnauthorized: false });
      break;
    } catch {
      await sleep(50);
    }
  }
  return {
    port, proc, exited, url: `https://127.0.0.1:${port}`, stderr: () => stderr,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
      return exited;
    },
  };
}

// Open a TLS connection with node's client; resolves the socket or rejects with its error
function tlsConnect(port, opts = {}) {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: "127.0.0.1", port, ca, servername: "localhost", ...opts }, () => resolve(s));
    s.once("error", reject);
  });
}

// How a raw TCP exchange ends: { closed, ms, data } after writing chunks (a delay between them)
async function rawExchange(port, chunks, waitMs = 5000) {
  const s = net.connect(port, "127.0.0.1");
  await once(s, "connect");
  const t0 = Date.now();
  let data = Buffer.alloc(0);
  let closed = false;
  s.on("data", (d) => (data = Buffer.concat([data, d])));
  s.on("error", () => {});
  const done = new Promise((resolve) => s.on("close", () => { closed = true; resolve(); }));
  for (const c of chunks) {
    if (closed) break;
    s.write(c);
    await sleep(5);
  }
  await Promise.race([done, sleep(waitMs)]);
  s.destroy();
  return { closed, ms: Date.now() - t0, data: data.toString("latin1") };
}

// s_client with extra arguments; resolves its combined output
function sClient(port, ...args) {
  const r = spawnSync("openssl", ["s_client", "-connect", `127.0.0.1:${port}`, "-servername", "localhost", ...args],
    { input: "", encoding: "utf8", timeout: 10000 });
  return `${r.stdout}\n${r.stderr}`;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "rc-tls-"));
  openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key",
    "-out", "ca.pem", "-days", "2", "-subj", "/CN=roomcast test CA");
  ca = readFileSync(join(dir, "ca.pem"));
  const first = issue("first");
  issue("second");
  mkdirSync(join(dir, "live"));
  mkdirSync(join(dir, "www"));
  writeFileSync(join(dir, "www", "index.html"), "<!doctype html><title>tls</title>");
  copyFileSync(first.cert, join(dir, "live", "cert.pem"));
  copyFileSync(first.key, join(dir, "live", "key.pem"));
  db = await createDb("rc_e2e_tls");
  tenant = await db.addTenant("tls-t");
  user = await db.addUser(tenant, "u@tls.test");
  srv = await startTls({ cert: join(dir, "live", "cert.pem"), key: join(dir, "live", "key.pem") },
    ["--db", db.conninfo, "--static", join(dir, "www"), "--http-idle-timeout", "1500"]);
  plain = await startNotifier(["--static", join(dir, "www")]);
});

after(async () => {
  for (const s of socks) s.close();
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
  await plain?.stop();
  await db?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// connect over transport with the test CA and a real token
async function connectTls(transport, extra = {}) {
  const c = await connectAs(srv.url, { auth: { token: await db.token(tenant, user) }, transports: [transport], ca, ...extra });
  socks.push(c.socket);
  return c;
}

test("socket.io-client over wss with the CA connects, authenticates and receives an event emitted from SQL", async () => {
  const c = await connectTls("websocket");
  assert.equal(c.socket.io.engine.transport.name, "websocket");
  await db.asTenant(tenant, user, (q) => q("SELECT roomcast.emit_to_user($1, 'over-wss', '{\"n\":1}')", [user]));
  const e = await waitFor(c.events, (ev) => ev[0] === "over-wss");
  assert.equal(e[1].n, 1);
});

test("the same over https long-polling", async () => {
  const c = await connectTls("polling");
  assert.equal(c.socket.io.engine.transport.name, "polling");
  await db.asTenant(tenant, user, (q) => q("SELECT roomcast.emit_to_user($1, 'over-polling', '{\"n\":2}')", [user]));
  const e = await waitFor(c.events, (ev) => ev[0] === "over-polling");
  assert.equal(e[1].n, 2);
});

test("a client without the CA, an expired certificate and a wrong host name are refused by the client", async () => {
  // socket.io-client's default rejectUnauthorized: true, no CA given
  await assert.rejects(connectAs(srv.url, { auth: { token: await db.token(tenant, user) } }), /websocket error/);
  await assert.rejects(tlsConnect(srv.port, { ca: undefined }), (err) => err.code === "UNABLE_TO_VERIFY_LEAF_SIGNATURE");
  console.log("SECURITY|tls|client without the CA|refused by the client (unable to verify)");

  const expired = await startTls(issue("expired", { days: -1 }), ["--conformance"]);
  await assert.rejects(tlsConnect(expired.port), (err) => err.code === "CERT_HAS_EXPIRED");
  await assert.rejects(connectAs(expired.url, { ca }), /websocket error/);
  assert.match(expired.stderr(), /EXPIRED/, "the notifier says at start that its certificate has expired");
  await expired.stop();
  console.log("SECURITY|tls|expired server certificate|refused by the client (CERT_HAS_EXPIRED)");

  const wrong = await startTls(issue("wrong", { cn: "other.example", san: "DNS:other.example" }), ["--conformance"]);
  await assert.rejects(tlsConnect(wrong.port), (err) => err.code === "ERR_TLS_CERT_ALTNAME_INVALID");
  await wrong.stop();
  console.log("SECURITY|tls|certificate for another host name|refused by the client (altname invalid)");
});

test("HSTS on every https response (/healthz, polling, static, 404, upgrade) and never on plain HTTP", async () => {
  const paths = ["/healthz", "/socket.io/?EIO=4&transport=polling", "/index.html", "/missing.html"];
  for (const p of paths) {
    const r = await httpsGet(srv.port, p);
    assert.equal(r.headers["strict-transport-security"], HSTS, `HSTS on https ${p} (${r.status})`);
    assert.equal(r.headers["x-content-type-options"], "nosniff");
    const pr = await httpGet(plain.port, p);
    assert.equal(pr.headers["strict-transport-security"], undefined, `no HSTS on plain ${p}`);
  }
  // the 101 of a WebSocket upgrade
  const s = await tlsConnect(srv.port);
  s.write("GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n" +
    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
  const [head] = await once(s, "data");
  s.destroy();
  assert.match(head.toString(), /^HTTP\/1\.1 101/);
  assert.match(head.toString(), /\r\nStrict-Transport-Security: max-age=31536000; includeSubDomains\r\n/);
});

test("cipher policy: TLS 1.1, a non-AEAD suite and an h2-only client are refused; TLS 1.2 ECDHE-GCM and TLS 1.3 work", async () => {
  const f0 = await tlsFailures(srv.port);
  const ok12 = sClient(srv.port, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256");
  assert.match(ok12, /Cipher is ECDHE-ECDSA-AES128-GCM-SHA256/);
  const ok13 = sClient(srv.port, "-tls1_3");
  assert.match(ok13, /New, TLSv1\.3, Cipher is TLS_/);
  const v11 = sClient(srv.port, "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0");
  assert.match(v11, /alert protocol version|no protocols available|unsupported protocol/);
  console.log("SECURITY|tls|TLS 1.1 ClientHello|protocol_version alert, no session");
  for (const cipher of ["ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES128-SHA256", "AES128-GCM-SHA256"]) {
    const out = sClient(srv.port, "-tls1_2", "-cipher", cipher);
    assert.match(out, /Cipher is \(NONE\)/, `${cipher} alone is refused`);
  }
  console.log("SECURITY|tls|only a CBC or non-ECDHE TLS 1.2 suite offered|handshake_failure alert");
  const alpn = await tlsConnect(srv.port, { ALPNProtocols: ["http/1.1", "h2"] });
  assert.equal(alpn.alpnProtocol, "http/1.1");
  alpn.destroy();
  await assert.rejects(tlsConnect(srv.port, { ALPNProtocols: ["h2"] }), /no application protocol/);
  console.log("SECURITY|tls|h2-only ALPN ClientHello|no_application_protocol alert");
  // the notifier is still serving
  assert.equal((await httpsGet(srv.port, "/healthz")).status, 200);
  // TLS 1.1, three refused suites and h2-only: five handshakes failed by protocol or alert
  const f1 = await tlsFailures(srv.port);
  assert.ok(f1.protocol - f0.protocol >= 5, `roomcast_tls_handshake_failures_total{reason="protocol"} +${f1.protocol - f0.protocol}`);
  assert.equal(f1.plain_http, f0.plain_http);
});

test("hostile input on the TLS port: garbage, plain HTTP, an oversized handshake, a handshake that never ends", async () => {
  const f0 = await tlsFailures(srv.port);
  assert.deepEqual(Object.keys(f0).sort(), ["plain_http", "protocol", "timeout", "too_large"]);
  const garbage = await rawExchange(srv.port, [crypto.randomBytes(4096)]);
  assert.ok(garbage.closed, "garbage instead of a ClientHello closes the connection");
  assert.ok(!garbage.data.startsWith("HTTP"), "no HTTP answer to garbage");
  console.log("SECURITY|tls|4 KiB of random bytes instead of a ClientHello|connection closed (alert)");

  const plainReq = await rawExchange(srv.port, ["GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"]);
  assert.ok(plainReq.closed);
  assert.match(plainReq.data, /^HTTP\/1\.1 400 Bad Request\r\n/);
  assert.match(plainReq.data, /TLS only/);
  assert.doesNotMatch(plainReq.data, /Strict-Transport-Security/);
  console.log("SECURITY|tls|plain HTTP request to the TLS port|plain 400, connection closed");

  // a ClientHello that claims 128 KiB (OpenSSL's own limit) sent in 16 KiB records:
  // the notifier stops at TLS_HANDSHAKE_MAX_INPUT (64 KiB), long before the idle timeout
  const records = [];
  for (let i = 0; i < 6; i++) {
    const body = Buffer.alloc(16384);
    if (i === 0) body.set([0x01, 0x02, 0x00, 0x00, 0x03, 0x03]); // client_hello, length 131072, TLS 1.2
    records.push(Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x40, 0x00]), body]));
  }
  const big = await rawExchange(srv.port, records, 1000);
  assert.ok(big.closed, "closed after 64 KiB of handshake");
  assert.ok(big.ms < 1000, `closed at once, not by the idle timeout (${big.ms} ms)`);
  console.log("SECURITY|tls|96 KiB of ClientHello fragments|closed at 64 KiB of handshake input");

  // half a record header, then nothing: closed after --http-idle-timeout (1.5 s here)
  const stalled = await rawExchange(srv.port, [Buffer.from([0x16, 0x03, 0x01])], 6000);
  assert.ok(stalled.closed, "a stalled handshake is closed");
  assert.ok(stalled.ms >= 1000 && stalled.ms < 5000, `by the handshake timeout (${stalled.ms} ms)`);
  const silent = await rawExchange(srv.port, [], 6000);
  assert.ok(silent.closed && silent.ms < 5000, "a connection that never says hello is closed too");
  console.log("SECURITY|tls|handshake started and never finished|closed after --http-idle-timeout");

  assert.equal((await httpsGet(srv.port, "/healthz")).status, 200, "still serving");
  // each failure counted once, under its reason
  const f1 = await tlsFailures(srv.port);
  assert.deepEqual({ protocol: f1.protocol - f0.protocol, plain_http: f1.plain_http - f0.plain_http,
    too_large: f1.too_large - f0.too_large, timeout: f1.timeout - f0.timeout },
  { protocol: 1, plain_http: 1, too_large: 1, timeout: 2 }, "roomcast_tls_handshake_failures_total by reason");
});

test("SIGHUP: new connections get the new certificate, an open wss socket keeps receiving; a broken file keeps the old one", async () => {
  const live = join(dir, "live");
  const before = await tlsConnect(srv.port);
  const fpFirst = before.getPeerCertificate().fingerprint256;
  before.destroy();
  assert.equal(fpFirst, fingerprint(join(dir, "first.pem")));

  const open = await connectTls("websocket");
  copyFileSync(join(dir, "second.pem"), join(live, "cert.pem"));
  copyFileSync(join(dir, "second.key"), join(live, "key.pem"));
  srv.proc.kill("SIGHUP");
  let fp;
  for (let i = 0; i < 100; i++) {
    const s = await tlsConnect(srv.port);
    fp = s.getPeerCertificate().fingerprint256;
    s.destroy();
    if (fp !== fpFirst) break;
    await sleep(20);
  }
  assert.equal(fp, fingerprint(join(dir, "second.pem")), "a new connection sees the new certificate");
  assert.ok(open.socket.connected, "the open socket was not dropped");
  await db.asTenant(tenant, user, (q) => q("SELECT roomcast.emit_to_user($1, 'after-reload', '{}')", [user]));
  await waitFor(open.events, (e) => e[0] === "after-reload");
  assert.equal(open.socket.io.engine.transport.name, "websocket");

  // a broken certificate file, then a missing key: logged, old certificate kept, still running
  writeFileSync(join(live, "cert.pem"), "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");
  srv.proc.kill("SIGHUP");
  for (let i = 0; i < 100 && !/TLS reload failed/.test(srv.stderr()); i++) await sleep(20);
  assert.match(srv.stderr(), /TLS reload failed, keeping the certificate in use .*--tls-cert .* is not a PEM certificate chain/);
  rmSync(join(live, "key.pem"));
  copyFileSync(join(dir, "first.pem"), join(live, "cert.pem"));
  srv.proc.kill("SIGHUP");
  for (let i = 0; i < 100 && !/cannot read --tls-key/.test(srv.stderr()); i++) await sleep(20);
  assert.match(srv.stderr(), /cannot read --tls-key .*key\.pem: No such file or directory/);
  const after = await tlsConnect(srv.port);
  assert.equal(after.getPeerCertificate().fingerprint256, fingerprint(join(dir, "second.pem")), "the old certificate stays");
  after.destroy();
  assert.equal(srv.proc.exitCode, null, "the notifier did not exit");
  console.log("SECURITY|tls|SIGHUP with a broken certificate or a missing key|logged, previous certificate kept");
  await db.asTenant(tenant, user, (q) => q("SELECT roomcast.emit_to_user($1, 'after-bad-reload', '{}')", [user]));
  await waitFor(open.events, (e) => e[0] === "after-bad-reload");
});

test("back-pressure under TLS: 8 MB of pipelined GET /healthz never read pauses reading, RSS stays bounded", async () => {
  const conf = await startTls({ cert: join(dir, "first.pem"), key: join(dir, "first.key") }, ["--conformance"]);
  try {
    const rss = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${conf.proc.pid}/status`, "utf8"))[1]) / 1024;
    const idle = rss();
    const s = await tlsConnect(conf.port);
    s.on("error", () => {});
    s.pause();
    const chunk = Buffer.from("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".repeat(2000));
    for (let sent = 0; sent < 8 * 1024 * 1024; sent += chunk.length) s.write(chunk);
    let peak = idle;
    for (let i = 0; i < 12; i++) {
      await sleep(250);
      peak = Math.max(peak, rss());
    }
    const m = (await httpsGet(conf.port, "/metrics")).body;
    const pauses = Number(/roomcast_read_pauses_total (\d+)/.exec(m)?.[1] ?? 0);
    assert.ok(pauses >= 1, "the TLS connection was paused: its queued ciphertext counts against --max-buffered");
    if (process.env.RC_SANITIZED !== "1") assert.ok(peak - idle < 64, `RSS grew ${(peak - idle).toFixed(1)} MB`);
    assert.equal((await httpsGet(conf.port, "/healthz")).status, 200, "others are served meanwhile");
    console.log(`SECURITY|tls|8 MB of pipelined GET /healthz over TLS and never read|reading paused at --max-buffered (${pauses} pauses); RSS +${(peak - idle).toFixed(1)} MB`);
    s.destroy();
  } finally {
    await conf.stop();
  }
});
