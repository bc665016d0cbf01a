// npm run bench — every benchmark in turn, each printing JSON lines with its floor.
import { spawnSync } from "node:child_process";

for (const script of [
  "bench/startup.ts",
  "bench/send.ts",
  "bench/inbound.ts",
  "bench/import.ts",
  "bench/organizer.ts",
]) {
  // Benchmarks measure on PostgreSQL (the loopback server unless DATABASE_URL names another).
  const env = { ...process.env, DATABASE_URL: process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test" };
  const result = spawnSync(process.execPath, ["--import", "tsx", script], { stdio: "inherit", env });
  if (result.status !== 0) {
    console.error(`${script} failed with exit code ${result.status}`);
    process.exitCode = 1;
  }
}
