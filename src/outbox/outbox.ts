import { WebClient } from "@slack/web-api";
import { CompiledQuery, sql, type Kysely } from "kysely";
import type { DB } from "../db/schema.ts";
import type { Logger } from "../logger.ts";
import { decideAfterFailure } from "./failures.ts";

/**
 * Durable posting to Slack. Producers write a row in their own transaction, keyed by a dedupe
 * key, so a retried webhook or event enqueues nothing new. Workers on any instance claim due
 * rows with FOR UPDATE SKIP LOCKED and a 30 s lease (a crashed instance's claim expires), post
 * each channel's items one at a time in id order, pace a channel to about one post a second
 * (in memory, and in the database: marking an item posted holds the channel's next item for the
 * rest of the gap, whichever instance takes it), honour Retry-After on 429 and back off on 5xx
 * and network errors (policy: outbox-failures.ts).
 *
 * Its own WebClient rejects rate-limited calls instead of pausing its queue and never retries by
 * itself, so a 429 here never stalls a volunteer's card or modal (the app's client), and only
 * this file decides when to try again.
 *
 * Duplicates versus losses: Slack has no idempotency key for chat.postMessage, so a post whose
 * answer never arrives (a timeout, a 500, a dropped connection, a crash before the row is marked)
 * may or may not be in Slack. With the client's retries off that is the only window, and the
 * lease (30 s) outlives the request timeout (15 s), so two workers never hold one item. Every
 * post carries its dedupe key in Slack's message metadata, so before trying an item again the
 * worker looks in the thread (or the channel's latest messages) for a post with that key and,
 * when it finds one, records it instead of posting a second. When Slack cannot be asked (no
 * history scope, an unknown channel) we post: a rare repeated line beats a reply nobody sees.
 */

type Db = Kysely<DB>;
export type OutboxMethod =
  | "chat.postMessage"
  | "chat.update"
  | "chat.postEphemeral"
  // Receipts on a volunteer's reply (slack/reply-receipts.ts); Slack's already_reacted and
  // no_reaction answers count as done (outbox/failures.ts).
  | "reactions.add"
  | "reactions.remove";

/** A thread_ts that is the ts of another outbox item, known once that item is posted. */
export interface ThreadFromOutbox {
  fromOutbox: string;
}

export interface EnqueueInput {
  dedupeKey: string;
  channel: string;
  payload: Record<string, unknown> & { thread_ts?: string | ThreadFromOutbox };
  method?: OutboxMethod;
  /** The dedupe key of an item that must be posted first (a thread_ts placeholder implies it). */
  after?: string;
}

/** Bookkeeping kept in the payload under this key and never sent to Slack. */
const META = "_outbox";
interface OutboxMeta {
  after?: string;
  /** Where Slack put the post: a D… id when the item named a user. Thread replies go there. */
  postedChannel?: string;
}

/**
 * jsonb refuses a lone surrogate and a NUL character: either would make the insert fail and the
 * post (a contact's reply, say) never appear. Text is cut at character boundaries everywhere
 * (slack/blocks/text.ts); this is the last guard, replacing what is left with U+FFFD.
 */
function wellFormed(_key: string, value: unknown): unknown {
  return typeof value === "string" ? value.toWellFormed().replaceAll("\u0000", "\uFFFD") : value;
}

/** Inserts once per dedupe key; works inside the caller's transaction. */
export async function enqueuePost(db: Db, input: EnqueueInput): Promise<{ id: number; created: boolean }> {
  const payload = input.after
    ? { ...input.payload, [META]: { after: input.after } satisfies OutboxMeta }
    : input.payload;
  const inserted = await db
    .insertInto("slack_outbox")
    .values({
      dedupe_key: input.dedupeKey,
      channel: input.channel,
      method: input.method ?? "chat.postMessage",
      payload: JSON.stringify(payload, wellFormed),
    })
    .onConflict((oc) => oc.column("dedupe_key").doNothing())
    .returning("id")
    .executeTakeFirst();
  if (inserted) return { id: inserted.id, created: true };
  const existing = await db
    .selectFrom("slack_outbox")
    .select("id")
    .where("dedupe_key", "=", input.dedupeKey)
    .executeTakeFirstOrThrow();
  return { id: existing.id, created: false };
}

/**
 * Coalescing: pending items whose dedupe key starts with `prefix`, other than `keep`, and that no
 * worker holds now, are dropped (an update of a message superseded by a newer one). An item in
 * flight is left alone and posts before the newer one (its channel's items go in id order).
 * Works inside the caller's transaction; returns how many went.
 */
export async function dropSupersededPending(db: Db, prefix: string, keep: string): Promise<number> {
  const result = await db
    .deleteFrom("slack_outbox")
    .where("dedupe_key", "like", `${prefix.replace(/[\\%_]/g, "\\$&")}%`)
    .where("dedupe_key", "!=", keep)
    .where("state", "=", "pending")
    .where((eb) => eb.or([eb("locked_until", "is", null), eb("locked_until", "<", sql<Date>`now()`)]))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * A pending item not yet claimed gets a new payload (a thread parent not posted yet, redrawn with
 * what has happened since it was queued). False when it is posted, in flight, or unknown.
 */
export async function replacePendingPayload(
  db: Db,
  dedupeKey: string,
  payload: EnqueueInput["payload"],
): Promise<boolean> {
  const result = await db
    .updateTable("slack_outbox")
    .set({ payload: JSON.stringify(payload, wellFormed) })
    .where("dedupe_key", "=", dedupeKey)
    .where("state", "=", "pending")
    .where((eb) => eb.or([eb("locked_until", "is", null), eb("locked_until", "<", sql<Date>`now()`)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export type PostedHook = (
  item: { dedupeKey: string; channel: string },
  posted: { ts: string; channel: string },
) => Promise<void> | void;

interface ClaimedItem {
  id: number;
  dedupe_key: string;
  channel: string;
  method: string;
  payload: Record<string, unknown> & { [META]?: OutboxMeta };
  attempts: number;
}

/** The metadata event type every post carries; its payload holds the item's dedupe key. */
export const POST_EVENT_TYPE = "textbank_post";
/** How far back a retry looks for its earlier post: pages of 200 messages. */
const LOOKUP_PAGES = 3;

const LEASE_SECONDS = 30;
const REQUEST_TIMEOUT_MS = 15_000;
const MAX_IN_FLIGHT = 25;
/** Claims at most every interval/10 (100 ms at Slack's pace), and never more than every 5 ms. */
const CLAIM_GAP_SHARE = 0.1;

/**
 * The head item of every channel that may post now ($1: channels cooling down or paused, $2:
 * methods paused, $3: how many). A locking CTE is never inlined, so the LIMIT and SKIP LOCKED
 * apply once, as written. Deliberately not a prepared statement (db/prepared.ts): this table
 * goes from empty to thousands of rows within a minute, and a generic plan made while it was
 * empty (nested loops over sequential scans) took 2.4 s a claim; planned each time, it costs
 * about 0.7 ms at most ten times a second.
 */
const CLAIM_DUE = `
    WITH due AS (
      SELECT o.id FROM slack_outbox o
      WHERE o.state = 'pending' AND o.next_attempt_at <= now()
        AND (o.locked_until IS NULL OR o.locked_until < now())
        AND NOT (o.channel = ANY($1::text[]))
        AND NOT (o.method = ANY($2::text[]))
        AND NOT EXISTS (SELECT 1 FROM slack_outbox p
                        WHERE p.channel = o.channel AND p.state = 'pending' AND p.id < o.id)
        AND NOT EXISTS (
          SELECT 1 FROM slack_outbox d WHERE d.state = 'pending'
            AND d.dedupe_key = coalesce(o.payload #>> '{${META},after}', o.payload #>> '{thread_ts,fromOutbox}'))
      ORDER BY o.id LIMIT $3
      FOR UPDATE OF o SKIP LOCKED)
    UPDATE slack_outbox s SET locked_until = now() + make_interval(secs => ${LEASE_SECONDS}), attempts = s.attempts + 1
    FROM due WHERE s.id = due.id
    RETURNING s.id, s.dedupe_key, s.channel, s.method, s.payload, s.attempts`;

/** Marks item $1 posted (ts $2, meta $3) and holds its channel's next item for $4 seconds (not prepared either). */
const MARK_POSTED = `
    WITH posted AS (
      UPDATE slack_outbox SET state = 'posted', posted_ts = $2, locked_until = NULL, last_error = NULL,
        payload = payload || jsonb_build_object('${META}', $3::jsonb)
      WHERE id = $1
      RETURNING id, channel)
    UPDATE slack_outbox n SET next_attempt_at = greatest(n.next_attempt_at, now() + make_interval(secs => $4::float8))
    WHERE n.id = (SELECT min(q.id) FROM slack_outbox q, posted
                  WHERE q.channel = posted.channel AND q.state = 'pending' AND q.id > posted.id)`;

export interface OutboxOptions {
  db: Db;
  token: string;
  slackApiUrl?: string;
  logger: Logger;
  instanceId?: string;
  /** Minimum gap between two posts to one channel (Slack allows about one a second). */
  perChannelIntervalMs?: number;
  /** How often an idle worker looks for due items; kick() wakes it sooner. */
  pollMs?: number;
}

/** Methods whose rate limit Slack applies per channel rather than per workspace. */
const PER_CHANNEL_LIMITED = new Set(["chat.postMessage"]);

export class Outbox {
  private readonly client: WebClient;
  private readonly db: Db;
  private readonly logger: Logger;
  private readonly name: string;
  private readonly interval: number;
  private readonly pollMs: number;
  private readonly hooks: { prefix: string; fn: PostedHook }[] = [];
  /** When each channel last started a post, and until when a 429 holds a channel or a method. */
  private readonly lastPostAt = new Map<string, number>();
  private readonly channelPausedUntil = new Map<string, number>();
  private readonly methodPausedUntil = new Map<string, number>();
  private readonly inFlight = new Set<Promise<void>>();
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private kicked = false;
  private readonly claimGapMs: number;

  constructor(options: OutboxOptions) {
    this.db = options.db;
    this.logger = options.logger;
    this.name = options.instanceId ? `outbox[${options.instanceId}]` : "outbox";
    this.interval = options.perChannelIntervalMs ?? 1000;
    this.pollMs = options.pollMs ?? 200;
    this.claimGapMs = Math.max(5, this.interval * CLAIM_GAP_SHARE);
    this.client = new WebClient(options.token, {
      slackApiUrl: options.slackApiUrl,
      rejectRateLimitedCalls: true,
      retryConfig: { retries: 0 },
      timeout: REQUEST_TIMEOUT_MS,
      logger: options.logger,
    });
  }

  /** Runs `fn` after an item whose dedupe key starts with `prefix` is posted (e.g. to store a thread's ts). */
  onPosted(prefix: string, fn: PostedHook): void {
    this.hooks.push({ prefix, fn });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops claiming, and waits for posts under way to finish and be recorded. */
  async stop(): Promise<void> {
    this.running = false;
    this.kick();
    await this.loop;
  }

  /** Wakes the worker now (after an enqueue), instead of at its next poll. */
  kick(): void {
    this.kicked = true;
    this.wake?.();
  }

  /**
   * For tests: resolves once nothing is pending (including items waiting out a 429 or a
   * back-off) and this instance has no post or hook under way; rejects after `timeoutMs`.
   */
  async drain(timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { n } = await this.db
        .selectFrom("slack_outbox")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("state", "=", "pending")
        .executeTakeFirstOrThrow();
      if (n === 0 && this.inFlight.size === 0) return;
      if (Date.now() > deadline) throw new Error(`outbox still has ${n} pending posts after ${timeoutMs} ms`);
      this.kick();
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  private async run(): Promise<void> {
    let lastClaimAt = 0;
    while (this.running) {
      try {
        // Kicks come with every enqueue and every finished post — hundreds a second in a burst
        // of replies. Claiming at most every tenth of a channel's gap keeps the claim query
        // (which reads every pending row up to the heads it finds) from competing with the
        // webhooks, and costs a post at most that much delay on top of the channel's pacing.
        const gap = lastClaimAt + this.claimGapMs - Date.now();
        if (gap > 0) await new Promise((resolve) => setTimeout(resolve, gap));
        lastClaimAt = Date.now();
        const claimed = await this.claimAndPost();
        if (claimed === 0 || this.inFlight.size >= MAX_IN_FLIGHT) await this.sleep(this.nextWakeMs());
      } catch (error) {
        this.logger.error(`${this.name}: claiming failed`, error);
        await this.sleep(Math.max(this.pollMs, 1000)); // the database is down or restarting: don't spin
      }
    }
    await Promise.allSettled(this.inFlight);
  }

  /** Waits `ms`, or until kick(); a kick that came while the worker was busy is not lost. */
  private async sleep(ms: number): Promise<void> {
    if (!this.kicked && this.running) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    this.wake = undefined;
    this.kicked = false;
  }

  /** The next poll, or sooner when a channel's pacing gap or a 429 pause ends. */
  private nextWakeMs(): number {
    const now = Date.now();
    const ends = [
      ...[...this.lastPostAt.values()].map((at) => at + this.interval),
      ...this.channelPausedUntil.values(),
      ...this.methodPausedUntil.values(),
    ];
    return Math.max(10, Math.min(this.pollMs, ...ends.filter((end) => end > now).map((end) => end - now)));
  }

  /**
   * Claims the head item of every channel that may post now — not cooling down, not paused by a
   * 429, and not waiting for an item it depends on — and starts posting them, MAX_IN_FLIGHT at most.
   */
  private async claimAndPost(): Promise<number> {
    const room = MAX_IN_FLIGHT - this.inFlight.size;
    if (room <= 0) return 0;
    const now = Date.now();
    for (const [channel, at] of this.lastPostAt) if (now - at >= this.interval) this.lastPostAt.delete(channel);
    for (const map of [this.channelPausedUntil, this.methodPausedUntil])
      for (const [key, until] of map) if (until <= now) map.delete(key);
    const holdChannels = [...new Set([...this.lastPostAt.keys(), ...this.channelPausedUntil.keys()])];
    const holdMethods = [...this.methodPausedUntil.keys()];
    const { rows } = await this.db.executeQuery<ClaimedItem>(
      CompiledQuery.raw(CLAIM_DUE, [holdChannels, holdMethods, room]),
    );
    for (const item of rows) {
      const posting: Promise<void> = this.post(item)
        .catch((error: unknown) => this.logger.error(`${this.name}: recording ${item.dedupe_key} failed`, error))
        .finally(() => {
          this.inFlight.delete(posting);
          this.kick();
        });
      this.inFlight.add(posting);
    }
    return rows.length;
  }

  private async post(item: ClaimedItem): Promise<void> {
    const { [META]: meta, ...payload } = item.payload;
    let channel = item.channel;
    const thread = payload.thread_ts as string | ThreadFromOutbox | undefined;
    if (thread && typeof thread === "object") {
      const parent = await this.db
        .selectFrom("slack_outbox")
        .select(["state", "posted_ts", "payload"])
        .where("dedupe_key", "=", thread.fromOutbox)
        .executeTakeFirst();
      if (parent?.state === "posted" && parent.posted_ts) {
        payload.thread_ts = parent.posted_ts;
        channel = (parent.payload as { [META]?: OutboxMeta })[META]?.postedChannel ?? channel;
      } else {
        // The parent failed for good (or was never queued): a reply outside its thread beats a lost one.
        this.logger.warn(
          `${this.name}: ${item.dedupe_key} posted outside a thread: ` +
            `its parent ${thread.fromOutbox} is ${parent?.state ?? "missing"}`,
        );
        delete payload.thread_ts;
      }
    }
    const startedAt = Date.now();
    this.lastPostAt.set(item.channel, startedAt);
    if (item.method === "chat.postMessage") {
      payload.metadata = { event_type: POST_EVENT_TYPE, event_payload: { key: item.dedupe_key } };
      if (item.attempts > 1) {
        // An earlier attempt may have posted without our hearing back: look before posting again.
        let earlier: { ts: string; channel: string } | undefined;
        try {
          earlier = await this.findEarlierPost(channel, payload.thread_ts as string | undefined, item.dedupe_key);
        } catch (error) {
          if (decideAfterFailure(error, item.attempts).kind !== "give_up") return this.handleFailure(item, error);
          // Slack will not say (no history scope, say): post, accepting a rare repeat.
          this.logger.warn(`${this.name}: could not look for an earlier post of ${item.dedupe_key}`, error);
        }
        if (earlier) {
          this.logger.info(`${this.name}: ${item.dedupe_key} was already posted; recorded, not posted again`);
          return this.recordPosted(item, meta, earlier.ts, earlier.channel, startedAt);
        }
      }
    }
    let result: { ts?: string; message_ts?: string; channel?: string };
    try {
      result = (await this.client.apiCall(item.method, { ...payload, channel })) as typeof result;
    } catch (error) {
      return this.handleFailure(item, error);
    }
    await this.recordPosted(item, meta, result.ts ?? result.message_ts ?? "", result.channel ?? channel, startedAt);
  }

  private async recordPosted(
    item: ClaimedItem,
    meta: OutboxMeta | undefined,
    ts: string,
    postedChannel: string,
    startedAt: number,
  ): Promise<void> {
    await this.markPosted(item, ts, { ...meta, postedChannel }, Math.max(0, startedAt + this.interval - Date.now()));
    for (const hook of this.hooks) {
      if (!item.dedupe_key.startsWith(hook.prefix)) continue;
      try {
        await hook.fn({ dedupeKey: item.dedupe_key, channel: item.channel }, { ts, channel: postedChannel });
      } catch (error) {
        this.logger.error(`${this.name}: onPosted hook for ${item.dedupe_key} failed`, error);
      }
    }
  }

  /**
   * A post carrying `key` in its metadata: in the thread when the item is a thread reply,
   * otherwise among the channel's latest messages (a retry comes within minutes of the first
   * attempt). A user id is first turned into the id of the app's DM with that user.
   */
  private async findEarlierPost(
    target: string,
    threadTs: string | undefined,
    key: string,
  ): Promise<{ ts: string; channel: string } | undefined> {
    let channel = target;
    if (/^[UW]/.test(target)) {
      const opened = (await this.client.apiCall("conversations.open", { users: target })) as {
        channel?: { id?: string };
      };
      channel = opened.channel?.id ?? target;
    }
    type Page = {
      messages?: { ts?: string; metadata?: { event_type?: string; event_payload?: { key?: unknown } } }[];
      response_metadata?: { next_cursor?: string };
    };
    let cursor: string | undefined;
    for (let page = 0; page < LOOKUP_PAGES; page++) {
      const args = { channel, include_all_metadata: true, limit: 200, ...(cursor ? { cursor } : {}) };
      const answer = (await this.client.apiCall(
        threadTs ? "conversations.replies" : "conversations.history",
        threadTs ? { ...args, ts: threadTs } : args,
      )) as Page;
      const found = answer.messages?.find(
        (m) => m.metadata?.event_type === POST_EVENT_TYPE && m.metadata.event_payload?.key === key,
      );
      if (found?.ts) return { ts: found.ts, channel };
      cursor = answer.response_metadata?.next_cursor;
      if (!cursor) return undefined;
    }
    return undefined;
  }

  /**
   * Marks the item posted and, in the same statement, holds the channel's next item for the rest
   * of the gap. (One enqueued later is held only by this instance's memory: at worst a short
   * burst from another instance, which Slack allows or answers with a 429 that we honour.)
   */
  private async markPosted(item: ClaimedItem, ts: string, meta: OutboxMeta, gapMs: number): Promise<void> {
    await this.db.executeQuery(CompiledQuery.raw(MARK_POSTED, [item.id, ts, JSON.stringify(meta), gapMs / 1000]));
  }

  private async handleFailure(item: ClaimedItem, error: unknown): Promise<void> {
    const decision = decideAfterFailure(error, item.attempts);
    if (decision.kind === "rate_limited") {
      // Slack says exactly when; a 429 is not a failed attempt. chat.postMessage is limited per
      // channel (about one a second), so its 429 holds that channel only: holding the method
      // would let one busy channel stall every volunteer's DM. Other methods are limited per
      // workspace (Tier 2–4), so their 429 holds the method everywhere.
      const until = Date.now() + decision.waitMs;
      this.channelPausedUntil.set(item.channel, until);
      if (!PER_CHANNEL_LIMITED.has(item.method)) this.methodPausedUntil.set(item.method, until);
      this.logger.info(`${this.name}: ${item.method} rate limited, ${item.dedupe_key} waits ${decision.waitMs} ms`);
      return this.retryLater(item, decision.waitMs, false, "ratelimited");
    }
    if (decision.kind === "done") {
      this.logger.info(`${this.name}: ${item.dedupe_key} was already done (${decision.reason})`);
      await this.markPosted(item, "", { ...item.payload[META], postedChannel: item.channel }, 0);
      return;
    }
    if (decision.kind === "give_up") {
      this.logger.error(
        `${this.name}: gave up on ${item.dedupe_key} (${item.method} to ${item.channel}): ${decision.reason}`,
      );
      await this.db
        .updateTable("slack_outbox")
        .set({ state: "failed", locked_until: null, last_error: decision.reason })
        .where("id", "=", item.id)
        .execute();
      return;
    }
    this.logger.warn(`${this.name}: ${item.dedupe_key} will be retried in ${decision.waitMs} ms (${decision.reason})`);
    return this.retryLater(item, decision.waitMs, true, decision.reason);
  }

  /** Releases the claim until `delayMs` from now; `countAttempt` false undoes the claim's count. */
  private async retryLater(
    item: ClaimedItem,
    delayMs: number,
    countAttempt: boolean,
    lastError: string,
  ): Promise<void> {
    await this.db
      .updateTable("slack_outbox")
      .set((eb) => ({
        locked_until: null,
        next_attempt_at: sql`now() + make_interval(secs => ${delayMs / 1000})`,
        attempts: countAttempt ? eb.ref("attempts") : eb("attempts", "-", 1),
        last_error: lastError,
      }))
      .where("id", "=", item.id)
      .execute();
  }
}

/**
 * Posted items older than `days` go, a batch at a time (short statements, no long lock on the
 * queue). A posted row only ever served as the memory of its dedupe key, and every retry it
 * guards against (a webhook, an event, a job's run) comes within minutes. Returns how many went.
 */
export async function prunePosted(db: Db, days: number, batch = 10_000): Promise<number> {
  let total = 0;
  for (;;) {
    const result = await sql`
      DELETE FROM slack_outbox WHERE id IN (
        SELECT id FROM slack_outbox
        WHERE state = 'posted' AND created_at < now() - make_interval(days => ${days})
        LIMIT ${batch})`.execute(db);
    const n = Number(result.numAffectedRows ?? 0);
    total += n;
    if (n < batch) return total;
  }
}
