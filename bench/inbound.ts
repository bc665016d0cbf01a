// npm run bench:inbound — signed Twilio webhooks at rising rates into the real app (its own
// process, on PostgreSQL) while the fake Slack answers 429 to 20% of posts. Prints webhooks
// stored per second, webhook latency p99, and Slack posts per inbound message once the outbox
// has drained (must be exactly 1). The floor, in the same run: a bare Node handler that checks
// the same signature and inserts one row with pg.
import { monitorEventLoopDelay } from "node:perf_hooks";
import pg from "pg";
import { FakeTwilio } from "../test/support/fake-twilio.ts";
import { freePort, waitHealthy } from "../test/support/process.ts";
import { benchAppEnv } from "./support/app.ts";
import { benchDatabase } from "./support/database.ts";
import { spawnApp, spawnNode, waitForListen, round } from "./support/process.ts";
import { emit, signedTwilioPost, summarize } from "./support/load.ts";
import { SlackProcess } from "./support/slack-process.ts";

const RATES = (process.env.BENCH_RATES ?? "50,100,200,400").split(",").map(Number);
const SECONDS_PER_RATE = Number(process.env.BENCH_SECONDS ?? 8);
const PUBLIC_URL = "https://textbank.example.org";
const CONTACTS = 2000;
const VOLUNTEERS = 200;

// The fake Slack runs in a process of its own: on this one's event loop its work (hundreds of
// posts a second) would delay the clock that measures the webhooks.
const slack = await SlackProcess.start();
const twilio = await new FakeTwilio().start();

let sidCounter = 0;
/** Sends webhooks at `rate`/s for the given seconds; returns latencies of 200 answers. */
async function drive(port: number, rate: number, seconds: number, phones: string[]) {
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const latencies: number[] = [];
  let failures = 0;
  const inFlight: Promise<void>[] = [];
  const started = performance.now();
  const total = rate * seconds;
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const params = {
      MessageSid: `SM${String(++sidCounter).padStart(32, "0")}`,
      AccountSid: twilio.accountSid,
      From: phones[i % phones.length]!,
      To: twilio.fromNumber,
      Body: `reply ${sidCounter}`,
      NumMedia: "0",
    };
    const t0 = performance.now();
    inFlight.push(
      signedTwilioPost(`http://127.0.0.1:${port}/twilio/sms`, twilio.authToken, params, PUBLIC_URL)
        .then(async (res) => {
          await res.arrayBuffer();
          if (res.status === 200) latencies.push(performance.now() - t0);
          else failures++;
        })
        .catch(() => void failures++),
    );
  }
  await Promise.all(inFlight);
  loop.disable();
  return {
    latencies,
    failures,
    seconds: (performance.now() - started) / 1000,
    harnessLoopDelayP99Ms: round(loop.percentile(99) / 1e6),
  };
}

const phones = Array.from({ length: CONTACTS }, (_, i) => `+1202${String(i + 1).padStart(7, "0")}`);

// --- the floor ---------------------------------------------------------------------------
const floorDb = await benchDatabase("inbound_floor");
const floorPort = await freePort();
const floor = spawnNode("bench/support/floor-webhook.ts", {
  DATABASE_URL: floorDb.url,
  TWILIO_AUTH_TOKEN: twilio.authToken,
  PUBLIC_URL,
  PORT: String(floorPort),
});
await waitForListen(floorPort);
const floorByRate = new Map<number, { storedPerSecond: number; p99: number }>();
for (const rate of RATES) {
  const run = await drive(floorPort, rate, SECONDS_PER_RATE, phones);
  const lat = summarize(run.latencies);
  floorByRate.set(rate, { storedPerSecond: round(run.latencies.length / run.seconds), p99: lat.p99 });
  emit({
    bench: "inbound",
    what: "floor (bare handler + pg insert)",
    offeredPerSecond: rate,
    storedPerSecond: round(run.latencies.length / run.seconds),
    latencyMs: lat,
    failures: run.failures,
    harnessLoopDelayP99Ms: run.harnessLoopDelayP99Ms,
  });
}
floor.kill();
await floorDb.drop();

// --- Textbank ------------------------------------------------------------------------------
const database = await benchDatabase("inbound");
const appPort = await freePort();
const app = spawnApp(
  benchAppEnv({ slack, twilio }, "bench", {
    DATABASE_URL: database.url,
    PORT: String(appPort),
  }),
);
await waitHealthy(appPort, Date.now(), 120_000);
await seedConversations(database.url);
slack.rateLimit("chat.postMessage", 0.2);
let sent = 0;
for (const rate of RATES) {
  const run = await drive(appPort, rate, SECONDS_PER_RATE, phones);
  sent += rate * SECONDS_PER_RATE;
  const lat = summarize(run.latencies);
  const f = floorByRate.get(rate)!;
  const storedPerSecond = round(run.latencies.length / run.seconds);
  emit({
    bench: "inbound",
    what: "textbank",
    offeredPerSecond: rate,
    storedPerSecond,
    latencyMs: lat,
    failures: run.failures,
    harnessLoopDelayP99Ms: run.harnessLoopDelayP99Ms,
    storedVsFloor: round(storedPerSecond / f.storedPerSecond),
    p99VsFloor: round(lat.p99 / f.p99),
  });
}
// Wait for the outbox to drain: every inbound message posted (429s are retried).
const drainStart = Date.now();
const client = new pg.Client({ connectionString: database.url });
await client.connect();
for (;;) {
  const { rows } = await client.query("SELECT count(*)::int AS n FROM slack_outbox WHERE state = 'pending'");
  if (rows[0].n === 0 || Date.now() - drainStart > 300_000) break;
  await new Promise((resolve) => setTimeout(resolve, 500));
}
const { rows: stored } = await client.query("SELECT count(*)::int AS n FROM messages WHERE direction = 'in'");
await client.end();
const counts = await slack.replyPostCounts();
emit({
  bench: "inbound",
  what: "slack posts per inbound message after the outbox drained",
  inboundSent: sent,
  inboundStored: stored[0].n,
  postedOnce: counts.filter((n) => n === 1).length,
  postedTwiceOrMore: counts.filter((n) => n > 1).length,
  neverPosted: sent - counts.length,
  drainSeconds: round((Date.now() - drainStart) / 1000),
  rateLimited: "20% of chat.postMessage",
});
app.kill("SIGTERM");
await database.drop();
await slack.stop();
await twilio.stop();
process.exit(0);

/** A texted campaign: every contact has a conversation with one of 200 volunteers. */
async function seedConversations(url: string): Promise<void> {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  const { rows } = await db.query(
    `INSERT INTO campaigns (slug, title, state, opening_message, created_by) VALUES ('inbound', 'Inbound bench', 'active', 'Hi', 'U0') RETURNING id`,
  );
  const id = rows[0].id as number;
  await db.query(
    `INSERT INTO volunteers (campaign_id, user_id, dm_channel, display_name) SELECT $1, 'UV' || g, 'DV' || g, 'V' FROM generate_series(1, $2) g`,
    [id, VOLUNTEERS],
  );
  await db.query(
    `INSERT INTO contacts (campaign_id, phone, first_name, tz_zones, status) SELECT $1, '+1202' || lpad(g::text, 7, '0'), 'C' || g, ARRAY['America/New_York'], 'sent' FROM generate_series(1, $2) g`,
    [id, CONTACTS],
  );
  await db.query(
    `INSERT INTO conversations (campaign_id, contact_id, volunteer_id, last_outbound_at) SELECT $1, c.id, 'UV' || (1 + c.id % $2), now() FROM contacts c WHERE c.campaign_id = $1`,
    [id, VOLUNTEERS],
  );
  await db.query(
    `INSERT INTO messages (campaign_id, contact_id, conversation_id, direction, kind, body, from_phone, to_phone, status) SELECT v.campaign_id, v.contact_id, v.id, 'out', 'opening', 'Hi', '+15005550006', c.phone, 'delivered' FROM conversations v JOIN contacts c ON c.id = v.contact_id`,
  );
  await db.query("ANALYZE");
  await db.end();
}
