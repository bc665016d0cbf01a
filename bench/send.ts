// npm run bench:send — 300 volunteers pressing Send as soon as their next card arrives, for
// 60 s, through signed block_actions into the real app (its own process, on PostgreSQL), with
// fake Twilio and fake Slack on loopback. The floor, measured in the same run: a bare Bolt app
// with the same receiver that acks the same request and posts a static card to response_url.
// Each line also prints CPU milliseconds per operation (app, PostgreSQL, this driver with its
// fake servers) and commits per send: on a shared machine they move far less than rates do.
import { FakeSlack, type ResponseUrlPost, type SlackCall } from "../test/support/fake-slack.ts";
import { FakeTwilio } from "../test/support/fake-twilio.ts";
import { freePort, waitHealthy } from "../test/support/process.ts";
import { buttonsOf, type CardButton } from "../test/support/cards.ts";
import { blockActionBody, emit, signedSlackRequest, summarize } from "./support/load.ts";

import { benchDatabase } from "./support/database.ts";
import { benchAppEnv, seedActiveCampaign } from "./support/app.ts";
import { perOperation, readCpu } from "./support/cpu.ts";
import { round, spawnApp, spawnNode, waitForListen } from "./support/process.ts";

const VOLUNTEERS = Number(process.env.BENCH_VOLUNTEERS ?? 300);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const SECRET = "bench-signing-secret";
// Enough that the pool outlasts the run: 60,000 ran out after 54 s at 1,100 sends/s.
const CONTACTS = Number(process.env.BENCH_CONTACTS ?? 200_000);
// BENCH_FLOOR=0 measures the app alone (for comparing two builds of it); no targets are printed then.
const SKIP_FLOOR = process.env.BENCH_FLOOR === "0";

const slack = await new FakeSlack().start();
slack.recordResponses = false;
const twilio = await new FakeTwilio().start();
const waiters = new Map<string, (post: ResponseUrlPost) => void>();
slack.on("response", (post: ResponseUrlPost) => waiters.get(post.id)?.(post));
const dmWaiters = new Map<string, (call: SlackCall) => void>();
slack.on("call", (call: SlackCall) => {
  if (call.method === "chat.postMessage") dmWaiters.get(String(call.args.channel))?.(call);
});

interface RunResult {
  acks: number[];
  /** Acks of the first 5 s, while shifts are still starting: Slack's 3 s limit holds there too. */
  warmupAcks: number[];
  nextCard: number[];
  clicks: number;
  seconds: number;
}

/** Each volunteer presses Send as soon as its card arrives, until the time is up. */
async function drive(port: number, firstButton: (user: string) => Promise<CardButton | undefined>): Promise<RunResult> {
  const acks: number[] = [];
  const warmupAcks: number[] = [];
  const nextCard: number[] = [];
  let clicks = 0;
  const url = `http://127.0.0.1:${port}/slack/events`;
  const deadline = Date.now() + SECONDS * 1000;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: VOLUNTEERS }, async (_, i) => {
      const user = `UBENCH${i}`;
      let button = await firstButton(user);
      while (button && Date.now() < deadline) {
        const id = `${user}-${clicks++}`;
        const arrived = new Promise<ResponseUrlPost>((resolve) => waiters.set(id, resolve));
        const t0 = performance.now();
        await signedSlackRequest(
          url,
          SECRET,
          blockActionBody(user, "card_send", button.value, `${slack.url}/response/${id}`, button.block_id),
          "application/x-www-form-urlencoded",
        );
        acks.push(performance.now() - t0);
        if (Date.now() - started < 5000) warmupAcks.push(performance.now() - t0);
        const post = await arrived;
        nextCard.push(performance.now() - t0);
        waiters.delete(id);
        button = buttonsOf(post.body.blocks).card_send;
      }
    }),
  );
  return { acks, warmupAcks, nextCard, clicks, seconds: (Date.now() - started) / 1000 };
}

// --- the floor: bare Bolt -------------------------------------------------------------
const floorPort = await freePort();
const profile = process.env.BENCH_PROFILE ? ["--cpu-prof", "--cpu-prof-dir=/tmp/prof"] : [];
let floorRun: RunResult | undefined;
if (!SKIP_FLOOR) {
  const floor = spawnNode("bench/support/floor-bolt.ts", {
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_API_URL: slack.apiUrl,
    PORT: String(floorPort),
  });
  await new Promise((resolve) => setTimeout(resolve, 300));
  await waitForListen(floorPort, "/slack/events");
  const before = await readCpu(floor.pid);
  floorRun = await drive(floorPort, async () => ({ action_id: "card_send", value: '{"k":1,"t":0}', block_id: "card" }));
  const cpuPerRequest = perOperation(before, await readCpu(floor.pid), floorRun.acks.length);
  floor.kill();
  emit({
    bench: "send",
    what: "floor (bare Bolt, static card)",
    requestsPerSecond: round(floorRun.acks.length / floorRun.seconds),
    ackMs: summarize(floorRun.acks),
    nextCardMs: summarize(floorRun.nextCard),
    cpuPerRequest,
  });
}

// --- Textbank ---------------------------------------------------------------------------
const database = await benchDatabase("send");
const appPort = await freePort();
const app = spawnApp(
  benchAppEnv({ slack, twilio }, SECRET, { DATABASE_URL: database.url, PORT: String(appPort) }),
  profile,
);
await waitHealthy(appPort, Date.now(), 120_000);
await seedActiveCampaign(database.url, { slug: "bench", count: CONTACTS, areaCode: "202", zone: "America/New_York" });
// CPU is counted from the first card on (the shift starts are not sends).
let appBefore: ReturnType<typeof readCpu> | undefined;
const shiftAcks: number[] = [];
const appRun = await drive(appPort, async (user) => {
  const posted = new Promise<SlackCall>((resolve) => dmWaiters.set(user, resolve));
  const form = new URLSearchParams({
    command: "/campaign",
    text: "shift bench",
    user_id: user,
    channel_id: "C1",
    team_id: "T0001",
    response_url: `${slack.url}/response/shift-${user}`,
    trigger_id: "t",
  });
  const t0 = performance.now();
  await signedSlackRequest(
    `http://127.0.0.1:${appPort}/slack/events`,
    SECRET,
    form.toString(),
    "application/x-www-form-urlencoded",
  );
  shiftAcks.push(performance.now() - t0);
  const call = await posted;
  dmWaiters.delete(user);
  await (appBefore ??= readCpu(app.pid, database.url));
  return buttonsOf(call.args.blocks).card_send;
});
// Let the last deliveries reach the fake Twilio before counting.
await new Promise((resolve) => setTimeout(resolve, 3000));
const appCpu = perOperation(await appBefore!, await readCpu(app.pid, database.url), twilio.messages.length);
app.kill("SIGTERM");
// A profiled app writes its profiles as it exits: wait for that rather than kill it with the bench.
if (profile.length) await new Promise((resolve) => app.once("exit", resolve));

const perPhone = new Map<string, number>();
for (const m of twilio.messages) perPhone.set(m.to, (perPhone.get(m.to) ?? 0) + 1);
const doubleTexts = [...perPhone.values()].filter((n) => n > 1).length;
const ack = summarize(appRun.acks);
const card = summarize(appRun.nextCard);
const sendsPerSecond = round(twilio.messages.length / appRun.seconds);
if (twilio.messages.length >= CONTACTS)
  console.error(`the pool of ${CONTACTS} contacts ran out before the time was up: raise BENCH_CONTACTS`);
emit({
  bench: "send",
  what: "textbank",
  volunteers: VOLUNTEERS,
  seconds: round(appRun.seconds),
  clicks: appRun.acks.length,
  texts: twilio.messages.length,
  sendsPerSecond,
  ackMs: ack,
  shiftStartAckMs: summarize(shiftAcks),
  firstSecondsAckMs: summarize(appRun.warmupAcks),
  nextCardMs: card,
  doubleTexts,
  cpuPerSend: appCpu,
});
if (floorRun) {
  const floorAck = summarize(floorRun.acks);
  const floorCard = summarize(floorRun.nextCard);
  emit({
    bench: "send",
    what: "targets",
    ackP99VsFloor: round(ack.p99 / floorAck.p99),
    ackTarget: "≤ 1.5",
    nextCardP99VsFloor: round(card.p99 / floorCard.p99),
    nextCardTarget: "≤ 3",
    sendsVsFloorRequests: round(sendsPerSecond / (floorRun.acks.length / floorRun.seconds)),
    sendsTarget: "≥ 0.4",
    doubleTexts,
    doubleTextsTarget: 0,
  });
}

await database.drop();
await slack.stop();
await twilio.stop();
process.exit(0);
