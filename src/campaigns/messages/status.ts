import { sql } from "kysely";
import type { Database } from "../../db/database.ts";
import type { MessageStatus } from "../../db/schema.ts";

/**
 * A message's status only moves forward: queued/accepted → sending → sent →
 * delivered | undelivered | failed → read. Callbacks arrive out of order; a late `sent`
 * never overwrites `delivered`.
 */
export const STATUS_RANK: Record<MessageStatus, number> = {
  queued: 0,
  accepted: 0,
  sending: 1,
  sent: 2,
  delivered: 3,
  undelivered: 3,
  failed: 3,
  read: 4,
  received: 0,
};

export function isMessageStatus(value: string): value is MessageStatus {
  return Object.hasOwn(STATUS_RANK, value);
}

const rankSql = sql<number>`CASE status
  WHEN 'sending' THEN 1 WHEN 'sent' THEN 2
  WHEN 'delivered' THEN 3 WHEN 'undelivered' THEN 3 WHEN 'failed' THEN 3
  WHEN 'read' THEN 4 ELSE 0 END`;

/** Applies a status callback; returns the updated row's id, or undefined when it was stale or unknown. */
export async function advanceMessageStatus(
  db: Database,
  input: { sid: string; status: MessageStatus; errorCode: number | null },
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
