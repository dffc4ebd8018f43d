// notifier-fanout-reset.test.mjs — issue 8 finding 4a: sockets that reset in the middle of a
// broadcast never invalidate the room the fan-out walks. A child process opens 1,000
// socket.io clients in one tenant room; a stream of events is emitted from SQL; the child is
// killed with SIGKILL mid-stream, so the notifier's writes to its sockets start failing
// inside deliver_event_send. The notifier must survive (no use-after-free; under the ASan
// suite any report fails the run) and keep delivering every event to the other sockets.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { startNotifier } from "./lib/notifier.mjs";
import { createDb } from "./lib/db.mjs";
import { connectAs, waitFor } from "./lib/sockets.mjs";

const LOAD = fileURLToPath(new URL("./lib/loadclients.mjs", import.meta.url));
const N = 1000;
let db, srv, tenant, loadUser, watcher;

before(async () => {
  db = await createDb("rc_e2e_fanout");
  tenant = await db.addTenant("fanout");
  loadUser = await db.addUser(tenant, "load@f.test");
  watcher = await db.addUser(tenant, "watch@f.test");
  srv = await startNotifier(["--db", db.conninfo, "--max-conns-per-user", String(N + 10)]);
});

after(async () => {
  await srv?.stop();
  await db?.close();
});

// Start the load process; resolves once its N sockets are connected
async function startLoad() {
  const token = await db.token(tenant, loadUser);
  const child = spawn(process.execPath, [LOAD, srv.url, token, String(N)], { stdio: ["ignore", "pipe", "inherit"] });
  child.exited = once(child, "exit");
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  for (let i = 0; i < 1200 && !out.includes("ready"); i++) {
    if (child.exitCode !== null) throw new Error(`load process exited ${child.exitCode}`);
    await sleep(50);
  }
  assert.match(out, new RegExp(`ready ${N}`), "all load sockets connected");
  return child;
}

test(`SIGKILL of a process holding ${N} sockets in a tenant room during a broadcast stream`, async () => {
  const W = await connectAs(srv.url, { auth: { token: await db.token(tenant, watcher) } });
  const child = await startLoad();
  const c = new pg.Client({ database: db.name });
  await c.connect();
  const pad = "x".repeat(2000);
  const rounds = 30;
  const perRound = 5;
  let killed = false;
  try {
    for (let r = 0; r < rounds; r++) {
      await c.query("BEGIN");
      await c.query("SELECT roomcast.set_identity($1, $2, 'member')", [tenant, watcher]);
      for (let k = 0; k < perRound; k++)
        await c.query("SELECT roomcast.emit_to_tenant('tick', $1::jsonb)", [JSON.stringify({ i: r * perRound + k, pad })]);
      await c.query("COMMIT");
      if (r === 3) {
        child.kill("SIGKILL");
        killed = true;
      }
      await sleep(r > 3 && r < 12 ? 2 : 20);
    }
  } finally {
    if (!killed) child.kill("SIGKILL");
    await c.end();
  }
  await child.exited;
  const last = rounds * perRound - 1;
  await waitFor(W.events, (e) => e[0] === "tick" && e[1].i === last, 15000);
  const ticks = W.events.filter((e) => e[0] === "tick").map((e) => e[1].i);
  assert.deepEqual(ticks, [...Array(rounds * perRound).keys()], "the watcher got every event, in order");
  assert.equal(srv.proc.exitCode, null, "the notifier survived");
  assert.equal(srv.proc.signalCode, null);
  const health = await fetch(`${srv.url}/healthz`);
  assert.equal(health.status, 200);
  const m = await (await fetch(`${srv.url}/metrics`)).text();
  const sockets = Number(/^roomcast_sockets (\d+)/m.exec(m)[1]);
  console.log(`SECURITY|notifier/fan-out|SIGKILL of a process holding ${N} sockets of a tenant room during a stream of ${rounds * perRound} events|failed sockets marked and destroyed after the walk; notifier up, other sockets got every event`);
  // the dead sockets are gone once the loop noticed (writes failed or EOF read)
  for (let i = 0; i < 50 && Number(/^roomcast_sockets (\d+)/m.exec(await (await fetch(`${srv.url}/metrics`)).text())[1]) > 1; i++)
    await sleep(100);
  const after = Number(/^roomcast_sockets (\d+)/m.exec(await (await fetch(`${srv.url}/metrics`)).text())[1]);
  assert.equal(after, 1, `only the watcher is left (was ${sockets})`);
  W.socket.close();
});
