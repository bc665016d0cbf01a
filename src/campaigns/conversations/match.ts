import { sql } from "kysely";
import type { Database } from "../../db/database.ts";

export interface MatchedConversation {
  conversationId: number;
  campaignId: number;
  contactId: number;
  volunteerId: string | null;
}

/**
 * Which conversation an inbound text belongs to: the contact with this phone whom we texted,
 * most recent first (a number can be in several campaigns). Our sender (`To`) is ignored
 * when we send through a Messaging Service, whose pool can answer from any of its numbers.
 */
export async function matchConversation(db: Database, fromPhone: string): Promise<MatchedConversation | undefined> {
  const row = await db
    .selectFrom("conversations as v")
    .innerJoin("contacts as c", "c.id", "v.contact_id")
    .select(["v.id as conversationId", "v.campaign_id as campaignId", "v.contact_id as contactId", "v.volunteer_id as volunteerId"])
    .where("c.phone", "=", fromPhone)
    .orderBy(sql`coalesce(v.last_outbound_at, v.created_at)`, "desc")
    .orderBy("v.id", "desc")
    .limit(1)
    .executeTakeFirst();
  return row;
}
