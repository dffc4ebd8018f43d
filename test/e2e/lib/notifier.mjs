// test/e2e/lib/notifier.mjs — start and stop a private roomcast-notifier for a test file.
import { spawn } from "node:child_process";
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

// A free loopback port: bind to port 0, read it, release it.
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// Start the notifier with extra arguments; resolves once /healthz answers.
// Returns { url, port, proc, stderr(), stop(signal) }.
export async function startNotifier(args = [], env = {}) {
  const bin = process.env.RC_NOTIFIER;
  if (!bin) throw new Error("RC_NOTIFIER is not set (run through test/run)");
  const port = await freePort();
  let stderr = "";
  const proc = spawn(bin, ["--listen", `127.0.0.1:${port}`, ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  proc.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise((resolve) => proc.on("exit", (code, signal) => resolve({ code, signal })));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (proc.exitCode !== null) throw new Error(`notifier exited: ${stderr}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch {
      /* not listening yet */
    }
    await sleep(50);
  }
  return {
    url,
    port,
    proc,
    exited,
    stderr: () => stderr,
    // Default SIGKILL; RC_NOTIFIER_STOP_SIGNAL=SIGTERM (suite 42-scaleout-asan) makes every
    // default stop a normal shutdown, so that the sanitizers see the drain and exit paths
    // (SIGKILL after 10 s, which then fails nothing by itself: the suite reads the reports).
    async stop(signal = process.env.RC_NOTIFIER_STOP_SIGNAL || "SIGKILL") {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill(signal);
        if (signal !== "SIGKILL") {
          const t = setTimeout(() => proc.kill("SIGKILL"), 10000);
          await exited;
          clearTimeout(t);
        }
      }
      return exited;
    },
  };
}
