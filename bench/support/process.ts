import { spawn, type ChildProcess } from "node:child_process";
import { buildApp, MAIN_ENTRY, MAIN_NODE_FLAGS, ROOT } from "../../test/support/build.ts";

/** Runs a TypeScript entry point as its own process (through tsx), with only `env`; `ipc` opens a message channel to it. */
export function spawnNode(
  script: string,
  env: Record<string, string>,
  extraArgs: string[] = [],
  { ipc = false } = {},
): ChildProcess {
  return spawnWith([...extraArgs, "--import", "tsx", script], env, ipc);
}

let built = false;

/** Runs the app as `npm start` does — compiled once per benchmark process — with only `env`. */
export function spawnApp(env: Record<string, string>, extraArgs: string[] = []): ChildProcess {
  if (!built) buildApp();
  built = true;
  return spawnWith([...extraArgs, ...MAIN_NODE_FLAGS, MAIN_ENTRY], env);
}

/**
 * Every process a benchmark started, killed when the benchmark exits however it exits (a thrown
 * error included): an app instance left running would hold its database connections and ports.
 */
const children = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

function spawnWith(args: string[], env: Record<string, string>, ipc = false): ChildProcess {
  const child = startChild(args, env, ipc);
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

function startChild(args: string[], env: Record<string, string>, ipc: boolean): ChildProcess {
  return spawn(process.execPath, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
    stdio: [
      "ignore",
      process.env.BENCH_APP_LOG ? "inherit" : "ignore",
      process.env.BENCH_APP_LOG ? "inherit" : "ignore",
      ...(ipc ? (["ipc"] as const) : []),
    ],
  });
}

/** Resolves once something answers HTTP on the port (any status). */
export async function waitForListen(port: number, path = "/"): Promise<void> {
  for (let i = 0; i < 400; i++) {
    try {
      await fetch(`http://127.0.0.1:${port}${path}`, { method: "POST" });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error(`nothing listens on ${port}`);
}

export function round(n: number): number {
  return Math.round(n * 100) / 100;
}
