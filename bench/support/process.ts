import { spawn, type ChildProcess } from "node:child_process";

/** Runs a TypeScript entry point as its own process, as `npm start` would, with only `env`. */
export function spawnNode(script: string, env: Record<string, string>, extraArgs: string[] = []): ChildProcess {
  return spawn(process.execPath, [...extraArgs, "--import", "tsx", script], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
    stdio: ["ignore", "ignore", process.env.BENCH_APP_LOG ? "inherit" : "ignore"],
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
