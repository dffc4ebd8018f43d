// test/browser/lib.mjs — what the browser tests of the demo share: start the
// demo with its own run script (examples/demo/run, no background activity,
// short-lived first tokens so the page must refresh them), parse what it
// prints (URLs, the PostgreSQL port), run SQL as its superuser, launch the
// Debian chromium through playwright-core, and save screenshots under
// build/screenshots/.
import { spawn, execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const SHOTS = path.join(ROOT, "build", "screenshots");

// Starts examples/demo/run; resolves when it printed its URLs.
// env: extra environment (RC_DEMO_PORT …). Returns {url, signin, tokens, pgport, stop()}.
export async function startDemo(env = {}) {
  const child = spawn("bash", [path.join(ROOT, "examples/demo/run")], {
    env: { ...process.env, RC_DEMO_SECONDS: "600", RC_DEMO_ACTIVITY: "0", RC_DEMO_CASES: "200", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // its own process group: stop() can end everything it started
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  const exited = new Promise((resolve) => child.on("exit", (code) => resolve(code)));
  const deadline = Date.now() + 150000;
  while (!/Stopping by itself|Press Ctrl-C/.test(out)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error("the demo did not start:\n" + out);
    await new Promise((r) => setTimeout(r, 200));
  }
  const url = out.match(/sign in:\s+(http:\/\/127\.0\.0\.1:\d+\/)#signin=(\S+)/);
  const pg = out.match(/psql -h 127\.0\.0\.1 -p (\d+) -U postgres/);
  const tokens = {};
  for (const m of out.matchAll(/^\s+(\S+@demo\.example)\s+\S+\s+\S+#token=([^&\s]+)&refresh=(\S+)$/gm))
    tokens[m[1]] = { access: m[2], refresh: m[3] };
  async function stop() {
    if (child.exitCode === null) {
      process.kill(child.pid, "SIGTERM"); // the run script's trap stops its servers
      const t = setTimeout(() => { try { process.kill(-child.pid, "SIGKILL"); } catch {} }, 20000);
      await exited;
      clearTimeout(t);
    }
    return out;
  }
  return { url: url[1], signin: url[1] + "#signin=" + url[2], tokens, pgport: pg[1], output: () => out, stop };
}

// Runs SQL in the demo database as postgres; returns stdout trimmed.
export function sql(demo, text) {
  return execFileSync("psql", ["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
    "-p", demo.pgport, "-U", "postgres", "-d", "roomcast_demo", "-c", text], { encoding: "utf8" }).trim();
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.RC_CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"],
  });
}

// A page that records console errors and page errors into errors[].
export async function newPage(context, errors, label) {
  const page = await context.newPage();
  page.on("console", (m) => { if (m.type() === "error") errors.push(`${label}: console: ${m.text()}`); });
  page.on("pageerror", (e) => errors.push(`${label}: ${e.message}`));
  return page;
}

export async function shot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  await page.waitForTimeout(350); // let the avatar pop-in animation end
  await page.screenshot({ path: path.join(SHOTS, name + ".png") });
}

// The page's notification state as the user sees it.
export function bellState(page) {
  return page.evaluate(() => {
    const badge = document.getElementById("badge");
    const items = [...document.querySelectorAll("#inbox-list li[data-id]")];
    return {
      badge: badge.hidden ? 0 : Number(badge.textContent),
      items: items.length,
      unread: items.filter((li) => li.classList.contains("unread")).length,
      empty: !!document.querySelector("#inbox-list .inbox-empty"),
      emptyText: (document.querySelector("#inbox-list .inbox-empty") || {}).textContent || "",
    };
  });
}
