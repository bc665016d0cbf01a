import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { waitFor } from "./http-util.ts";
import { MAIN_ENTRY, MAIN_NODE_FLAGS, ROOT } from "./build.ts";

export interface AppProcess {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<number | null>;
  stop: () => Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

/**
 * Runs the compiled `src/main.ts` — what `npm start` runs, built by the test run's global
 * setup — with exactly this environment.
 */
export function runMain(env: Record<string, string>, port?: number): AppProcess {
  const child = spawn(process.execPath, [...MAIN_NODE_FLAGS, MAIN_ENTRY], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      ...env,
      ...(port ? { PORT: String(port) } : {}),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return {
    child,
    port: port ?? 0,
    output: () => output,
    exited,
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

/** Waits until /healthz answers 200; returns the milliseconds it took from `since`. */
export async function waitHealthy(port: number, since: number, timeoutMs = 60_000): Promise<number> {
  await waitFor(
    async () => {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/healthz`);
        return res.status === 200;
      } catch {
        return false;
      }
    },
    { timeoutMs, intervalMs: 25, what: `/healthz on port ${port}` },
  );
  return Date.now() - since;
}
