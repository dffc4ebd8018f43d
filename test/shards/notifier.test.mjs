// notifier.test.mjs — one roomcast-notifier LISTENing on two shards (--db
// twice) with its rpc pool on the PL/Proxy proxy (--rpc-db), with the
// official socket.io-client: every event of tenants on both shards is
// delivered once, offsets name their shard ("s2:17"), a dropped transport
// of a tenant on shard 2 recovers exactly the missed events, an offset of
// the other shard is not recoverable (new session, nothing replayed), and a
// kick written to shard 2's control log disconnects only that user; the
// signing keys in force are those every shard agrees on (a key retired or
// missing on one shard is refused at CONNECT for tenants of every shard).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { createHmac } from "node:crypto";
import { io } from "socket.io-client";
import { startNotifier } from "../e2e/lib/notifier.mjs";
import { waitFor, connectCode } from "../e2e/lib/sockets.mjs";
import { connect, conninfo, makeTenant, asToken } from "./lib.mjs";

let svc, srv, A, B;
const socks = [];

before(async () => {
  svc = await connect("proxy", "rc_svc");
  A = await makeTenant(svc, 0, "notif-a", 3);
  B = await makeTenant(svc, 1, "notif-b", 3);
  srv = await startNotifier([
    "--db", conninfo("s1", "rc_notif"),
    "--db", conninfo("s2", "rc_notif"),
    "--rpc-db", conninfo("proxy", "rc_notif"),
  ]);
});

after(async () => {
  for (const s of socks) s.close();
  await srv?.stop();
  await svc?.end();
});

async function client(token) {
  const socket = io(srv.url, {
    transports: ["websocket"],
    forceNew: true,
    auth: { token },
    reconnectionDelay: 300,
    reconnectionDelayMax: 300,
    randomizationFactor: 0,
  });
  socks.push(socket);
  const events = [];
  socket.onAny((name, ...args) => events.push([name, ...args]));
  await new Promise((resolve, reject) => {
    socket.once("connected", resolve);
    socket.once("connect_error", reject);
  });
  return { socket, events };
}

// n events to the tenant's user room, through the proxy, one transaction each
async function emit(t, user, name, from, to) {
  for (let n = from; n <= to; n++)
    await asToken("proxy", "rc_app", t.tokens[user], (c) =>
      c.query("SELECT roomcast.emit_to_user($1, $2, $3::jsonb)", [t.users[user], name, JSON.stringify({ n })]));
}

const numbered = (events, name) => events.filter((e) => e[0] === name).map((e) => e[1].n);

function reconnected(socket) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("no reconnect")), 10000);
    socket.once("connect", () => {
      clearTimeout(t);
      resolve(socket.recovered);
    });
  });
}

test("one notifier on both shards delivers every event of tenants on both, once, with shard offsets", async () => {
  const a = await client(A.tokens[1]);
  const b = await client(B.tokens[1]);
  const emits = [];
  for (let i = 0; i < 2; i++) {
    emits.push(emit(A, 1, "e-a", i * 10 + 1, i * 10 + 10));
    emits.push(emit(B, 1, "e-b", i * 10 + 1, i * 10 + 10));
  }
  await Promise.all(emits);
  await waitFor(a.events, () => numbered(a.events, "e-a").length >= 20);
  await waitFor(b.events, () => numbered(b.events, "e-b").length >= 20);
  await sleep(300);
  const sorted = (xs) => [...xs].sort((x, y) => x - y);
  const all = Array.from({ length: 20 }, (_, i) => i + 1);
  assert.deepEqual(sorted(numbered(a.events, "e-a")), all, "A: every event once");
  assert.deepEqual(sorted(numbered(b.events, "e-b")), all, "B: every event once");
  assert.equal(numbered(a.events, "e-b").length + numbered(b.events, "e-a").length, 0, "no cross delivery");
  assert.ok(a.events.filter((e) => e[0] === "e-a").every((e) => /^s1:\d+$/.test(e.at(-1))), "A's offsets name s1");
  assert.ok(b.events.filter((e) => e[0] === "e-b").every((e) => /^s2:\d+$/.test(e.at(-1))), "B's offsets name s2");
  a.socket.close();
  b.socket.close();
});

test("a dropped transport of a tenant on shard 2 recovers exactly the missed events through the proxy", async () => {
  const { socket, events } = await client(B.tokens[2]);
  await emit(B, 2, "e-r", 1, 2);
  await waitFor(events, () => numbered(events, "e-r").length === 2);
  const down = new Promise((r) => socket.once("disconnect", r));
  socket.io.engine.close();
  await down;
  await emit(B, 2, "e-r", 3, 6);
  await emit(A, 2, "e-other", 1, 2); // the other shard moves on meanwhile
  assert.equal(await reconnected(socket), true, "socket.recovered");
  await emit(B, 2, "e-r", 7, 7);
  await waitFor(events, () => numbered(events, "e-r").includes(7));
  await sleep(200);
  assert.deepEqual(numbered(events, "e-r"), [1, 2, 3, 4, 5, 6, 7], "missed ones once, in order, then live");
  const pos = events.filter((e) => e[0] === "e-r").map((e) => Number(e.at(-1).split(":")[1]));
  assert.deepEqual([...pos].sort((x, y) => x - y), pos);
  socket.close();
});

test("an offset of the other shard (a moved tenant) or without a shard is a new session, nothing replayed", async () => {
  for (const forge of [(off) => off.replace(/^s2:/, "s1:"), (off) => off.replace(/^s2:/, "")]) {
    const { socket, events } = await client(B.tokens[1]);
    await emit(B, 1, "e-f", 1, 1);
    await waitFor(events, () => numbered(events, "e-f").length === 1);
    const down = new Promise((r) => socket.once("disconnect", r));
    socket.io.engine.close();
    await down;
    const forged = forge(socket._lastOffset);
    socket._lastOffset = forged;
    await emit(B, 1, "e-f", 2, 3);
    assert.equal(await reconnected(socket), false, `offset ${forged} not recovered`);
    await sleep(300);
    assert.deepEqual(numbered(events, "e-f"), [1], "nothing replayed from another log's positions");
    socket.close();
  }
  console.log("SECURITY|notifier/shards|recovery offset naming the other shard, or no shard, with several --db|new session, recovered false, nothing replayed");
});

test("a kick in shard 2's control log disconnects that user only", async () => {
  const b = await client(B.tokens[2]);
  const a = await client(A.tokens[2]);
  const gone = new Promise((r) => b.socket.once("disconnect", r));
  const s2 = await connect("s2");
  await s2.query("UPDATE roomcast.users SET status = 'disabled' WHERE id = $1", [B.users[2]]);
  await s2.end();
  await Promise.race([gone, sleep(5000).then(() => assert.fail("not kicked"))]);
  await sleep(300);
  assert.equal(a.socket.connected, true, "the user on shard 1 stays");
  a.socket.close();
  b.socket.close();
});

// roomcast_db_up by shard label, e.g. { "1": "1", "2": "0" }
async function dbUp(url) {
  const body = await (await fetch(`${url}/metrics`)).text();
  return Object.fromEntries([...body.matchAll(/^roomcast_db_up\{shard="(\d+)"\} (\d)$/gm)].map((m) => [m[1], m[2]]));
}

test("/healthz needs every shard's listener; roomcast_db_up says which is down", async () => {
  const res = await fetch(`${srv.url}/healthz`);
  assert.equal(res.status, 200);
  assert.deepEqual(await dbUp(srv.url), { 1: "1", 2: "1" }, "roomcast_db_up{shard} 1 for both --db");
  const bad = await startNotifier([
    "--db", conninfo("s1", "rc_notif"),
    "--db", "host=127.0.0.1 port=1 dbname=roomcast user=rc_notif connect_timeout=1",
    "--rpc-db", conninfo("proxy", "rc_notif"),
  ]).catch((e) => e);
  // startNotifier waits for a 200 at most 5 s, then returns anyway
  const res2 = await fetch(`${bad.url}/healthz`);
  assert.equal(res2.status, 503);
  assert.deepEqual(await dbUp(bad.url), { 1: "1", 2: "0" }, "roomcast_db_up{shard=\"2\"} 0: the second --db is unreachable");
  await bad.stop();
});

// Run the notifier with args until it exits (or 3 s); resolves { code, stderr }
async function runToExit(args) {
  const { spawn } = await import("node:child_process");
  return new Promise((resolve) => {
    const p = spawn(process.env.RC_NOTIFIER, ["--listen", "127.0.0.1:1", ...args], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    p.stderr.on("data", (d) => (stderr += d));
    const t = setTimeout(() => p.kill("SIGKILL"), 3000);
    p.on("exit", (code) => {
      clearTimeout(t);
      resolve({ code, stderr });
    });
  });
}

test("options: several --db need --rpc-db; more than 16 --db are refused", async () => {
  const two = await runToExit(["--db", conninfo("s1", "rc_notif"), "--db", conninfo("s2", "rc_notif")]);
  assert.equal(two.code, 2);
  assert.match(two.stderr, /--rpc-db must name the database that routes/);
  const many = await runToExit(Array.from({ length: 17 }, () => ["--db", conninfo("s1", "rc_notif")]).flat());
  assert.equal(many.code, 2);
  assert.match(many.stderr, /more than 16 --db/);
});

test("a shard named twice, or with an identity that is no token, keeps its listener down", async () => {
  const twice = await startNotifier([
    "--db", conninfo("s1", "rc_notif"), "--db", conninfo("s1", "rc_notif"),
    "--rpc-db", conninfo("proxy", "rc_notif"),
  ]);
  assert.equal((await fetch(`${twice.url}/healthz`)).status, 503);
  assert.match(twice.stderr(), /two --db name shard s1/);
  await twice.stop();
  const s2 = await connect("s2");
  await s2.query("ALTER DATABASE roomcast SET roomcast_shard.id = 'bad id:1'");
  try {
    const bad = await startNotifier([
      "--db", conninfo("s1", "rc_notif"), "--db", conninfo("s2", "rc_notif"),
      "--rpc-db", conninfo("proxy", "rc_notif"),
    ]);
    assert.equal((await fetch(`${bad.url}/healthz`)).status, 503);
    assert.match(bad.stderr(), /shard identity "bad id:1" is not/);
    await bad.stop();
  } finally {
    await s2.query("ALTER DATABASE roomcast SET roomcast_shard.id = 's2'");
    await s2.end();
  }
  console.log("SECURITY|notifier/shards|shard identity with a colon and a space (would forge offsets)|listener refused, /healthz 503");
});

// token re-signed with HS256 under kid and secret (a Buffer), same claims
function resign(token, kid, secret) {
  const b64 = (x) => Buffer.from(x).toString("base64url");
  const header = b64(JSON.stringify({ alg: "HS256", typ: "JWT", kid }));
  const payload = token.split(".")[1];
  const sig = createHmac("sha256", secret).update(`${header}.${payload}`).digest("base64url");
  return `${header}.${payload}.${sig}`;
}

test("keys with several --db: only what every shard lists active, with the same secret, is accepted", async () => {
  const sec = (b) => Buffer.alloc(32, b);
  const hex = (b) => `\\x${sec(b).toString("hex")}`;
  const proxy = await connect("proxy");
  const s1 = await connect("s1");
  const s2 = await connect("s2");
  const added = [];
  // every shard whose keys change reloads them: wait for n more "signing keys loaded" lines
  const loads = () => (srv.stderr().match(/signing keys loaded/g) ?? []).length;
  async function reloaded(before, n) {
    for (let t = 0; loads() < before + n; t += 20) {
      if (t > 5000) assert.fail(`no key reload (${loads() - before} of ${n})`);
      await sleep(20);
    }
    await sleep(50);
  }
  const code = (token) => connectCode(srv.url, { transports: ["websocket"], auth: { token } });
  try {
    let n = loads();
    await proxy.query(`SELECT roomcast.add_signing_key('k-both', '${hex(0x31)}')`);
    added.push("k-both");
    await reloaded(n, 2);
    assert.equal(await code(resign(A.tokens[1], "k-both", sec(0x31))), "connected", "a key added on both shards");
    assert.equal(await code(resign(B.tokens[1], "k-both", sec(0x31))), "connected");

    // retired on shard 2 only (directly), then shard 1 reloads last (a key only it has)
    n = loads();
    await s2.query("SELECT roomcast.retire_signing_key('k-both')");
    await reloaded(n, 1);
    n = loads();
    await s1.query(`SELECT roomcast.add_signing_key('k-s1only', '${hex(0x32)}')`);
    added.push("k-s1only");
    await reloaded(n, 1);
    assert.equal(await code(resign(A.tokens[1], "k-both", sec(0x31))), "Unauthorized/INVALID_TOKEN",
      "a key retired on shard 2 is refused for a tenant on shard 1");
    assert.equal(await code(resign(B.tokens[1], "k-both", sec(0x31))), "Unauthorized/INVALID_TOKEN");
    console.log("SECURITY|notifier/shards|token signed with a key retired on shard 2 only, tenant on shard 1, shard 1 reloaded last|INVALID_TOKEN at CONNECT");
    assert.equal(await code(resign(A.tokens[1], "k-s1only", sec(0x32))), "Unauthorized/INVALID_TOKEN",
      "a kid only shard 1 has is refused");
    console.log("SECURITY|notifier/shards|token signed with a kid present on shard 1 only|INVALID_TOKEN at CONNECT");
    assert.match(srv.stderr(), /kid "k-both" is retired on shard s2 but active on shard s1/);
    assert.match(srv.stderr(), /kid "k-s1only" is on shard s1 but not on shard s2: refused/);

    // the same kid with another secret on shard 2: still refused, with either secret
    n = loads();
    await s2.query(`SELECT roomcast.add_signing_key('k-s1only', '${hex(0x33)}')`);
    await reloaded(n, 1);
    for (const b of [0x32, 0x33])
      assert.equal(await code(resign(A.tokens[1], "k-s1only", sec(b))), "Unauthorized/INVALID_TOKEN", "secrets differ");
    assert.match(srv.stderr(), /kid "k-s1only" has another alg or secret on shard s2 than on shard s1/);
    console.log("SECURITY|notifier/shards|one kid with another secret on each shard, token signed with either|INVALID_TOKEN at CONNECT");

    // retired on shard 1 too: consistent, still refused; default key k1 unaffected throughout
    n = loads();
    await s1.query("SELECT roomcast.retire_signing_key('k-both')");
    await reloaded(n, 1);
    assert.equal(await code(resign(A.tokens[1], "k-both", sec(0x31))), "Unauthorized/INVALID_TOKEN", "retired everywhere");
    assert.equal(await code(A.tokens[1]), "connected", "k1, on both shards, still accepted");

    // a new key added through the proxy lands on both shards: accepted
    n = loads();
    await proxy.query(`SELECT roomcast.add_signing_key('k-new', '${hex(0x34)}')`);
    added.push("k-new");
    await reloaded(n, 2);
    assert.equal(await code(resign(A.tokens[1], "k-new", sec(0x34))), "connected", "a key on both shards");
    assert.equal(await code(resign(B.tokens[1], "k-new", sec(0x34))), "connected");
  } finally {
    // later tests sign with the newest active key and compare the shards' keys: drop ours
    for (const c of [s1, s2])
      await c.query("DELETE FROM roomcast.signing_keys WHERE kid = ANY($1)", [added]);
    await Promise.all([proxy.end(), s1.end(), s2.end()]);
  }
});
