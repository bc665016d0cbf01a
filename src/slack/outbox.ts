import { ErrorCode, WebClient } from "@slack/web-api";
import { sql, type Kysely } from "kysely";
import type { DB } from "../db/schema.ts";
import type { Logger } from "../logger.ts";

/**
 * Durable posting to Slack. Producers write a row (in their own transaction, keyed by a
 * dedupe key, so a retried webhook or event enqueues nothing new); workers on any instance
 * claim due rows with FOR UPDATE SKIP LOCKED and a lease, post them in order per channel,
 * pace each channel to about one post a second, honour Retry-After on 429 and back off on
 * 5xx and network errors. A crash leaves the lease to expire and another worker to post.
 *
 * The outbox has its own WebClient: it rejects rate-limited calls instead of pausing, and
 * never retries by itself, so a 429 here never stalls a volunteer's card or modal, which go
 * through the app's client. The one window for a double post is a timeout after Slack
 * accepted the post; we retry then, because a lost reply is worse than a repeated one.
 */

type Db = Kysely<DB>;
export type OutboxMethod = "chat.postMessage" | "chat.update" | "chat.postEphemeral";

/** A thread_ts that is the ts of another outbox item once it is posted. */
export interface ThreadFromOutbox {
  fromOutbox: string;
}

export interface EnqueueInput {
  dedupeKey: string;
  channel: string;
  payload: Record<string, unknown> & { thread_ts?: string | ThreadFromOutbox };
  method?: OutboxMethod;
}

export async function enqueuePost(db: Db, input: EnqueueInput): Promise<{ id: number | undefined; created: boolean }> {
  const row = await db
    .insertInto("slack_outbox")
    .values({ dedupe_key: input.dedupeKey, channel: input.channel, method: input.method ?? "chat.postMessage", payload: JSON.stringify(input.payload) })
    .onConflict((oc) => oc.column("dedupe_key").doNothing())
    .returning("id")
    .executeTakeFirst();
  return { id: row?.id, created: row !== undefined };
}

interface ClaimedItem {
  id: number;
  dedupe_key: string;
  channel: string;
  method: string;
  payload: Record<string, unknown>;
  attempts: number;
}

export type PostedHook = (item: { dedupeKey: string; channel: string }, posted: { ts: string; channel: string }) => Promise<void> | void;

const PERMANENT_ERRORS = new Set([
  "channel_not_found", "not_in_channel", "is_archived", "invalid_blocks", "invalid_blocks_format", "msg_too_long",
  "no_text", "user_not_found", "cannot_dm_bot", "message_not_found", "cant_update_message", "invalid_auth",
  "account_inactive", "token_revoked", "missing_scope", "restricted_action",
]);
const MAX_ATTEMPTS = 25;
const LEASE_SECONDS = 30;

export interface OutboxOptions {
  db: Db;
  token: string;
  slackApiUrl: string;
  logger: Logger;
  perChannelIntervalMs?: number;
  pollMs?: number;
}

export class Outbox {
  private readonly client: WebClient;
  private readonly hooks: { prefix: string; fn: PostedHook }[] = [];
  private readonly lastPost = new Map<string, number>();
  private readonly pausedUntil = new Map<string, number>();
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private readonly interval: number;
  private readonly pollMs: number;

  constructor(private readonly options: OutboxOptions) {
    this.client = new WebClient(options.token, {
      slackApiUrl: options.slackApiUrl,
      rejectRateLimitedCalls: true,
      retryConfig: { retries: 0 },
      timeout: 15_000,
      logger: options.logger,
    });
    this.interval = options.perChannelIntervalMs ?? 1000;
    this.pollMs = options.pollMs ?? 250;
  }

  onPosted(prefix: string, fn: PostedHook): void {
    this.hooks.push({ prefix, fn });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.kick();
    await this.loop;
  }

  /** Wakes the worker now (after an enqueue), instead of at its next poll. */
  kick(): void {
    this.wake?.();
  }

  /** Resolves when nothing pending is due (tests); rejects after `timeoutMs`. */
  async drain(timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const due = await this.options.db
        .selectFrom("slack_outbox")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("state", "=", "pending")
        .executeTakeFirstOrThrow();
      if (due.n === 0) return;
      if (Date.now() > deadline) throw new Error(`outbox still has ${due.n} pending posts`);
      this.kick();
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  private async run(): Promise<void> {
    while (this.running) {
      let worked = false;
      try {
        worked = await this.tick();
      } catch (error) {
        this.options.logger.error("outbox tick failed", error);
      }
      if (!worked && this.running) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.pollMs);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = undefined;
      }
    }
  }

  /** Claims the head item of every channel that may post now, and posts them concurrently. */
  private async tick(): Promise<boolean> {
    const now = Date.now();
    const cooling = [...this.lastPost].filter(([, at]) => now - at < this.interval).map(([channel]) => channel);
    for (const [key, until] of this.pausedUntil) if (until > now) cooling.push(key);
    const { rows } = await sql<ClaimedItem>`
      UPDATE slack_outbox SET locked_until = now() + make_interval(secs => ${LEASE_SECONDS}), attempts = attempts + 1
      WHERE id IN (
        SELECT o.id FROM slack_outbox o
        WHERE o.state = 'pending' AND o.next_attempt_at <= now()
          AND (o.locked_until IS NULL OR o.locked_until < now())
          AND NOT (o.channel = ANY(${cooling}::text[]))
          AND NOT EXISTS (SELECT 1 FROM slack_outbox p WHERE p.channel = o.channel AND p.state = 'pending' AND p.id < o.id)
        ORDER BY o.id LIMIT 50
        FOR UPDATE SKIP LOCKED
      )
      RETURNING id, dedupe_key, channel, method, payload, attempts`.execute(this.options.db);
    if (rows.length === 0) return false;
    await Promise.all(rows.map((item) => this.post(item)));
    return true;
  }

  private async post(item: ClaimedItem): Promise<void> {
    const { db, logger } = this.options;
    const payload = { ...item.payload };
    let channel = item.channel;
    const thread = payload.thread_ts as string | ThreadFromOutbox | undefined;
    if (thread && typeof thread === "object") {
      const parent = await db.selectFrom("slack_outbox").select(["state", "posted_ts", "payload"]).where("dedupe_key", "=", thread.fromOutbox).executeTakeFirst();
      if (parent?.state === "pending") return this.defer(item, 500, false);
      if (parent?.state === "posted" && parent.posted_ts) {
        payload.thread_ts = parent.posted_ts;
        channel = String((parent.payload as { posted_channel?: string }).posted_channel ?? channel);
      } else delete payload.thread_ts;
    }
    this.lastPost.set(item.channel, Date.now());
    try {
      const result = (await this.client.apiCall(item.method, { ...payload, channel })) as { ts?: string; channel?: string; message_ts?: string };
      const ts = result.ts ?? result.message_ts ?? "";
      const postedChannel = result.channel ?? channel;
      await db
        .updateTable("slack_outbox")
        .set({ state: "posted", posted_ts: ts, locked_until: null, last_error: null, payload: JSON.stringify({ ...item.payload, posted_channel: postedChannel }) })
        .where("id", "=", item.id)
        .execute();
      for (const hook of this.hooks) {
        if (item.dedupe_key.startsWith(hook.prefix)) await hook.fn({ dedupeKey: item.dedupe_key, channel: item.channel }, { ts, channel: postedChannel });
      }
    } catch (error) {
      const e = error as { code?: string; retryAfter?: number; data?: { error?: string }; statusCode?: number; message?: string };
      if (e.code === ErrorCode.RateLimitedError) {
        const seconds = Math.max(1, e.retryAfter ?? 1);
        this.pausedUntil.set(item.channel, Date.now() + seconds * 1000);
        return this.defer(item, seconds * 1000, false, "ratelimited");
      }
      const slackError = e.code === ErrorCode.PlatformError ? e.data?.error ?? "unknown_error" : undefined;
      if ((slackError && PERMANENT_ERRORS.has(slackError)) || item.attempts >= MAX_ATTEMPTS) {
        logger.error(`outbox: giving up on ${item.dedupe_key} (${slackError ?? e.message})`);
        await db.updateTable("slack_outbox").set({ state: "failed", locked_until: null, last_error: slackError ?? e.message ?? "error" }).where("id", "=", item.id).execute();
        return;
      }
      const backoff = Math.min(1000 * 2 ** (item.attempts - 1), 300_000);
      logger.warn(`outbox: ${item.dedupe_key} will be retried in ${backoff} ms (${slackError ?? e.statusCode ?? e.message})`);
      return this.defer(item, backoff, true, slackError ?? String(e.statusCode ?? e.code ?? "error"));
    }
  }

  /** Puts an item back for later; `countAttempt` false undoes the claim's attempt count. */
  private async defer(item: ClaimedItem, delayMs: number, countAttempt: boolean, lastError?: string): Promise<void> {
    await this.options.db
      .updateTable("slack_outbox")
      .set((eb) => ({
        locked_until: null,
        next_attempt_at: sql`now() + make_interval(secs => ${delayMs / 1000})`,
        ...(countAttempt ? {} : { attempts: eb("attempts", "-", 1) }),
        ...(lastError ? { last_error: lastError } : {}),
      }))
      .where("id", "=", item.id)
      .execute();
  }
}
