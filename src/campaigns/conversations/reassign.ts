import { sql } from "kysely";
import type { Database } from "../../db/database.ts";

/** A conversation that changed hands: who had it and where its old thread parent is (null: never posted). */
export interface MovedThread {
  id: number;
  from: string | null;
  channel: string | null;
  threadTs: string | null;
}

/**
 * Moves a volunteer's conversations in a campaign to another volunteer, newest activity first.
 * The threads start again in the new volunteer's DM (the caller posts them), so the old thread
 * coordinates are cleared (and returned, so the old parents can say where they went); the old
 * volunteer's held contact goes back to the pool. A number that opted out stays where it is.
 */
export async function reassignConversations(
  db: Database,
  input: { campaignId: number; from: string; to: string },
): Promise<{ moved: MovedThread[]; optedOut: number }> {
  return db.transaction().execute(async (tx) => {
    const { rows } = await sql<{
      id: number | string;
      slack_channel: string | null;
      slack_thread_ts: string | null;
      opted_out: boolean;
    }>`
      SELECT v.id, v.slack_channel, v.slack_thread_ts,
             EXISTS (SELECT 1 FROM opt_outs x WHERE x.phone = c.phone) AS opted_out
      FROM conversations v JOIN contacts c ON c.id = v.contact_id
      WHERE v.campaign_id = ${input.campaignId} AND v.volunteer_id = ${input.from}
      ORDER BY GREATEST(v.last_inbound_at, v.last_outbound_at, v.created_at) DESC, v.id DESC
      FOR NO KEY UPDATE OF v`.execute(tx);
    const moving = rows.filter((r) => !r.opted_out);
    const ids = moving.map((r) => Number(r.id));
    if (ids.length)
      await sql`
        UPDATE conversations SET volunteer_id = ${input.to}, slack_channel = NULL, slack_thread_ts = NULL
        WHERE id = ANY(${ids}::bigint[])`.execute(tx);
    await tx
      .updateTable("contacts")
      .set({ status: "pool", held_by: null, held_at: null })
      .where("campaign_id", "=", input.campaignId)
      .where("status", "=", "held")
      .where("held_by", "=", input.from)
      .execute();
    return {
      moved: moving.map((r) => ({
        id: Number(r.id),
        from: input.from,
        channel: r.slack_channel,
        threadTs: r.slack_thread_ts,
      })),
      optedOut: rows.length - moving.length,
    };
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

/**
 * Conversations waiting on an answer longer than `minutes` (one volunteer's, or everyone's),
 * longest waiting first; a number that opted out is not handed on.
 */
export async function staleConversations(
  db: Database,
  input: { campaignId: number; minutes: number; volunteerId?: string },
): Promise<{ id: number; volunteerId: string | null }[]> {
  let query = db
    .selectFrom("conversations as v")
    .innerJoin("contacts as c", "c.id", "v.contact_id")
    .select(["v.id", "v.volunteer_id as volunteerId"])
    .where("v.campaign_id", "=", input.campaignId)
    .where("v.waiting_since", "<", sql<Date>`now() - make_interval(mins => ${input.minutes})`)
    .where(sql<boolean>`NOT EXISTS (SELECT 1 FROM opt_outs x WHERE x.phone = c.phone)`);
  if (input.volunteerId) query = query.where("v.volunteer_id", "=", input.volunteerId);
  return query.orderBy("v.waiting_since").limit(500).execute();
}

/**
 * Hands one conversation to another volunteer; its thread starts again in their DM. Returns
 * where its old thread was, or undefined when it is gone or its number opted out meanwhile.
 */
export async function moveConversation(
  db: Database,
  conversationId: number,
  to: string,
): Promise<MovedThread | undefined> {
  const { rows } = await sql<{
    volunteer_id: string | null;
    slack_channel: string | null;
    slack_thread_ts: string | null;
  }>`
    WITH old AS (
      SELECT v.id, v.volunteer_id, v.slack_channel, v.slack_thread_ts
      FROM conversations v JOIN contacts c ON c.id = v.contact_id
      WHERE v.id = ${conversationId} AND NOT EXISTS (SELECT 1 FROM opt_outs x WHERE x.phone = c.phone)
      FOR NO KEY UPDATE OF v)
    UPDATE conversations s SET volunteer_id = ${to}, slack_channel = NULL, slack_thread_ts = NULL
    FROM old WHERE s.id = old.id
    RETURNING old.volunteer_id, old.slack_channel, old.slack_thread_ts`.execute(db);
  const row = rows[0];
  return row
    ? { id: conversationId, from: row.volunteer_id, channel: row.slack_channel, threadTs: row.slack_thread_ts }
    : undefined;
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
