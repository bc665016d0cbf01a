import { LogLevel } from "@slack/bolt";
import { WebClient } from "@slack/web-api";
import { sql } from "kysely";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { Database } from "../../src/db/database.ts";
import type { Logger } from "../../src/logger.ts";
import { enqueuePost, Outbox, type OutboxOptions } from "../../src/outbox/outbox.ts";
import { FakeSlack, type SlackCall } from "../support/fake-slack.ts";
import { waitFor } from "../support/http-util.ts";
import { createTestDatabase, onPostgres, type TestDatabase } from "../support/test-db.ts";

/** Keeps log lines so a test can check what was (and was not) written. */
function captureLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const keep = (...args: unknown[]) =>
    void lines.push(args.map((arg) => (arg instanceof Error ? arg.message : String(arg))).join(" "));
  return {
    lines,
    debug: () => undefined,
    info: keep,
    warn: keep,
    error: keep,
    setLevel: () => undefined,
    getLevel: () => LogLevel.INFO,
    setName: () => undefined,
  };
}

describe("Slack outbox", () => {
  let testDb: TestDatabase & { handle: { db: Database } };
  let db: Database;
  let slack: FakeSlack;
  let logger: ReturnType<typeof captureLogger>;
  const outboxes: Outbox[] = [];

  const startOutbox = (options: Partial<OutboxOptions> = {}): Outbox => {
    const outbox = new Outbox({
      db,
      token: slack.botToken,
      slackApiUrl: slack.apiUrl,
      logger,
      perChannelIntervalMs: 50,
      ...options,
    });
    outboxes.push(outbox);
    outbox.start();
    return outbox;
  };
  /** Posts Slack accepted (a 429 or 5xx answer posted nothing), in the order they arrived. */
  const posted = (channel?: string): SlackCall[] =>
    slack
      .callsTo("chat.postMessage")
      .filter((call) => call.status === 200 && (channel === undefined || call.args.channel === channel));
  const textsOf = (calls: SlackCall[]) => calls.map((call) => String(call.args.text));
  /** Where a call stands in the order the fake received calls: exact, unlike `at` (ms, ties). */
  const order = (call: SlackCall) => slack.calls.indexOf(call);
  /**
   * When each Slack call was started (the moment the outbox hands it to its WebClient), per
   * channel. The outbox paces the starts of its requests; when they reach the fake also depends
   * on how busy the event loop is, so a gap measured there can shrink by as much as the earlier
   * request was delayed on its way (tens of ms on a loaded machine), while gaps between starts
   * cannot.
   */
  let starts: { method: string; channel: unknown; at: number }[] = [];
  const startsTo = (channel: string) =>
    starts.filter((start) => start.method === "chat.postMessage" && start.channel === channel).map((s) => s.at);
  const gapsOf = (times: number[]) => times.slice(1).map((at, i) => at - times[i]!);
  const enqueueMany = async (channel: string, count: number, prefix = channel) => {
    for (let i = 0; i < count; i++)
      await enqueuePost(db, { dedupeKey: `${prefix}:${i}`, channel, payload: { text: `${prefix} #${i}` } });
  };

  beforeAll(async () => {
    testDb = await createTestDatabase();
    db = testDb.handle.db;
  });
  afterAll(async () => {
    await testDb?.drop();
  });
  beforeEach(async () => {
    slack = await new FakeSlack().start();
    logger = captureLogger();
    await db.deleteFrom("slack_outbox").execute();
    starts = [];
    const apiCall = WebClient.prototype.apiCall;
    vi.spyOn(WebClient.prototype, "apiCall").mockImplementation(function (
      this: WebClient,
      method: string,
      options?: Record<string, unknown>,
    ) {
      starts.push({ method, channel: options?.channel, at: Date.now() });
      return apiCall.call(this, method, options);
    });
  });
  afterEach(async () => {
    for (const outbox of outboxes.splice(0)) await outbox.stop();
    vi.restoreAllMocks();
    await slack.stop();
  });

  it("posts every item once and in order while Slack answers 429 to a fifth of the posts", async () => {
    slack.failNext("chat.postMessage", 429, { count: 1, retryAfter: 1 });
    slack.rateLimitFraction.set("chat.postMessage", 0.2);
    await enqueueMany("C_BUSY", 10);
    const outbox = startOutbox();
    await outbox.drain(30_000);
    expect(textsOf(posted("C_BUSY"))).toEqual(Array.from({ length: 10 }, (_, i) => `C_BUSY #${i}`));
    const limited = slack.callsTo("chat.postMessage").filter((call) => call.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(1);
    // Retry-After is honoured: nothing goes to the channel within a second of a 429.
    for (const hit of limited) {
      expect(posted("C_BUSY").filter((call) => call.at > hit.at && call.at < hit.at + 950)).toEqual([]);
    }
    const rows = await db.selectFrom("slack_outbox").select(["state", "attempts"]).execute();
    expect(rows.every((row) => row.state === "posted" && row.attempts === 1)).toBe(true);
  });

  it("a 429 on chat.postMessage holds that channel only; the other DMs keep posting meanwhile", async () => {
    // Retry-After longer than this test may wait for anything (WAIT_MS): whenever the other DMs
    // go out, however slow the machine, D_LIMITED is still held then. (That the retry comes once
    // Retry-After is over is checked with shorter ones in the tests around this one.)
    slack.failNext("chat.postMessage", 429, { count: 1, retryAfter: 60 });
    await enqueueMany("D_LIMITED", 1);
    const outbox = startOutbox();
    await waitFor(() => slack.callsTo("chat.postMessage").some((call) => call.status === 429), { what: "the 429" });
    const hit = slack.callsTo("chat.postMessage").find((call) => call.status === 429)!;
    await enqueueMany("D_OTHER1", 2);
    await enqueueMany("D_OTHER2", 2);
    outbox.kick();
    await waitFor(() => posted("D_OTHER1").length === 2 && posted("D_OTHER2").length === 2, {
      what: "the other DMs",
    });
    expect(textsOf([...posted("D_OTHER1"), ...posted("D_OTHER2")])).toEqual([
      "D_OTHER1 #0",
      "D_OTHER1 #1",
      "D_OTHER2 #0",
      "D_OTHER2 #1",
    ]);
    expect(slack.callsTo("chat.postMessage").filter((call) => call.args.channel === "D_LIMITED")).toEqual([hit]);
    // It waits for Slack's minute, in the database too (where any instance would find it).
    const row = await db
      .selectFrom("slack_outbox")
      .select(["state", "next_attempt_at", "last_error"])
      .where("dedupe_key", "=", "D_LIMITED:0")
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ state: "pending", last_error: "ratelimited" });
    expect(row.next_attempt_at.getTime()).toBeGreaterThanOrEqual(hit.at + 59_000);
  });

  it("a 429 on a workspace-limited method (chat.update) holds that method for every channel", async () => {
    slack.failNext("chat.update", 429, { count: 1, retryAfter: 2 });
    await enqueuePost(db, {
      dedupeKey: "u:1",
      channel: "D_A",
      method: "chat.update",
      payload: { ts: "1.1", text: "update A" },
    });
    const outbox = startOutbox();
    await waitFor(() => slack.callsTo("chat.update").some((call) => call.status === 429), { what: "the 429" });
    const hit = slack.callsTo("chat.update").find((call) => call.status === 429)!;
    // Once the outbox has taken in the 429 (it puts the item back with the reason):
    await waitFor(
      async () =>
        (await db.selectFrom("slack_outbox").select("last_error").where("dedupe_key", "=", "u:1").executeTakeFirst())
          ?.last_error === "ratelimited",
      { what: "the 429 recorded" },
    );
    await enqueuePost(db, {
      dedupeKey: "u:2",
      channel: "D_B",
      method: "chat.update",
      payload: { ts: "2.1", text: "update B" },
    });
    outbox.kick();
    await outbox.drain(20_000);
    const updates = slack.callsTo("chat.update").filter((call) => call.status === 200);
    expect(updates.map((call) => call.args.text).sort()).toEqual(["update A", "update B"]);
    for (const call of updates) expect(call.at - hit.at).toBeGreaterThanOrEqual(1900);
  });

  it("the same dedupe key enqueued twice (a webhook or event retry) is one row and one post", async () => {
    const first = await enqueuePost(db, { dedupeKey: "in:42", channel: "C_DUP", payload: { text: "reply 42" } });
    const again = await db
      .transaction()
      .execute((tx) => enqueuePost(tx, { dedupeKey: "in:42", channel: "C_DUP", payload: { text: "reply 42" } }));
    expect(first.created).toBe(true);
    expect(again).toEqual({ id: first.id, created: false });
    await startOutbox().drain();
    expect(textsOf(posted())).toEqual(["reply 42"]);
  });

  it("a 429 on the outbox's client never delays the app's own client", async () => {
    slack.failNext("chat.postMessage", 429, { count: 1, retryAfter: 3 });
    await enqueuePost(db, { dedupeKey: "slow:1", channel: "C_LIMITED", payload: { text: "through the outbox" } });
    const outbox = startOutbox();
    await waitFor(() => slack.callsTo("chat.postMessage").some((call) => call.status === 429), { what: "the 429" });
    const appClient = new WebClient(slack.botToken, { slackApiUrl: slack.apiUrl });
    const started = performance.now();
    await appClient.chat.postMessage({ channel: "UVOLUNTEER", text: "next card" });
    await appClient.views.open({
      trigger_id: "t1",
      view: { type: "modal", title: { type: "plain_text", text: "Script" }, blocks: [] },
    });
    const appMs = performance.now() - started;
    await outbox.drain(20_000);
    const [limited, retried] = slack.callsTo("chat.postMessage").filter((call) => call.args.channel === "C_LIMITED");
    const outboxWaitMs = retried!.at - limited!.at;
    const appCalls = [
      slack.callsTo("chat.postMessage").find((call) => call.args.channel === "UVOLUNTEER")!,
      slack.callsTo("views.open")[0]!,
    ];
    console.log(
      JSON.stringify({
        test: "outbox 429 isolation",
        appClientMs: Math.round(appMs),
        outboxRetryAfterMs: outboxWaitMs,
      }),
    );
    // The app's calls went through while the outbox waited out its 429 (3 s), not after it: an
    // order, which a slow machine does not change, rather than a duration, which it does.
    for (const call of appCalls) expect(call).toMatchObject({ status: 200 });
    for (const call of appCalls) expect(order(call)).toBeLessThan(order(retried!));
    expect(outboxWaitMs).toBeGreaterThanOrEqual(2900);
    // The outbox's client did not retry by itself: the outbox saw the 429 and chose when to post again.
    expect(slack.callsTo("chat.postMessage").filter((call) => call.args.channel === "C_LIMITED")).toHaveLength(2);
    expect(logger.lines.some((line) => line.includes("rate limited") && line.includes("slow:1 waits 3000 ms"))).toBe(
      true,
    );
  });

  it("a thread reply waits for its parent and gets the parent's ts; onPosted reports it", async () => {
    const seen: { key: string; ts: string; channel: string }[] = [];
    slack.failNext("chat.postMessage", 503, { count: 1 });
    await enqueuePost(db, { dedupeKey: "conv-parent:7", channel: "UVOL7", payload: { text: "parent" } });
    await enqueuePost(db, {
      dedupeKey: "in:70",
      channel: "UVOL7",
      payload: { text: "child", thread_ts: { fromOutbox: "conv-parent:7" } },
    });
    // Another channel, ordered after the parent with `after`.
    await enqueuePost(db, {
      dedupeKey: "notice:7",
      channel: "C_ORGANIZERS",
      payload: { text: "after the parent" },
      after: "conv-parent:7",
    });
    const outbox = startOutbox();
    outbox.onPosted("conv-parent:", (item, at) => void seen.push({ key: item.dedupeKey, ...at }));
    await outbox.drain(20_000);
    const parent = posted().find((call) => call.args.text === "parent")!;
    const child = posted().find((call) => call.args.text === "child")!;
    const notice = posted().find((call) => call.args.text === "after the parent")!;
    const row = await db
      .selectFrom("slack_outbox")
      .select(["posted_ts"])
      .where("dedupe_key", "=", "conv-parent:7")
      .executeTakeFirstOrThrow();
    expect(child.args).toMatchObject({ channel: "DVOL7", thread_ts: row.posted_ts });
    expect(order(child)).toBeGreaterThan(order(parent));
    expect(order(notice)).toBeGreaterThan(order(parent));
    expect(notice.args._outbox).toBeUndefined();
    expect(seen).toEqual([{ key: "conv-parent:7", ts: row.posted_ts, channel: "DVOL7" }]);
  });

  it("after a restart the next instance posts what was left, each item once", async () => {
    await enqueueMany("C_RESTART", 8);
    const first = startOutbox({ perChannelIntervalMs: 200 });
    await waitFor(() => posted("C_RESTART").length >= 2, { what: "two posts before the restart" });
    await first.stop();
    const before = posted("C_RESTART").length;
    expect(before).toBeLessThan(8);
    await startOutbox({ perChannelIntervalMs: 200 }).drain(20_000);
    expect(textsOf(posted("C_RESTART"))).toEqual(Array.from({ length: 8 }, (_, i) => `C_RESTART #${i}`));
  });

  it("a claim left by a crashed instance is posted once its lease expires", async () => {
    const { id } = await enqueuePost(db, {
      dedupeKey: "crash:1",
      channel: "C_CRASH",
      payload: { text: "claimed then crashed" },
    });
    const { locked_until: lockedUntil } = await db
      .updateTable("slack_outbox")
      .set({ attempts: 1, locked_until: sql<Date>`now() + interval '1 second'` })
      .where("id", "=", id)
      .returning("locked_until")
      .executeTakeFirstOrThrow();
    await startOutbox().drain(20_000);
    const calls = posted("C_CRASH");
    expect(textsOf(calls)).toEqual(["claimed then crashed"]);
    // Not before the lease ran out: compared with the lease itself rather than checked after a
    // sleep, which a loaded machine can stretch past the lease. (The database keeps µs, the
    // fake ms: a few ms of slack.)
    expect(calls[0]!.at).toBeGreaterThanOrEqual(lockedUntil!.getTime() - 5);
    const row = await db
      .selectFrom("slack_outbox")
      .select(["state", "attempts"])
      .where("id", "=", id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ state: "posted", attempts: 2 });
  });

  it("paces one channel to one post a second by default, while different channels go out at once", async () => {
    await enqueueMany("C_PACED", 5);
    for (const channel of ["C_A", "C_B", "C_C", "C_D", "C_E"]) await enqueueMany(channel, 1);
    await startOutbox({ perChannelIntervalMs: undefined }).drain(20_000);
    expect(textsOf(posted("C_PACED"))).toEqual(Array.from({ length: 5 }, (_, i) => `C_PACED #${i}`));
    const paced = startsTo("C_PACED");
    const others = ["C_A", "C_B", "C_C", "C_D", "C_E"];
    const spread = others.map((channel) => startsTo(channel)[0]!);
    const gaps = gapsOf(paced);
    console.log(
      JSON.stringify({
        test: "outbox pacing",
        oneChannelMs: paced.at(-1)! - paced[0]!,
        gapsMs: gaps,
        gapsAtTheFakeMs: gapsOf(posted("C_PACED").map((call) => call.at)),
        fiveChannelsMs: Math.max(...spread) - Math.min(...spread),
      }),
    );
    expect(paced).toHaveLength(5);
    expect(paced.at(-1)! - paced[0]!).toBeGreaterThanOrEqual(3950);
    // Gaps between the starts of the requests, which is what the outbox spaces (see `starts`).
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(950);
    // The other channels are not paced behind C_PACED: each went out before C_PACED's second
    // post could (an order: a slow machine delays both sides alike).
    for (const channel of others) {
      expect(posted(channel)).toHaveLength(1);
      expect(startsTo(channel)[0]!).toBeLessThan(paced[1]!);
    }
  });

  it("the pacing gap holds across instances: a fresh instance waits out the gap the last post left", async () => {
    await enqueueMany("C_HANDOVER", 2);
    const first = startOutbox({ perChannelIntervalMs: undefined });
    await waitFor(() => posted("C_HANDOVER").length === 1, { what: "the first post" });
    await first.stop();
    await startOutbox({ perChannelIntervalMs: undefined }).drain(20_000);
    expect(textsOf(posted("C_HANDOVER"))).toEqual(["C_HANDOVER #0", "C_HANDOVER #1"]);
    const [one, two] = startsTo("C_HANDOVER");
    expect(two! - one!).toBeGreaterThanOrEqual(950);
  });

  it("a permanent Slack error fails the item once, logs no phone number, and the channel moves on", async () => {
    slack.failNext("chat.postMessage", 200, { count: 1, error: "channel_not_found" });
    await enqueuePost(db, { dedupeKey: "in:99", channel: "C_GONE", payload: { text: "From +12025550123: hello" } });
    await enqueuePost(db, { dedupeKey: "in:100", channel: "C_GONE", payload: { text: "next one" } });
    await enqueuePost(db, {
      dedupeKey: "in:101",
      channel: "C_GONE",
      payload: { text: "its reply", thread_ts: { fromOutbox: "in:99" } },
    });
    await startOutbox().drain(20_000);
    const failed = await db
      .selectFrom("slack_outbox")
      .select(["state", "last_error", "attempts"])
      .where("dedupe_key", "=", "in:99")
      .executeTakeFirstOrThrow();
    expect(failed).toEqual({ state: "failed", last_error: "channel_not_found", attempts: 1 });
    // Tried once (Slack answered ok: false), then the channel moved on; the reply to the failed
    // parent is posted outside the thread rather than lost.
    expect(slack.callsTo("chat.postMessage").map((call) => [call.args.text, call.args.thread_ts])).toEqual([
      ["From +12025550123: hello", undefined],
      ["next one", undefined],
      ["its reply", undefined],
    ]);
    expect(logger.lines.some((line) => line.includes("in:99") && line.includes("channel_not_found"))).toBe(true);
    expect(logger.lines.join("\n")).not.toContain("2025550123");
  });

  it.each(["500", "drop"] as const)(
    "a post Slack made but whose answer was lost (%s) is recorded on the retry, not posted twice",
    async (how) => {
      const hooked: string[] = [];
      await enqueuePost(db, { dedupeKey: "lost-parent:1", channel: "UVOL9", payload: { text: "parent" } });
      await enqueuePost(db, {
        dedupeKey: "lost-reply:1",
        channel: "UVOL9",
        payload: { text: "Maria: yes I'll vote", thread_ts: { fromOutbox: "lost-parent:1" } },
      });
      slack.loseNextPostAnswers(2, how); // the parent's answer, then the reply's
      const outbox = startOutbox();
      outbox.onPosted("lost-parent:", (_item, at) => void hooked.push(at.ts));
      await outbox.drain(20_000);
      // Each appears once in the DM, the reply in its parent's thread…
      const dm = slack.messagesIn("DVOL9");
      expect(dm.map((m) => m.text)).toEqual(["parent", "Maria: yes I'll vote"]);
      expect(dm[1]!.thread_ts).toBe(dm[0]!.ts);
      // …and the rows hold the ts Slack gave the posts it made, as the parent's hook was told.
      const rows = await db
        .selectFrom("slack_outbox")
        .select(["dedupe_key", "state", "posted_ts"])
        .orderBy("id")
        .execute();
      expect(rows).toEqual([
        { dedupe_key: "lost-parent:1", state: "posted", posted_ts: dm[0]!.ts },
        { dedupe_key: "lost-reply:1", state: "posted", posted_ts: dm[1]!.ts },
      ]);
      expect(hooked).toEqual([dm[0]!.ts]);
    },
  );

  it("a retry Slack cannot be asked about (no history scope) posts again rather than lose the post", async () => {
    await enqueuePost(db, { dedupeKey: "noscope:1", channel: "C_NOSCOPE", payload: { text: "reply" } });
    slack.loseNextPostAnswers(1);
    slack.failNext("conversations.history", 200, { error: "missing_scope" });
    await startOutbox().drain(20_000);
    expect(slack.messagesIn("C_NOSCOPE").map((m) => m.text)).toEqual(["reply", "reply"]);
  });

  it("retries 5xx with back-off and counts the attempts", async () => {
    slack.failNext("chat.postMessage", 500, { count: 2 });
    await enqueuePost(db, { dedupeKey: "flaky:1", channel: "C_FLAKY", payload: { text: "eventually" } });
    await startOutbox().drain(20_000);
    const calls = slack.callsTo("chat.postMessage");
    expect(calls.map((call) => call.status)).toEqual([500, 500, 200]);
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(950);
    expect(calls[2]!.at - calls[1]!.at).toBeGreaterThanOrEqual(1950);
    // …and no longer than that: the waits the outbox chose (what it took on this machine does not say).
    const waits = logger.lines.filter((line) => line.includes("flaky:1 will be retried in"));
    expect(waits.map((line) => /retried in (\d+) ms/.exec(line)?.[1])).toEqual(["1000", "2000"]);
    const row = await db
      .selectFrom("slack_outbox")
      .select(["state", "attempts", "last_error"])
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ state: "posted", attempts: 3, last_error: null });
  });

  it.runIf(onPostgres)(
    "two instances on one PostgreSQL post every item once, in order, paced across both",
    async () => {
      const second = await testDb.open();
      const channels = ["C_P1", "C_P2", "C_P3", "C_P4"];
      for (const channel of channels) await enqueueMany(channel, 10);
      // Both poll often, so both usually win claims; which one does is up to timing.
      const a = startOutbox({ perChannelIntervalMs: 200, pollMs: 20, instanceId: "a" });
      const b = startOutbox({ db: second.db, perChannelIntervalMs: 200, pollMs: 20, instanceId: "b" });
      const byInstance = { a: 0, b: 0 };
      a.onPosted("", () => void (byInstance.a += 1));
      b.onPosted("", () => void (byInstance.b += 1));
      await Promise.all([a.drain(20_000), b.drain(20_000)]);
      console.log(JSON.stringify({ test: "outbox two instances", postsByInstance: byInstance }));
      expect(byInstance.a + byInstance.b).toBe(40);
      for (const channel of channels) {
        const calls = posted(channel);
        expect(textsOf(calls)).toEqual(Array.from({ length: 10 }, (_, i) => `${channel} #${i}`));
        // Gaps between the starts of the requests, whichever instance made them (see `starts`).
        const gaps = gapsOf(startsTo(channel));
        expect(gaps).toHaveLength(9);
        expect(Math.min(...gaps)).toBeGreaterThanOrEqual(170);
      }
      expect(slack.callsTo("chat.postMessage")).toHaveLength(40);
    },
  );
});
