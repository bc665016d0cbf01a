import { sql } from "kysely";
import type { Database } from "../../db/database.ts";
import type { MessageStatus } from "../../db/schema.ts";

/**
 * An outgoing text's states, in the only order they may take:
 *
 *   pending → submitting → queued | accepted → sending → sent → delivered | undelivered | failed → read
 *
 * pending and submitting are ours (stored; a request to Twilio may be under way) and carry no
 * sid. From queued on, every status is what Twilio said, through the create's answer or a status
 * callback. Callbacks arrive out of order, so a status is applied only when it ranks above the
 * row's: a late `sent` never overwrites `delivered`. `failed` is also ours, for a text Twilio
 * refused outright or that ran out of attempts.
 */
export const STATUS_RANK: Record<MessageStatus, number> = {
  pending: 0,
  submitting: 0,
  received: 0,
  queued: 1,
  accepted: 1,
  sending: 2,
  sent: 3,
  delivered: 4,
  undelivered: 4,
  failed: 4,
  read: 5,
};

/** A status Twilio reports for a text we sent (never one of ours). */
export type ProviderStatus = Exclude<MessageStatus, "pending" | "submitting" | "received">;

export function isProviderStatus(value: string): value is ProviderStatus {
  return Object.hasOwn(STATUS_RANK, value) && value !== "pending" && value !== "submitting" && value !== "received";
}

/** STATUS_RANK in SQL, for a status held in `column`. */
export function statusRankSql(column: string): string {
  return `CASE ${column} ${RANK_CASES} ELSE 0 END`;
}

/** Written from STATUS_RANK, so the order lives in one place. */
const RANK_CASES = Object.entries(STATUS_RANK)
  .filter(([, rank]) => rank > 0)
  .map(([status, rank]) => `WHEN '${status}' THEN ${rank}`)
  .join(" ");

const rankSql = sql<number>`${sql.raw(statusRankSql("status"))}`;

/** Applies a status to the text with this sid if it moves it forward; undefined when stale or unknown. */
async function advance(
  db: Database,
  input: { sid: string; status: ProviderStatus; errorCode: number | null },
): Promise<{ id: number; conversationId: number | null; status: MessageStatus } | undefined> {
  return db
    .updateTable("messages")
    .set({ status: input.status, error_code: input.errorCode, updated_at: sql`now()` })
    .where("twilio_sid", "=", input.sid)
    .where(rankSql, "<", STATUS_RANK[input.status])
    .returning(["id", "conversation_id as conversationId", "status"])
    .executeTakeFirst();
}

/**
 * Applies a status callback. One for a sid no text holds yet is kept (early_statuses) and
 * applied when the sid is written (sms/sid-recorder.ts); it is tried once more after being
 * kept, in case the sid was written meanwhile. Returns the text when the status was applied now.
 */
export async function advanceMessageStatus(
  db: Database,
  input: { sid: string; status: ProviderStatus; errorCode: number | null },
): Promise<{ id: number; conversationId: number | null; status: MessageStatus } | undefined> {
  const applied = await advance(db, input);
  if (applied) return applied;
  const known = await db.selectFrom("messages").select("id").where("twilio_sid", "=", input.sid).executeTakeFirst();
  if (known) return undefined; // stale: the text is already further along
  await sql`
    INSERT INTO early_statuses (sid, status, error_code) VALUES (${input.sid}, ${input.status}, ${input.errorCode})
    ON CONFLICT (sid) DO UPDATE SET status = excluded.status, error_code = excluded.error_code
    WHERE ${sql.raw(statusRankSql("excluded.status"))} > ${sql.raw(statusRankSql("early_statuses.status"))}`.execute(
    db,
  );
  return advance(db, input);
}

/**
 * Where to tell people about a text that failed: its conversation's thread once there is one,
 * else the DM of whoever sent it. Undefined for a text nobody sent by hand (an auto-reply).
 */
export async function whereToReport(
  db: Database,
  messageId: number,
): Promise<{ toPhone: string; channel: string; threadTs?: string } | undefined> {
  const row = await db
    .selectFrom("messages as m")
    .leftJoin("conversations as c", "c.id", "m.conversation_id")
    .select(["m.to_phone", "m.sent_by", "c.slack_channel", "c.slack_thread_ts"])
    .where("m.id", "=", messageId)
    .executeTakeFirst();
  if (!row) return undefined;
  if (row.slack_channel && row.slack_thread_ts)
    return { toPhone: row.to_phone, channel: row.slack_channel, threadTs: row.slack_thread_ts };
  return row.sent_by ? { toPhone: row.to_phone, channel: row.sent_by } : undefined;
}

/** The Slack message (a thread reply) a text was written as, if it was one (migration 0022). */
export async function replyOrigin(
  db: Database,
  messageId: number,
): Promise<{ channel: string; ts: string } | undefined> {
  const row = await db
    .selectFrom("messages")
    .select(["slack_reply_channel", "slack_reply_ts"])
    .where("id", "=", messageId)
    .executeTakeFirst();
  return row?.slack_reply_channel && row.slack_reply_ts
    ? { channel: row.slack_reply_channel, ts: row.slack_reply_ts }
    : undefined;
}

/** Early statuses whose sid never came (a text Twilio created that we never recorded), after `days`. */
export async function pruneEarlyStatuses(db: Database, days: number): Promise<number> {
  const result = await db
    .deleteFrom("early_statuses")
    .where("received_at", "<", sql<Date>`now() - make_interval(days => ${days})`)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
