// npm run bench:startup — time from process start to a 200 on /healthz, and idle RSS, for the
// real entry point on the embedded database and on PostgreSQL; the floor is a bare Node HTTP
// server started the same way (plain node), measured in the same run. Textbank runs as
// `npm start` runs it: compiled to dist/ first.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeSlack } from "../test/support/fake-slack.ts";
import { freePort, waitHealthy } from "../test/support/process.ts";
import { benchDatabase } from "./support/database.ts";
import { emit } from "./support/load.ts";
import { buildApp, MAIN_ENTRY, MAIN_NODE_FLAGS, ROOT } from "../test/support/build.ts";

const slack = await new FakeSlack().start();
const dir = mkdtempSync(join(tmpdir(), "textbank-startup-"));

function rssMB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

async function measure(what: string, script: string, env: Record<string, string>, flags: string[] = MAIN_NODE_FLAGS) {
  const port = await freePort();
  const started = Date.now();
  const child = spawn(process.execPath, [...flags, script], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env, PORT: String(port) },
    stdio: "ignore",
  });
  const ms = await waitHealthy(port, started, 120_000);
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const rss = rssMB(child.pid!);
  child.kill("SIGTERM");
  await new Promise((resolve) => child.on("exit", resolve));
  emit({ bench: "startup", what, msToHealthy: ms, idleRssMB: rss });
}

buildApp();
const floorScript = join(dir, "floor.mjs");
writeFileSync(
  floorScript,
  `import { createServer } from "node:http";\ncreateServer((_q, r) => r.end("{}")).listen(Number(process.env.PORT), "127.0.0.1");\n`,
);
await measure("floor (bare node http server)", floorScript, {}, []);
const env = { SLACK_BOT_TOKEN: slack.botToken, SLACK_SIGNING_SECRET: "bench", SLACK_API_URL: slack.apiUrl };
await measure("textbank, embedded PGlite, first start (creates and migrates)", MAIN_ENTRY, {
  ...env,
  DATA_DIR: join(dir, "data"),
});
await measure("textbank, embedded PGlite, restart", MAIN_ENTRY, { ...env, DATA_DIR: join(dir, "data") });
const database = await benchDatabase("startup");
await measure("textbank, PostgreSQL, first start (migrates)", MAIN_ENTRY, { ...env, DATABASE_URL: database.url });
await measure("textbank, PostgreSQL, restart", MAIN_ENTRY, { ...env, DATABASE_URL: database.url });
await database.drop();
await slack.stop();
rmSync(dir, { recursive: true, force: true });
process.exit(0);
