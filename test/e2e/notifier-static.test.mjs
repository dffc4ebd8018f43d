// notifier-static.test.mjs — --static DIR: content types, the page CSP and
// the common security headers, HEAD, 404/405, no listing, traversal attempts
// (.., encoded, absolute, hidden files, symlinks leaving DIR), precedence of
// /socket.io/, /healthz and /metrics, and that without --static nothing is
// served.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { once } from "node:events";
import { mkdtempSync, mkdirSync, writeFileSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { io } from "socket.io-client";
import { startNotifier } from "./lib/notifier.mjs";

let srv;
let plain;
let dir;

const files = {
  "index.html": "<!doctype html><title>static test</title>",
  "app.js": "console.log('app');",
  "style.css": "body{color:red}",
  "data.json": '{"a":1}',
  "logo.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
  "pixel.png": Buffer.from("89504e470d0a1a0a", "hex"),
  "favicon.ico": Buffer.from([0, 0, 1, 0]),
  "app.js.map": '{"version":3}',
  "notes.txt": "hello",
  "blob.bin": Buffer.from([1, 2, 3]),
  "sub/index.html": "<p>sub</p>",
  "sub/page.html": "<p>page</p>",
};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "rc-static-"));
  const root = join(dir, "www");
  mkdirSync(join(root, "sub"), { recursive: true });
  mkdirSync(join(root, "empty"));
  for (const [name, body] of Object.entries(files)) writeFileSync(join(root, name), body);
  writeFileSync(join(dir, "secret.txt"), "outside");
  writeFileSync(join(root, ".env"), "hidden");
  symlinkSync(join(dir, "secret.txt"), join(root, "escape.txt"));
  symlinkSync(dir, join(root, "updir"));
  symlinkSync(join(root, "notes.txt"), join(root, "inside.txt"));
  srv = await startNotifier(["--static", root]);
  plain = await startNotifier([]);
});

after(async () => {
  await srv?.stop();
  await plain?.stop();
});

// A raw request: node:http sends the path exactly as given (no normalising)
function request(base, path, method = "GET", headers = {}) {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path, method, headers }, (res) => {
      const chunks = [];
      res.on("data", (d) => chunks.push(d));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end();
  });
}

function assertCommonHeaders(res) {
  assert.equal(res.headers["x-content-type-options"], "nosniff");
  assert.equal(res.headers["x-frame-options"], "DENY");
  assert.equal(res.headers["referrer-policy"], "strict-origin-when-cross-origin");
  assert.ok(res.headers["content-security-policy"], "a CSP");
}

test("files are served with their content type, body and the page CSP", async () => {
  const want = {
    "/index.html": "text/html; charset=utf-8",
    "/app.js": "text/javascript; charset=utf-8",
    "/style.css": "text/css; charset=utf-8",
    "/data.json": "application/json",
    "/logo.svg": "image/svg+xml",
    "/pixel.png": "image/png",
    "/favicon.ico": "image/x-icon",
    "/app.js.map": "application/json",
    "/notes.txt": "text/plain; charset=utf-8",
    "/blob.bin": "application/octet-stream",
    "/sub/page.html": "text/html; charset=utf-8",
  };
  for (const [path, type] of Object.entries(want)) {
    const res = await request(srv.url, path);
    assert.equal(res.status, 200, path);
    assert.equal(res.headers["content-type"], type, path);
    assert.deepEqual(res.body, Buffer.from(files[path.slice(1)]), path);
    assert.equal(Number(res.headers["content-length"]), res.body.length, path);
    assertCommonHeaders(res);
    const csp = res.headers["content-security-policy"];
    assert.match(csp, /default-src 'self'/, path);
    assert.match(csp, /script-src 'self'(;|$)/, path);
    assert.match(csp, /connect-src 'self'/, path);
    assert.match(csp, /frame-ancestors 'none'/, path);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, path);
  }
});

test("/ and a path ending in / mean index.html; directories are never listed", async () => {
  let res = await request(srv.url, "/");
  assert.equal(res.status, 200);
  assert.equal(res.body.toString(), files["index.html"]);
  res = await request(srv.url, "/?x=1");
  assert.equal(res.body.toString(), files["index.html"]);
  res = await request(srv.url, "/sub/");
  assert.equal(res.body.toString(), files["sub/index.html"]);
  for (const path of ["/sub", "/empty/", "/empty"]) {
    res = await request(srv.url, path);
    assert.equal(res.status, 404, path);
    assert.doesNotMatch(res.body.toString(), /page\.html|index/, path);
  }
});

test("HEAD answers the headers and Content-Length without a body", async () => {
  const res = await request(srv.url, "/app.js", "HEAD");
  assert.equal(res.status, 200);
  assert.equal(res.headers["content-type"], "text/javascript; charset=utf-8");
  assert.equal(Number(res.headers["content-length"]), files["app.js"].length);
  assert.equal(res.body.length, 0);
  assertCommonHeaders(res);
  // the connection is still usable after a HEAD (no stray body bytes)
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const u = new URL(srv.url);
  for (const method of ["HEAD", "GET"]) {
    const r = await new Promise((resolve, reject) => {
      http
        .request({ host: u.hostname, port: u.port, path: "/notes.txt", method, agent }, (res2) => {
          let b = "";
          res2.on("data", (d) => (b += d));
          res2.on("end", () => resolve({ status: res2.statusCode, body: b }));
        })
        .on("error", reject)
        .end();
    });
    assert.equal(r.status, 200);
    assert.equal(r.body, method === "GET" ? "hello" : "");
  }
  agent.destroy();
});

test("missing files are 404 with the API CSP", async () => {
  const res = await request(srv.url, "/nope.html");
  assert.equal(res.status, 404);
  assertCommonHeaders(res);
  assert.match(res.headers["content-security-policy"], /default-src 'none'/);
});

test("other methods are 405 with Allow", async () => {
  for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
    const res = await request(srv.url, "/index.html", method);
    assert.equal(res.status, 405, method);
    assert.equal(res.headers.allow, "GET, HEAD");
    assertCommonHeaders(res);
  }
});

test("traversal attempts and hidden files are 404", async () => {
  const attempts = [
    "/../secret.txt",
    "/sub/../../secret.txt",
    "/%2e%2e/secret.txt",
    "/%2E%2E/secret.txt",
    "/%2e%2e%2fsecret.txt",
    "/sub/%2e%2e/%2e%2e/secret.txt",
    "/..%2fsecret.txt",
    "/..%5csecret.txt",
    "/sub/./page.html",
    "/%2e/notes.txt",
    "//etc/passwd",
    "/%2fetc%2fpasswd",
    "/etc/passwd",
    "/.env",
    "/%2eenv",
    "/notes.txt%00.html",
    "/%zz",
    "/%2",
    "/escape.txt",
    "/updir/secret.txt",
  ];
  for (const path of attempts) {
    const res = await request(srv.url, path);
    assert.equal(res.status, 404, path);
    assert.doesNotMatch(res.body.toString(), /outside|hidden|root:/, path);
  }
  // an absolute-form request target is not a path below DIR either
  const res = await request(srv.url, "http://127.0.0.1/notes.txt");
  assert.notEqual(res.status, 200);
  // a symlink that stays inside DIR is fine
  const ok = await request(srv.url, "/inside.txt");
  assert.equal(ok.status, 200);
  assert.equal(ok.body.toString(), "hello");
});

test("/socket.io/, /healthz and /metrics keep precedence over static files", async () => {
  // Without --db the health endpoint answers 503 (database down); either way
  // it is the endpoint answering, not a static file.
  let res = await request(srv.url, "/healthz");
  assert.ok([200, 503].includes(res.status), `status ${res.status}`);
  assert.ok("db" in JSON.parse(res.body), "the /healthz JSON, not a file");
  res = await request(srv.url, "/metrics");
  assert.match(res.headers["content-type"], /^text\/plain; version=0\.0\.4/);
  res = await request(srv.url, "/socket.io/?EIO=4&transport=polling");
  assert.equal(res.status, 200);
  assert.match(res.body.toString(), /^0\{"sid"/);
  // The Socket.IO endpoint answers (here: refusing a client without a token).
  const c = io(srv.url, { transports: ["websocket"], reconnection: false, forceNew: true });
  const [err] = await once(c, "connect_error");
  assert.equal(err.data?.code, "UNAUTHORIZED");
  c.close();
});

test("without --static nothing is served", async () => {
  for (const path of ["/", "/index.html", "/app.js"]) {
    const res = await request(plain.url, path);
    assert.equal(res.status, 404, path);
    assert.equal(res.body.toString(), "not found");
  }
  const res = await request(plain.url, "/", "POST");
  assert.equal(res.status, 404);
});

test("--static with a missing directory is refused at start", async () => {
  await assert.rejects(startNotifier(["--static", join(dir, "does-not-exist")]), /not a directory/);
});
