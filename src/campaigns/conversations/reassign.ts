import { sql } from "kysely";
import type { Database } from "../../db/database.ts";

/**
 * Moves a volunteer's conversations in a campaign to another volunteer. The threads start
 * again in the new volunteer's DM (the caller posts them), so the old thread coordinates are
 * cleared; the old volunteer's held contact goes back to the pool.
 */
export async function reassignConversations(
  db: Database,
  input: { campaignId: number; from: string; to: string },
): Promise<number[]> {
  return db.transaction().execute(async (tx) => {
    const moved = await tx
      .updateTable("conversations")
      .set({ volunteer_id: input.to, slack_channel: null, slack_thread_ts: null })
      .where("campaign_id", "=", input.campaignId)
      .where("volunteer_id", "=", input.from)
      .returning("id")
      .execute();
    await tx
      .updateTable("contacts")
      .set({ status: "pool", held_by: null, held_at: null })
      .where("campaign_id", "=", input.campaignId)
      .where("status", "=", "held")
      .where("held_by", "=", input.from)
      .execute();
    return moved.map((row) => row.id);
  });
}

/** The conversation so far, oldest first, for the new volunteer's thread. */
export async function conversationHistory(
  db: Database,
  conversationId: number,
  limit = 30,
): Promise<{ direction: "out" | "in"; body: string; at: Date }[]> {
  const rows = await db
    .selectFrom("messages")
    .select(["direction", "body", "created_at as at"])
    .where("conversation_id", "=", conversationId)
    .orderBy("id", "desc")
    .limit(limit)
    .execute();
  return rows.reverse();
}

/** Conversations waiting on an answer longer than `minutes` (one volunteer's, or everyone's). */
export async function staleConversations(
  db: Database,
  input: { campaignId: number; minutes: number; volunteerId?: string },
): Promise<{ id: number; volunteerId: string | null }[]> {
  let query = db
    .selectFrom("conversations")
    .select(["id", "volunteer_id as volunteerId"])
    .where("campaign_id", "=", input.campaignId)
    .where("waiting_since", "<", sql<Date>`now() - make_interval(mins => ${input.minutes})`);
  if (input.volunteerId) query = query.where("volunteer_id", "=", input.volunteerId);
  return query.orderBy("waiting_since").limit(500).execute();
}

/** Hands one conversation to another volunteer; its thread starts again in their DM. */
export async function moveConversation(db: Database, conversationId: number, to: string): Promise<void> {
  await db
    .updateTable("conversations")
    .set({ volunteer_id: to, slack_channel: null, slack_thread_ts: null })
    .where("id", "=", conversationId)
    .execute();
}

/** Volunteers on shift in the campaign, fewest waiting conversations first: who can take a handoff. */
export async function handoffCandidates(db: Database, campaignId: number, except: string[]): Promise<string[]> {
  const rows = await sql<{ user_id: string }>`
    SELECT w.user_id FROM volunteers w
    WHERE w.campaign_id = ${campaignId} AND w.on_shift AND NOT (w.user_id = ANY(${except}::text[]))
    ORDER BY (SELECT count(*) FROM conversations v
              WHERE v.campaign_id = w.campaign_id AND v.volunteer_id = w.user_id AND v.waiting_since IS NOT NULL),
             w.user_id`.execute(db);
  return rows.rows.map((r) => r.user_id);
}
