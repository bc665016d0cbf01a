import { sql } from "kysely";
import type { Database } from "../../db/database.ts";

export interface MatchedConversation {
  conversationId: number;
  campaignId: number;
  contactId: number;
  volunteerId: string | null;
  /** Where the thread is, once its parent was posted. */
  slackChannel: string | null;
  slackThreadTs: string | null;
  /** The volunteer's DM with the app, for a thread not yet started. */
  volunteerDm: string | null;
}

/**
 * Which conversation an inbound text belongs to: the contact with this phone whom we texted,
 * most recent first (a number can be in several campaigns). Our sender (`To`) is ignored
 * because a Messaging Service's pool can answer from any of its numbers. One query, with
 * what the caller needs to post into the thread.
 */
export async function matchConversation(db: Database, fromPhone: string): Promise<MatchedConversation | undefined> {
  return db
    .selectFrom("conversations as v")
    .innerJoin("contacts as c", "c.id", "v.contact_id")
    .leftJoin("volunteers as w", (join) => join.onRef("w.campaign_id", "=", "v.campaign_id").onRef("w.user_id", "=", "v.volunteer_id"))
    .select([
      "v.id as conversationId",
      "v.campaign_id as campaignId",
      "v.contact_id as contactId",
      "v.volunteer_id as volunteerId",
      "v.slack_channel as slackChannel",
      "v.slack_thread_ts as slackThreadTs",
      "w.dm_channel as volunteerDm",
    ])
    .where("c.phone", "=", fromPhone)
    .orderBy(sql`coalesce(v.last_outbound_at, v.created_at)`, "desc")
    .orderBy("v.id", "desc")
    .limit(1)
    .executeTakeFirst();
}
