import { sql } from "kysely";
import type { Database } from "../db/database.ts";
import type { MessageStatus } from "../db/schema.ts";

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
