import { sql } from "kysely";
import type { Database } from "../../db/database.ts";

/** The longest escalation reason (the modal's limit, and a CHECK in migration 0019). */
export const MAX_ESCALATION_REASON = 500;

/** Sets (or, with null, clears) where a campaign's escalations go. */
export async function setEscalationChannel(db: Database, campaignId: number, channel: string | null): Promise<void> {
  await db.updateTable("campaigns").set({ escalation_channel: channel }).where("id", "=", campaignId).execute();
}

export interface Escalation {
  conversationId: number;
  campaignId: number;
  escalatedAt: Date;
  /** Null: the campaign has no escalation channel, so the organizers' DMs. */
  channel: string | null;
}

/**
 * Marks a conversation escalated, by whom and why. Escalating again (a new reason, or nobody
 * answered the one who took it) replaces the reason and frees it to be taken anew; whoever took
 * it before keeps their thread. Undefined when the conversation is gone.
 */
export async function escalateConversation(
  db: Database,
  input: { conversationId: number; userId: string; reason: string },
): Promise<Escalation | undefined> {
  const row = await db
    .updateTable("conversations as c")
    .from("campaigns as k")
    .set({
      escalated_at: sql`date_trunc('milliseconds', now())`,
      escalated_by: input.userId,
      escalation_reason: input.reason,
      taken_by: null,
      taken_at: null,
    })
    .whereRef("k.id", "=", "c.campaign_id")
    .where("c.id", "=", input.conversationId)
    .returning(["c.id", "c.campaign_id", "c.escalated_at", "k.escalation_channel"])
    .executeTakeFirst();
  if (!row?.escalated_at) return undefined;
  return {
    conversationId: row.id,
    campaignId: row.campaign_id,
    escalatedAt: row.escalated_at,
    channel: row.escalation_channel,
  };
}

export type TakeResult =
  | { kind: "taken"; escalatedAt: Date; reason: string | null }
  | { kind: "held"; by: string }
  | { kind: "not_escalated" }
  | { kind: "gone" };

/**
 * The first press of Take it wins: one conditional UPDATE (`taken_by IS NULL`). A concurrent
 * press, on any instance, waits for the winner's row lock, then finds taken_by set and matches
 * nothing. Callers open the conversation for the winner in the same transaction.
 */
export async function takeEscalation(
  db: Database,
  input: { conversationId: number; userId: string },
): Promise<TakeResult> {
  const won = await db
    .updateTable("conversations")
    .set({ taken_by: input.userId, taken_at: sql`now()` })
    .where("id", "=", input.conversationId)
    .where("escalated_at", "is not", null)
    .where("taken_by", "is", null)
    .returning(["escalated_at", "escalation_reason"])
    .executeTakeFirst();
  if (won) return { kind: "taken", escalatedAt: won.escalated_at!, reason: won.escalation_reason };
  const now = await db
    .selectFrom("conversations")
    .select(["escalated_at", "taken_by"])
    .where("id", "=", input.conversationId)
    .executeTakeFirst();
  if (!now) return { kind: "gone" };
  if (now.taken_by) return { kind: "held", by: now.taken_by };
  return { kind: "not_escalated" };
}
