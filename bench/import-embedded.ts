// npm run bench:import-embedded — what a contacts upload costs everyone else on the embedded
// database (PGlite, one connection). The app runs as its own process (npm start's
// dist/src/main.js, no DATABASE_URL); signed Twilio inbound webhooks go in every 50 ms, first on
// the idle app, then while a 100,000-row CSV is uploaded through the modal. Prints the webhooks'
// latency (p50, p99, max) in both phases, the ratio of the p99s and the upload's duration.
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { once } from "node:events";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeSlack } from "../test/support/fake-slack.ts";
import { FakeTwilio } from "../test/support/fake-twilio.ts";
import { waitFor } from "../test/support/http-util.ts";
import { freePort, waitHealthy } from "../test/support/process.ts";
import { commandBody, emit, percentile, signedSlackPost, signedTwilioPost } from "./support/load.ts";
import { round, spawnApp } from "./support/process.ts";
import { benchAppEnv } from "./support/app.ts";

const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 10);
const EVERY_MS = 50;
const PUBLIC_URL = "https://textbank.example.org";
const ORGANIZER = "UORGANIZER";
const SECRET = "bench-secret";
/** Twilio gives up on a webhook after this long. */
const TWILIO_TIMEOUT_MS = 15_000;

const dir = mkdtempSync(join(tmpdir(), "textbank-import-embedded-bench-"));
const csvPath = join(dir, "contacts.csv");
await generate();

const slack = await new FakeSlack().start();
const twilio = await new FakeTwilio().start();
slack.addFile({
  id: "FBENCH",
  name: "contacts.csv",
  content: () => createReadStream(csvPath),
  size: statSync(csvPath).size,
});
const port = await freePort();
const app = spawnApp(
  benchAppEnv({ slack, twilio }, SECRET, {
    DATA_DIR: join(dir, "data"),
    PORT: String(port),
    ORGANIZER_IDS: ORGANIZER,
  }),
);
await waitHealthy(port, Date.now(), 120_000);
const slackUrl = `http://127.0.0.1:${port}/slack/events`;
await command("create bench Bench");
await command("upload bench");
const opened = await waitFor(() => slack.callsTo("views.open").at(-1), { what: "the upload modal" });
const view = opened.args.view as { callback_id: string; private_metadata: string };

// The first upload after a start loads the ZIP → time zone tables (a few hundred ms of CPU, once
// per process, with or without a database); a ten-row upload pays it before anything is timed.
slack.addFile({ id: "FWARM", name: "warm.csv", content: Buffer.from(warmCsv()) });
const warm = await upload("FWARM");
await warm.summary;

const idle = await webhooksUntil(sleep(IDLE_SECONDS * 1000));
emit({ bench: "import-embedded", phase: "idle", everyMs: EVERY_MS, latencyMs: stats(idle.latencies), ...idle.counts });

const t0 = performance.now();
const big = await upload("FBENCH");
const finished = big.summary.then(() => (performance.now() - t0) / 1000);
const during = await webhooksUntil(big.summary);
const text = await big.summary;
const importSeconds = await finished;
const idleStats = stats(idle.latencies);
const duringStats = stats(during.latencies);
emit({
  bench: "import-embedded",
  phase: "during upload",
  everyMs: EVERY_MS,
  latencyMs: duringStats,
  ...during.counts,
});
emit({
  bench: "import-embedded",
  what: "summary",
  rows: ROWS,
  megabytes: round(statSync(csvPath).size / 1e6),
  imported: Number(/\*([\d,]+) imported\*/.exec(text)?.[1]?.replace(/,/g, "") ?? 0),
  importSeconds: round(importSeconds),
  p99IdleMs: idleStats.p99,
  p99DuringMs: duringStats.p99,
  maxDuringMs: duringStats.max,
  p99DuringVsIdle: round(duringStats.p99 / idleStats.p99),
});

app.kill("SIGTERM");
await once(app, "exit");
await slack.stop();
await twilio.stop();
rmSync(dir, { recursive: true, force: true });
process.exit(0);

/**
 * Sends a signed inbound webhook every EVERY_MS until `done` settles, each on its schedule
 * whether or not the ones before were answered (waiting would hide a stall), then waits for
 * the answers. Returns the latencies of 200 answers and how many failed or came too late.
 */
async function webhooksUntil(done: Promise<unknown>) {
  let finished = false;
  void done.finally(() => (finished = true));
  const latencies: number[] = [];
  const counts = { sent: 0, failures: 0, overTwilioTimeout: 0 };
  const inFlight: Promise<void>[] = [];
  const start = performance.now();
  while (!finished) {
    const params = {
      MessageSid: `SM${String(Date.now()).padStart(16, "0")}${String(counts.sent).padStart(16, "0")}`,
      AccountSid: twilio.accountSid,
      From: `+1202555${String(counts.sent % 10_000).padStart(4, "0")}`,
      To: twilio.fromNumber,
      Body: `hello ${counts.sent}`,
      NumMedia: "0",
    };
    const sentAt = performance.now();
    counts.sent++;
    inFlight.push(
      signedTwilioPost(`http://127.0.0.1:${port}/twilio/sms`, twilio.authToken, params, PUBLIC_URL)
        .then(async (res) => {
          await res.arrayBuffer();
          const ms = performance.now() - sentAt;
          if (res.status !== 200) counts.failures++;
          else latencies.push(ms);
          if (ms > TWILIO_TIMEOUT_MS) counts.overTwilioTimeout++;
        })
        .catch(() => void counts.failures++),
    );
    const wait = start + counts.sent * EVERY_MS - performance.now();
    await Promise.race([sleep(Math.max(0, wait)), done]);
  }
  await Promise.all(inFlight);
  return { latencies, counts };
}

/** Submits the upload modal with this file; `summary` settles with the DM's final text. */
async function upload(fileId: string): Promise<{ summary: Promise<string> }> {
  const from = slack.callsTo("chat.update").length;
  const payload = {
    type: "view_submission",
    user: { id: ORGANIZER },
    view: {
      id: "V1",
      callback_id: view.callback_id,
      private_metadata: view.private_metadata,
      state: { values: { csv: { file: { type: "file_input", files: [{ id: fileId }] } } } },
    },
  };
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  await (await signedSlackPost(slackUrl, SECRET, body, "application/x-www-form-urlencoded")).text();
  const summary = waitFor(
    () =>
      slack
        .callsTo("chat.update")
        .slice(from)
        .find((c) => /finished|not imported/.test(String(c.args.text))),
    { timeoutMs: 900_000, intervalMs: 50, what: "the import summary" },
  ).then((call) => String(call.args.text));
  return { summary };
}

function warmCsv(): string {
  const rows = Array.from({ length: 10 }, (_, i) => `(212) 555-${String(1000 + i)},Warm${i},Up,${10001 + i}`);
  return `phone,first_name,last_name,zip\n${rows.join("\n")}\n`;
}

function stats(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: round(sorted.at(-1) ?? NaN),
    n: sorted.length,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function command(text: string): Promise<void> {
  const body = commandBody(ORGANIZER, text, slack.responseUrl());
  await (await signedSlackPost(slackUrl, SECRET, body, "application/x-www-form-urlencoded")).text();
}

/** Contacts as a CRM exports them: phone, names, ZIP and three custom columns. */
async function generate(): Promise<void> {
  const out = createWriteStream(csvPath);
  const write = async (s: string) => void (out.write(s) || (await once(out, "drain")));
  await write("phone,first_name,last_name,zip,ward,precinct,language\n");
  for (let i = 0; i < ROWS; i++) {
    const n = String(2_000_000 + i);
    const zip = String(10000 + (i % 89999)).padStart(5, "0");
    await write(`(202) ${n.slice(0, 3)}-${n.slice(3)},First${i},Last${i},${zip},W${i % 50},P${i % 900},en\n`);
  }
  out.end();
  await once(out, "finish");
}
