// npm run soak — the guarantees under faults, on PostgreSQL with three app instances.
//
// Slack's requests and Twilio's webhooks reach the instances through a small load balancer
// (round robin; a refused connection goes to the next instance, a request cut by a kill
// answers 502). 300 simulated volunteers start shifts and press Send as fast as their cards
// arrive; contacts reply while they text, some with opt-out phrases, some of them racing a
// Send to the same person. Twilio answers some creates with 500s and 429s, drops some
// connections after creating the message, stalls some for 40 s (created late), and calls
// back statuses whenever it likes, sometimes before answering the create. Slack answers some
// posts with 429. Every 20 s one instance is killed with SIGKILL and started again.
//
// It runs SOAK_SECONDS (default 300), waits for the app to finish what it owes, and prints
// JSON lines: texts sent, double texts, texts to a number after its opt-out was answered,
// inbound texts stored and shown exactly once, texts stuck unsent, the slowest Slack ack,
// and sends/s against a floor measured in the same run (a bare Bolt app on the same driver).
import { createServer, request as httpRequest, Agent as HttpAgent, type IncomingMessage } from "node:http";
import type { ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";
import pg from "pg";
import { FakeSlack, type ResponseUrlPost, type SlackCall } from "../test/support/fake-slack.ts";
import { freePort, waitHealthy } from "../test/support/process.ts";
import { buttonsOf, type CardButton } from "../test/support/cards.ts";
import { classifyInbound } from "../src/campaigns/opt-outs/keywords.ts";
import { blockActionBody, commandBody, emit, signedSlackRequest, signedTwilioPost, summarize } from "./support/load.ts";
import { benchDatabase } from "./support/database.ts";
import { benchAppEnv, seedActiveCampaign } from "./support/app.ts";
import { TwilioProcess } from "./support/twilio-process.ts";
import type { TwilioReport } from "./support/twilio-server.ts";
import { round, spawnApp, spawnNode, waitForListen } from "./support/process.ts";

const SECONDS = Number(process.env.SOAK_SECONDS ?? 300);
const VOLUNTEERS = Number(process.env.SOAK_VOLUNTEERS ?? 300);
const INSTANCES = 3;
const KILL_EVERY_MS = Number(process.env.SOAK_KILL_EVERY_MS ?? 20_000);
const FLOOR_SECONDS = Number(process.env.SOAK_FLOOR_SECONDS ?? 20);
const CONTACTS = Number(process.env.SOAK_CONTACTS ?? Math.max(100_000, SECONDS * 400));
const SECRET = "soak-signing-secret";
const PUBLIC_URL = "https://textbank.example.org";
const ORGANIZER = "UORGSOAK";
/** A volunteer who sees no answer this long presses again, as a person would. */
const PATIENCE_MS = 15_000;
/**
 * How long a volunteer looks at a card before pressing Send (half to one and a half times this):
 * a fast human. At 0 the volunteers press as fast as cards arrive, which on a 2-core machine
 * running three instances, PostgreSQL and this driver is a saturation test, not a soak.
 */
const THINK_MS = Number(process.env.SOAK_THINK_MS ?? 2000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const pick = <T>(items: T[]): T => items[Math.floor(Math.random() * items.length)]!;

// --- the fakes, with their faults ------------------------------------------------------
const slack = await new FakeSlack().start();
slack.recordResponses = false;
const lbPort = await freePort();
const lbUrl = `http://127.0.0.1:${lbPort}`;
// Twilio in a process of its own: its clock says when each request arrived (see twilio-server.ts).
const twilio = await TwilioProcess.start(lbUrl, PUBLIC_URL);
/** Every message Twilio created, as far as the driver has asked. */
const created: TwilioReport["messages"] = [];
const refreshCreated = async () => {
  const report = await twilio.report(created.length);
  created.push(...report.messages);
  return report;
};

// Card posts and thread posts: a card's next contact arrives on response_url; the first in a DM.
const responseWaiters = new Map<string, (post: ResponseUrlPost) => void>();
slack.on("response", (post: ResponseUrlPost) => responseWaiters.get(post.id)?.(post));
const dmWaiters = new Map<string, (call: SlackCall) => void>();
slack.on("call", (call: SlackCall) => {
  if (call.method === "chat.postMessage" && call.status === 200 && !call.args.thread_ts)
    dmWaiters.get(String(call.args.channel))?.(call);
});

// --- the floor: a bare Bolt app on the same driver, before anything else runs ----------
async function measureFloor(): Promise<number> {
  const port = await freePort();
  const floor = spawnNode("bench/support/floor-bolt.ts", {
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_API_URL: slack.apiUrl,
    PORT: String(port),
  });
  await waitForListen(port, "/slack/events");
  const url = `http://127.0.0.1:${port}/slack/events`;
  const deadline = Date.now() + FLOOR_SECONDS * 1000;
  let requests = 0;
  let seq = 0;
  await Promise.all(
    Array.from({ length: VOLUNTEERS }, async (_, i) => {
      while (Date.now() < deadline) {
        const id = `floor-${i}-${seq++}`;
        const arrived = new Promise<ResponseUrlPost>((resolve) => responseWaiters.set(id, resolve));
        const body = blockActionBody(`UF${i}`, "card_send", '{"k":1,"t":0}', `${slack.url}/response/${id}`);
        await signedSlackRequest(url, SECRET, body, "application/x-www-form-urlencoded");
        await arrived;
        responseWaiters.delete(id);
        requests += 1;
      }
    }),
  );
  floor.kill();
  return requests / FLOOR_SECONDS;
}
const floorRequestsPerSecond = await measureFloor();
emit({ bench: "soak", what: "floor (bare Bolt, static card)", requestsPerSecond: round(floorRequestsPerSecond) });

// --- three instances behind a load balancer ---------------------------------------------
const database = await benchDatabase("soak");
const ports = await Promise.all(Array.from({ length: INSTANCES }, () => freePort()));
const env = (port: number) =>
  benchAppEnv({ slack, twilio }, SECRET, {
    PUBLIC_URL,
    ORGANIZER_IDS: ORGANIZER,
    DATABASE_URL: database.url,
    // Three instances share PostgreSQL's 100 connections (each also has its workers' pools).
    DATABASE_POOL_SIZE: "10",
    PORT: String(port),
  });
const instances: (ChildProcess | undefined)[] = [];
instances[0] = spawnApp(env(ports[0]!));
await waitHealthy(ports[0]!, Date.now(), 120_000); // the first one migrates
for (let i = 1; i < INSTANCES; i++) instances[i] = spawnApp(env(ports[i]!));
await Promise.all(ports.map((port) => waitHealthy(port, Date.now(), 120_000)));
await seedActiveCampaign(database.url, { slug: "soak", count: CONTACTS, areaCode: "303", zone: "America/Denver" });
slack.rateLimitFraction.set("chat.postMessage", 0.05);
slack.rateLimitFraction.set("chat.update", 0.05);

const backendAgent = new HttpAgent({ keepAlive: true, maxSockets: 256 });
let nextBackend = 0;
const lb = createServer((req, res) => {
  void (async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const first = nextBackend++;
    for (let tries = 0; tries < INSTANCES; tries++) {
      const port = ports[(first + tries) % INSTANCES]!;
      const outcome = await forward(port, req, body);
      if (outcome === "refused") continue; // nothing reached it: another instance may take it
      if (outcome === "cut") break;
      res.writeHead(outcome.status, { ...outcome.headers, "x-soak-instance": String(ports.indexOf(port)) });
      res.end(outcome.body);
      return;
    }
    res.writeHead(502).end();
  })().catch(() => res.writeHead(502).end());
});
await new Promise<void>((resolve) => lb.listen(lbPort, "127.0.0.1", resolve));

function forward(
  port: number,
  req: IncomingMessage,
  body: Buffer,
): Promise<"refused" | "cut" | { status: number; headers: Record<string, string>; body: Buffer }> {
  return new Promise((resolve) => {
    const out = httpRequest(
      { host: "127.0.0.1", port, method: req.method, path: req.url, headers: req.headers, agent: backendAgent },
      (answer) => {
        const parts: Buffer[] = [];
        answer.on("data", (chunk: Buffer) => parts.push(chunk));
        answer.on("end", () => {
          const headers: Record<string, string> = {};
          const type = answer.headers["content-type"];
          if (type) headers["content-type"] = type;
          resolve({ status: answer.statusCode ?? 502, headers, body: Buffer.concat(parts) });
        });
        answer.on("error", () => resolve("cut"));
      },
    );
    out.on("error", (error: NodeJS.ErrnoException) => resolve(error.code === "ECONNREFUSED" ? "refused" : "cut"));
    out.end(body);
  });
}

// --- kills ---------------------------------------------------------------------------------
/** When each instance last started: acks from its first seconds are its warm-up. */
const startedAt = ports.map(() => Date.now());
const WARM_UP_MS = 15_000;
let kills = 0;
let killing = true;
const killer = (async () => {
  let victim = 0;
  while (killing) {
    await sleep(KILL_EVERY_MS);
    if (!killing) break;
    const index = victim++ % INSTANCES;
    instances[index]!.kill("SIGKILL");
    kills += 1;
    await sleep(1000);
    instances[index] = spawnApp(env(ports[index]!));
    startedAt[index] = Date.now();
    await waitHealthy(ports[index]!, Date.now(), 120_000).catch(() => undefined);
  }
})();

// --- the volunteers ---------------------------------------------------------------------
const acks: number[] = [];
const warmUpAcks: number[] = [];
/** [seconds into the run, ack ms, instance, kind] for SOAK_DETAILS. */
const ackLog: [number, number, number, string][] = [];
let lostRequests = 0;
let seq = 0;
const deadline = Date.now() + SECONDS * 1000;
const runStart = Date.now();
const phoneOfContact = new Map<number, string>();
const db = new pg.Pool({ connectionString: database.url, max: 4 });

/** A signed Slack request through the balancer: its ack time, or undefined when it was lost to a kill. */
async function slackRequest(body: string, kind = "action"): Promise<boolean> {
  const t0 = performance.now();
  try {
    const answer = await signedSlackRequest(`${lbUrl}/slack/events`, SECRET, body, "application/x-www-form-urlencoded");
    if (answer.status >= 500) {
      lostRequests += 1;
      return false;
    }
    const ms = performance.now() - t0;
    acks.push(ms);
    const instance = Number(answer.headers["x-soak-instance"]);
    if (Date.now() - (startedAt[instance] ?? 0) < WARM_UP_MS) warmUpAcks.push(ms);
    if (process.env.SOAK_DETAILS)
      ackLog.push([Math.round((Date.now() - runStart) / 100) / 10, Math.round(ms), instance, kind]);
    return answer.status < 400;
  } catch {
    lostRequests += 1;
    return false;
  }
}

async function startShift(user: string): Promise<CardButton | undefined> {
  while (Date.now() < deadline) {
    const posted = new Promise<SlackCall | undefined>((resolve) => {
      dmWaiters.set(user, resolve);
      setTimeout(() => resolve(undefined), PATIENCE_MS).unref();
    });
    const form = commandBody(user, "shift soak", `${slack.url}/response/shift-${user}-${seq++}`);
    if (!(await slackRequest(form, "shift"))) {
      await sleep(1000);
      continue;
    }
    const call = await posted;
    if (call) return buttonsOf(call.args.blocks).card_send;
  }
  return undefined;
}

const racingStops: { phone: string; answeredAt: number }[] = [];
let presses = 0;

async function volunteer(i: number): Promise<void> {
  const user = `USOAK${i}`;
  let button = await startShift(user);
  while (button && Date.now() < deadline) {
    const id = `${user}-${seq++}`;
    const arrived = new Promise<ResponseUrlPost | undefined>((resolve) => {
      responseWaiters.set(id, resolve);
      setTimeout(() => resolve(undefined), PATIENCE_MS).unref();
    });
    // Now and then the person on the card texts STOP just as the volunteer presses Send.
    const race = Math.random() < 0.02 ? raceStop(button) : undefined;
    presses += 1;
    const sent = await slackRequest(
      blockActionBody(user, "card_send", button.value, `${slack.url}/response/${id}`, button.block_id),
    );
    await race;
    const post = sent ? await arrived : undefined;
    responseWaiters.delete(id);
    if (!post) {
      await sleep(1000); // no answer: press the same Send again (it shows the current card)
      continue;
    }
    const next = buttonsOf(post.body.blocks).card_send;
    if (!next) break; // the pool is empty or the shift ended
    button = next;
    if (THINK_MS) await sleep(THINK_MS * (0.5 + Math.random()));
  }
}

async function raceStop(button: CardButton): Promise<void> {
  const contactId = (JSON.parse(button.value) as { k: number }).k;
  let phone = phoneOfContact.get(contactId);
  if (!phone) {
    const { rows } = await db.query<{ phone: string }>("SELECT phone FROM contacts WHERE id = $1", [contactId]);
    phone = rows[0]?.phone;
  }
  if (!phone) return;
  const answeredAt = await inbound(phone, "Stop texting me");
  if (answeredAt) racingStops.push({ phone, answeredAt });
}

// --- contacts replying ----------------------------------------------------------------------
let inboundSeq = 0;
interface SentInbound {
  sid: string;
  phone: string;
  body: string;
  optOut: boolean;
  answeredAt: number;
}
const inboundSent: SentInbound[] = [];
const optedOutPhones = new Set<string>();
const STOP_PHRASES = ["Stop texting me", "Please remove me from your list", "STOP", "unsubscribe me please", "ARRET"];
for (const phrase of STOP_PHRASES) {
  if (classifyInbound(phrase).kind !== "opt_out") throw new Error(`not an opt-out: ${phrase}`);
}

/** A text from a contact, retried (as Twilio's fallback would) until an instance stores it; when it was answered. */
async function inbound(phone: string, body: string): Promise<number | undefined> {
  const sid = `SMsoak${String(++inboundSeq).padStart(28, "0")}`;
  const params = { MessageSid: sid, AccountSid: twilio.accountSid, From: phone, To: twilio.fromNumber, Body: body };
  for (let tries = 0; tries < 20; tries++) {
    try {
      const res = await signedTwilioPost(`${lbUrl}/twilio/sms`, twilio.authToken, params, PUBLIC_URL);
      await res.arrayBuffer();
      if (res.ok) {
        const answeredAt = Date.now();
        inboundSent.push({ sid, phone, body, optOut: classifyInbound(body).kind === "opt_out", answeredAt });
        return answeredAt;
      }
    } catch {
      // cut by a kill: Twilio tries again
    }
    await sleep(500);
  }
  return undefined;
}

async function contactsReplying(): Promise<void> {
  while (Date.now() < deadline) {
    await sleep(100);
    if (Math.random() < 0.05) await refreshCreated();
    const texted = created.slice(-2000).filter((m) => m.body.startsWith("Hi ") && !optedOutPhones.has(m.to));
    if (!texted.length) continue;
    const message = pick(texted);
    if (Math.random() < 0.1) {
      optedOutPhones.add(message.to);
      void inbound(message.to, pick(STOP_PHRASES));
    } else {
      void inbound(message.to, `Reply number ${inboundSeq + 1} from a contact`);
    }
  }
}

// The driver's own event loop: when it lags, every latency it measures is that much longer.
const driverLag = monitorEventLoopDelay({ resolution: 20 });
driverLag.enable();

// --- run ----------------------------------------------------------------------------------------
twilio.faults(true);
const started = Date.now();
await Promise.all([...Array.from({ length: VOLUNTEERS }, (_, i) => volunteer(i)), contactsReplying()]);
const seconds = (Date.now() - started) / 1000;
await refreshCreated();
const sentDuringRun = created.length;
killing = false;
await killer;
twilio.faults(false);
slack.rateLimitFraction.clear();
// Make sure every instance runs, then give the app time to finish what it owes: the retry
// sweep takes a text whose lease (60 s) ran out, the outbox posts what Slack refused.
for (let i = 0; i < INSTANCES; i++) {
  const healthy = await fetch(`http://127.0.0.1:${ports[i]}/healthz`).then(
    (r) => r.ok,
    () => false,
  );
  if (!healthy) {
    instances[i]?.kill("SIGKILL");
    instances[i] = spawnApp(env(ports[i]!));
    await waitHealthy(ports[i]!, Date.now(), 120_000);
  }
}
const owed = async () => {
  const { rows } = await db.query<{ unsent: number; unprocessed: number; unposted: number }>(
    `SELECT (SELECT count(*)::int FROM messages WHERE direction = 'out' AND status IN ('pending', 'submitting')) AS unsent,
            (SELECT count(*)::int FROM messages WHERE direction = 'in' AND processed_at IS NULL AND set_aside_at IS NULL)
              AS unprocessed,
            (SELECT count(*)::int FROM slack_outbox WHERE state = 'pending') AS unposted`,
  );
  return rows[0]!;
};
const settleBy = Date.now() + 180_000;
let left = await owed();
while ((left.unsent || left.unprocessed || left.unposted) && Date.now() < settleBy) {
  await sleep(2000);
  left = await owed();
}
await sleep(6000); // the last status callbacks and posts

// --- the figures ----------------------------------------------------------------------------
const { faults, callbacks } = await refreshCreated();
const openings = created.filter((m) => m.body.startsWith("Hi "));
const perPhone = new Map<string, number>();
for (const m of openings) perPhone.set(m.to, (perPhone.get(m.to) ?? 0) + 1);
const doubleTexts = [...perPhone.values()].filter((n) => n > 1).length;

// An opt-out is answered when its webhook is; nothing but the confirmation may be asked of Twilio after.
const optOutAnswered = new Map<string, number>();
for (const s of [...inboundSent.filter((s) => s.optOut), ...racingStops]) {
  const at = optOutAnswered.get(s.phone);
  if (at === undefined || s.answeredAt < at) optOutAnswered.set(s.phone, s.answeredAt);
}
const { rows: confirmation } = await db.query<{ body: string }>(
  "SELECT DISTINCT body FROM messages WHERE kind = 'auto' AND direction = 'out'",
);
const autoBodies = new Set(confirmation.map((r) => r.body));
const textsAfterOptOut = created.filter((m) => {
  const at = optOutAnswered.get(m.to);
  return at !== undefined && m.requestedAt > at && !autoBodies.has(m.body);
}).length;

// Every inbound text the app answered is stored once and shown once in its thread.
const { rows: stored } = await db.query<{ twilio_sid: string; n: number; processed: boolean; set_aside: boolean }>(
  `SELECT twilio_sid, count(*)::int AS n, bool_and(processed_at IS NOT NULL) AS processed,
          bool_or(set_aside_at IS NOT NULL) AS set_aside
   FROM messages WHERE direction = 'in' GROUP BY twilio_sid`,
);
const storedBySid = new Map(stored.map((r) => [r.twilio_sid, r]));
const threadPosts = new Map<string, number>();
for (const call of slack.calls) {
  if (call.method !== "chat.postMessage" || call.status !== 200 || !call.args.thread_ts) continue;
  const text = String(call.args.text ?? "");
  const marker = /Reply number \d+ from a contact/.exec(text)?.[0];
  if (marker) threadPosts.set(marker, (threadPosts.get(marker) ?? 0) + 1);
}
const replies = inboundSent.filter((s) => !s.optOut);
const storedOnce = inboundSent.filter((s) => storedBySid.get(s.sid)?.n === 1).length;
const shownOnce = replies.filter((s) => threadPosts.get(s.body) === 1).length;
const shownTwice = replies.filter((s) => (threadPosts.get(s.body) ?? 0) > 1).length;
const setAside = stored.filter((r) => r.set_aside).length;
left = await owed();

emit({
  bench: "soak",
  what: "textbank, 3 instances",
  seconds: round(seconds),
  volunteers: VOLUNTEERS,
  presses,
  textsSent: sentDuringRun,
  openings: openings.length,
  sendsPerSecond: round(sentDuringRun / seconds),
  kills,
  faults,
  slack429s: slack.calls.filter((c) => c.status === 429).length,
  statusCallbacks: callbacks,
  thinkMs: THINK_MS,
  driverLoopDelayMs: {
    p50: round(driverLag.percentile(50) / 1e6),
    p99: round(driverLag.percentile(99) / 1e6),
    max: round(driverLag.max / 1e6),
  },
  ackMs: summarize(acks),
  warmUpAckMs: summarize(warmUpAcks),
  requestsLostToKills: lostRequests,
});
emit({
  bench: "soak",
  what: "guarantees",
  doubleTexts,
  textsAfterOptOutAnswered: textsAfterOptOut,
  optOutsAnswered: optOutAnswered.size,
  racingStops: racingStops.length,
  inboundAnswered: inboundSent.length,
  inboundStoredOnce: storedOnce,
  repliesShownOnce: `${shownOnce}/${replies.length}`,
  repliesShownTwice: shownTwice,
  inboundSetAside: setAside,
  stuckUnsent: left.unsent,
  unprocessedInbound: left.unprocessed,
  unpostedSlack: left.unposted,
  maxAckMs: round(Math.max(...acks)),
  sendsVsFloorRequests: round(sentDuringRun / seconds / floorRequestsPerSecond),
});

if (process.env.SOAK_DETAILS) {
  // What went wrong, for a person to read: the doubles and the late texts, as Twilio and the database saw them.
  const doubles = [...perPhone].filter(([, n]) => n > 1).map(([phone]) => phone);
  const late = created
    .filter((m) => {
      const at = optOutAnswered.get(m.to);
      return at !== undefined && m.requestedAt > at && !autoBodies.has(m.body);
    })
    .map((m) => m.to);
  const details = [];
  for (const phone of [...doubles.slice(0, 10), ...late.slice(0, 10)]) {
    const { rows } = await db.query(
      `SELECT m.id, m.kind, m.status, m.twilio_sid, m.attempts, m.created_at, m.updated_at, m.lease_until, m.sent_by,
              m.error_code, m.idempotency_key
       FROM messages m WHERE m.to_phone = $1 ORDER BY m.id`,
      [phone],
    );
    const { rows: optOut } = await db.query("SELECT * FROM opt_outs WHERE phone = $1", [phone]);
    details.push({
      phone,
      twilio: created.filter((m) => m.to === phone),
      answeredOptOut: optOutAnswered.get(phone),
      rows,
      optOut,
    });
  }
  writeFileSync(process.env.SOAK_DETAILS, JSON.stringify(details, null, 1));
  writeFileSync(`${process.env.SOAK_DETAILS}.acks`, ackLog.map((a) => a.join(" ")).join("\n"));
}
for (const child of instances) child?.kill("SIGTERM");
await sleep(2000);
await db.end();
await database.drop();
lb.close();
await slack.stop();
await twilio.stop();
process.exit(0);
