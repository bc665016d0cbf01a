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

export interface LockedInbound {
  id: number;
  body: string;
  media_urls: string[];
  from_phone: string;
  to_phone: string;
  created_at: Date;
}

/**
 * Locks an unprocessed inbound text, finds which conversation it belongs to and records that
 * on the text, marking it processed — one statement inside the caller's transaction (it was
 * four round trips). Undefined when the text is gone, processed, or locked by another worker.
 *
 * The conversation is the contact with this phone whom we texted, most recent first (a number
 * can be in several campaigns). Our sender (`To`) is ignored because a Messaging Service's
 * pool can answer from any of its numbers.
 */
export async function lockAndMatchInbound(
  db: Database,
  messageId: number,
): Promise<{ message: LockedInbound; match: MatchedConversation | undefined } | undefined> {
  const { rows } = await sql<LockedInbound & { [K in keyof MatchedConversation]: MatchedConversation[K] | null }>`
    WITH m AS (
      SELECT id, body, media_urls, from_phone, to_phone, created_at FROM messages
      WHERE id = ${messageId} AND processed_at IS NULL
      FOR UPDATE SKIP LOCKED),
    match AS (
      SELECT v.id AS "conversationId", v.campaign_id AS "campaignId", v.contact_id AS "contactId",
             v.volunteer_id AS "volunteerId", v.slack_channel AS "slackChannel",
             v.slack_thread_ts AS "slackThreadTs", w.dm_channel AS "volunteerDm"
      FROM m
      JOIN contacts c ON c.phone = m.from_phone
      JOIN conversations v ON v.contact_id = c.id
      LEFT JOIN volunteers w ON w.campaign_id = v.campaign_id AND w.user_id = v.volunteer_id
      ORDER BY coalesce(v.last_outbound_at, v.created_at) DESC, v.id DESC
      LIMIT 1),
    marked AS (
      UPDATE messages SET processed_at = now(), campaign_id = match."campaignId", contact_id = match."contactId",
                          conversation_id = match."conversationId"
      FROM m LEFT JOIN match ON true
      WHERE messages.id = m.id
      RETURNING messages.id)
    SELECT m.*, match.* FROM m LEFT JOIN match ON true`.execute(db);
  const row = rows[0];
  if (!row) return undefined;
  const message = {
    id: row.id,
    body: row.body,
    media_urls: row.media_urls,
    from_phone: row.from_phone,
    to_phone: row.to_phone,
    created_at: new Date(row.created_at),
  };
  if (row.conversationId === null) return { message, match: undefined };
  return {
    message,
    match: {
      conversationId: row.conversationId,
      campaignId: row.campaignId!,
      contactId: row.contactId!,
      volunteerId: row.volunteerId,
      slackChannel: row.slackChannel,
      slackThreadTs: row.slackThreadTs,
      volunteerDm: row.volunteerDm,
    },
  };
}

/**
 * Processed texts from numbers in no conversation, per minute in [since, until), leaving out the
 * first of each minute (that one was shown on its own): how many, and the first five.
 */
export async function strayTextsByMinute(
  db: Database,
  since: Date,
  until: Date,
): Promise<{ minute: Date; count: number; samples: { from: string; body: string }[] }[]> {
  const { rows } = await sql<{ minute: Date; count: number; samples: { from: string; body: string }[] }>`
    WITH stray AS (
      SELECT id, from_phone, body, date_trunc('minute', created_at) AS minute,
             row_number() OVER (PARTITION BY date_trunc('minute', created_at) ORDER BY id) AS n
      FROM messages
      WHERE direction = 'in' AND conversation_id IS NULL AND processed_at IS NOT NULL
        AND created_at >= ${since} AND created_at < ${until})
    SELECT minute, count(*)::int AS count,
           (jsonb_agg(jsonb_build_object('from', from_phone, 'body', body) ORDER BY id)
             FILTER (WHERE n <= 6)) AS samples
    FROM stray WHERE n > 1
    GROUP BY minute ORDER BY minute`.execute(db);
  return rows.map((row) => ({ ...row, minute: new Date(row.minute), samples: row.samples.slice(0, 5) }));
}
