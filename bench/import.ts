// npm run bench:import — a 1,000,000-row CSV (phone, first and last name, ZIP, three custom
// columns; some duplicates and invalid rows) imported on PostgreSQL through the modal's own
// path: a signed view_submission, the file served over HTTP like Slack serves it, the real
// importer. Prints rows/s, seconds and peak RSS, and in the same run the floor: papaparse
// parsing the same file alone plus COPY of the same normalized rows. Then the PGlite figure
// for 100,000 rows (a child process without DATABASE_URL).
import { spawnSync } from "node:child_process";
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { once } from "node:events";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import Papa from "papaparse";
import pg from "pg";
import copyStreams from "pg-copy-streams";
import { Harness, ORGANIZER } from "../test/support/harness.ts";
import { waitFor } from "../test/support/http-util.ts";
import { commandBody, emit, signedSlackPost } from "./support/load.ts";
import { spawnApp } from "./support/process.ts";
import { benchDatabase } from "./support/database.ts";
import { FakeSlack } from "../test/support/fake-slack.ts";
import { freePort, waitHealthy } from "../test/support/process.ts";

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const label = process.env.DATABASE_URL ? "postgres" : "pglite";
const dir = mkdtempSync(join(tmpdir(), "textbank-import-bench-"));
const csvPath = join(dir, "contacts.csv");

async function generate(): Promise<void> {
  const out = createWriteStream(csvPath);
  const write = async (s: string) => void (out.write(s) || (await once(out, "drain")));
  await write("phone,first_name,last_name,zip,ward,precinct,language\n");
  for (let i = 0; i < ROWS; i++) {
    const n = i % 100 === 7 ? i - 1 : i; // 1% duplicates within the file, 1% invalid numbers
    const phone = i % 100 === 13 ? "12345" : `(202) ${String(2000000 + n).slice(0, 3)}-${String(2000000 + n).slice(3)}`;
    await write(
      `${phone},First${i},Last${i},${String(10000 + (i % 89999)).padStart(5, "0")},W${i % 50},P${i % 900},${i % 3 ? "en" : "es"}\n`,
    );
  }
  out.end();
  await once(out, "finish");
}

let peakRss = 0;
let floorSeconds = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);

await generate();
const bytes = statSync(csvPath).size;
const h = await Harness.start();
h.slack.addFile({ id: "FBENCH", name: "contacts.csv", content: () => createReadStream(csvPath), size: bytes });
await h.commandText(ORGANIZER, "create bench Bench");
await h.command(ORGANIZER, "upload bench");
const view = h.slack.callsTo("views.open").at(-1)!.args.view as { callback_id: string; private_metadata: string };
peakRss = process.memoryUsage().rss;
const baseRss = peakRss;
const t0 = performance.now();
await h.interact({
  type: "view_submission",
  user: { id: ORGANIZER },
  view: {
    id: "V1",
    callback_id: view.callback_id,
    private_metadata: view.private_metadata,
    state: { values: { csv: { file: { type: "file_input", files: [{ id: "FBENCH" }] } } } },
  },
});
const done = await waitFor(
  () => h.slack.callsTo("chat.update").find((c) => /finished|not imported/.test(String(c.args.text))),
  { timeoutMs: 900_000, intervalMs: 200, what: "the import" },
);
const seconds = (performance.now() - t0) / 1000;
const progressUpdates = h.slack.callsTo("chat.update").length - 1;
const imported = Number(/\*([\d,]+) imported\*/.exec(String(done.args.text))?.[1]?.replace(/,/g, "") ?? 0);
emit({
  bench: "import",
  database: label,
  rows: ROWS,
  megabytes: Math.round(bytes / 1e5) / 10,
  imported,
  seconds: round(seconds),
  rowsPerSecond: Math.round(ROWS / seconds),
  peakRssMB: Math.round(peakRss / 1e6),
  rssBeforeImportMB: Math.round(baseRss / 1e6),
  progressUpdates,
});

if (label === "postgres") {
  // The floor: papaparse alone over the same file, then COPY of the same normalized rows.
  const p0 = performance.now();
  let parsed = 0;
  await new Promise<void>((resolve, reject) => {
    Papa.parse(createReadStream(csvPath), { step: () => void parsed++, complete: () => resolve(), error: reject });
  });
  const parseSeconds = (performance.now() - p0) / 1000;
  const client = new pg.Client({ connectionString: h.testDb.url });
  await client.connect();
  // Into the real contacts table (same indexes) of a fresh campaign: the same rows, no logic.
  const { rows: made } = await client.query(
    "INSERT INTO campaigns (slug, title, created_by) VALUES ('floor', 'Floor', 'U0') RETURNING id",
  );
  const floorId = made[0].id as number;
  const rows = function* () {
    for (let i = 0; i < ROWS; i++) {
      yield `${floorId}\t+1202${2000000 + i}\tFirst${i}\tLast${i}\t${String(10000 + (i % 89999)).padStart(5, "0")}\t{"ward":"W${i % 50}","precinct":"P${i % 900}","language":"en"}\t{America/New_York}\tzip\t${i + 2}\n`;
    }
  };
  const c0 = performance.now();
  await pipeline(
    Readable.from(rows()),
    client.query(
      copyStreams.from(
        "COPY contacts (campaign_id, phone, first_name, last_name, zip, custom_fields, tz_zones, tz_source, row_number) FROM STDIN",
      ),
    ),
  );
  const copySeconds = (performance.now() - c0) / 1000;
  await client.end();
  const floor = parseSeconds + copySeconds;
  emit({
    bench: "import",
    what: "floor",
    parseSeconds: round(parseSeconds),
    copySeconds: round(copySeconds),
    floorSeconds: round(floor),
    parsedRows: parsed,
  });
  floorSeconds = floor;
}
clearInterval(sampler);
await h.stop();

if (label === "postgres") {
  // The same upload into the app as its own process (src/main.ts), whose RSS is the import's
  // memory without the harness and fake servers that share the process above.
  const slack = await new FakeSlack().start();
  slack.addFile({ id: "FAPP", name: "contacts.csv", content: () => createReadStream(csvPath), size: bytes });
  const database = await benchDatabase("import_app");
  const port = await freePort();
  const secret = "bench-secret";
  const app = spawnApp({
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_SIGNING_SECRET: secret,
    SLACK_API_URL: slack.apiUrl,
    DATABASE_URL: database.url,
    PORT: String(port),
    ORGANIZER_IDS: ORGANIZER,
  });
  await waitHealthy(port, Date.now(), 120_000);
  const url = `http://127.0.0.1:${port}/slack/events`;
  const command = (text: string) =>
    signedSlackPost(
      url,
      secret,
      commandBody(ORGANIZER, text, slack.responseUrl()),
      "application/x-www-form-urlencoded",
    ).then((r) => r.text());
  await command("create bench Bench");
  await command("upload bench");
  const appView = slack.callsTo("views.open").at(-1)!.args.view as { callback_id: string; private_metadata: string };
  const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${app.pid}/status`, "utf8"))?.[1] ?? 0) * 1024;
  const idle = rss();
  let appPeak = idle;
  const appSampler = setInterval(() => (appPeak = Math.max(appPeak, rss())), 100);
  const a0 = performance.now();
  const payload = {
    type: "view_submission",
    user: { id: ORGANIZER },
    view: {
      id: "V1",
      callback_id: appView.callback_id,
      private_metadata: appView.private_metadata,
      state: { values: { csv: { file: { type: "file_input", files: [{ id: "FAPP" }] } } } },
    },
  };
  await signedSlackPost(
    url,
    secret,
    new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
    "application/x-www-form-urlencoded",
  );
  await waitFor(() => slack.callsTo("chat.update").find((c) => /finished|not imported/.test(String(c.args.text))), {
    timeoutMs: 900_000,
    intervalMs: 200,
    what: "the app's import",
  });
  clearInterval(appSampler);
  const appSeconds = (performance.now() - a0) / 1000;
  emit({
    bench: "import",
    database: "postgres",
    what: "app process (npm start's dist/src/main.js)",
    rows: ROWS,
    seconds: round(appSeconds),
    rowsPerSecond: Math.round(ROWS / appSeconds),
    idleRssMB: Math.round(idle / 1e6),
    peakRssMB: Math.round(appPeak / 1e6),
  });
  // The targets: time in the harness (same process as the fakes) and in the app process, both
  // against the floor; memory is the app process's own (the harness shares its heap with them).
  emit({
    bench: "import",
    what: "targets",
    importVsFloor: round(seconds / floorSeconds),
    appImportVsFloor: round(appSeconds / floorSeconds),
    target: "≤ 2",
    appPeakRssMB: Math.round(appPeak / 1e6),
    rssTarget: "≤ 300",
  });
  app.kill("SIGTERM");
  await new Promise((resolve) => app.once("exit", resolve));
  await database.drop();
  await slack.stop();
}
rmSync(dir, { recursive: true, force: true });

if (label === "postgres" && !process.env.BENCH_NO_PGLITE) {
  const env: Record<string, string | undefined> = { ...process.env, BENCH_ROWS: "100000" };
  delete env.DATABASE_URL;
  spawnSync(process.execPath, ["--import", "tsx", "bench/import.ts"], { env, stdio: "inherit" });
}
process.exit(0);

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
