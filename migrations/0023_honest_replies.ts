import { sql, type Kysely } from "kysely";
import { classifyInbound } from "../src/campaigns/opt-outs/keywords.ts";
import * as m0018 from "./0018_campaign_counters.ts";

/**
 * An opt-out is not a reply. Inbound texts get `messages.intent` (what processInbound made of
 * them: 'opt_out', 'opt_in', 'help' or 'message'), and conversations `replied_at` (the first
 * inbound text that was neither an opt-out nor an opt-in). The summary counters
 * (0018_campaign_counters.ts) then count:
 *
 * - replies, v_replies: inbound texts that are not opt-outs or opt-ins (NULL intent counts as a
 *   reply: a text not classified yet is an ordinary message until processing says otherwise);
 * - replied: conversations with `replied_at` (the reply rate's numerator);
 * - v_opt_outs (new, keyed by the conversation's volunteer): opt-out texts in their conversations.
 *
 * The trigger functions are replaced under their names; the messages and conversations update
 * triggers get the new columns in their WHEN. Adding the columns locks both tables until this
 * migration commits, so the recount of the names they feed misses nothing and counts nothing twice.
 */
const REPLY = (intent: string) => `coalesce(${intent}, 'message') NOT IN ('opt_out', 'opt_in')`;

const columns = [
  sql`ALTER TABLE messages ADD COLUMN intent text`,
  sql`ALTER TABLE conversations ADD COLUMN replied_at timestamptz`,
];

/** Inbound texts already there, classified as processInbound now does it. */
async function classifyStored(db: Kysely<unknown>): Promise<void> {
  let after = 0;
  for (;;) {
    const { rows } = await sql<{ id: number; body: string }>`
      SELECT id, body FROM messages WHERE direction = 'in' AND id > ${after} ORDER BY id LIMIT 5000`.execute(db);
    if (rows.length === 0) return;
    after = rows[rows.length - 1]!.id;
    const ids: number[] = [];
    const kinds: string[] = [];
    const yes: boolean[] = [];
    for (const row of rows) {
      const intent = classifyInbound(row.body);
      ids.push(row.id);
      kinds.push(intent.kind);
      yes.push(intent.kind === "opt_in" && intent.keyword === "YES");
    }
    // "Yes" opted a number back in only when it was opted out: then its opt-in event was written
    // in the same transaction that processed the text (same now()).
    await sql`
      UPDATE messages m SET intent = CASE
          WHEN v.kind <> 'opt_in' OR NOT v.yes THEN v.kind
          WHEN EXISTS (SELECT 1 FROM opt_out_events e WHERE e.phone = m.from_phone AND e.action = 'in'
            AND e.source = 'sms' AND e.created_at = m.processed_at) THEN 'opt_in'
          ELSE 'message' END
      FROM unnest(${ids}::int[], ${kinds}::text[], ${yes}::boolean[]) AS v(id, kind, yes)
      WHERE m.id = v.id`.execute(db);
  }
}

const repliedAt = sql`
  UPDATE conversations v SET replied_at = r.first
  FROM (SELECT conversation_id, min(created_at) AS first FROM messages
        WHERE direction = 'in' AND conversation_id IS NOT NULL AND ${sql.raw(REPLY("intent"))}
        GROUP BY conversation_id) r
  WHERE v.id = r.conversation_id`;

const triggers = [
  sql`CREATE FUNCTION campaign_message_counts(integer, text, text, text, integer, text, text, integer)
    RETURNS TABLE (campaign_id integer, name text, key text, n integer) LANGUAGE sql IMMUTABLE AS $$
      SELECT $1, x.name, x.key, x.n * $8 FROM (VALUES
        ('sent', '', ($2 = 'opening')::int),
        ('delivered', '', ($2 = 'opening' AND $4 IN ('delivered', 'read'))::int),
        ('failed', '', ($2 = 'opening' AND $4 IN ('failed', 'undelivered'))::int),
        ('failed_code', coalesce($5::text, ''), ($2 = 'opening' AND $4 IN ('failed', 'undelivered'))::int),
        ('v_sent', coalesce($6, ''), ($2 = 'opening' AND $6 IS NOT NULL)::int),
        ('replies', '', ($3 = 'in' AND ${sql.raw(REPLY("$7"))})::int)) x(name, key, n)
      WHERE x.n <> 0 AND $1 IS NOT NULL
    $$`,
  // What an inbound text adds for its conversation's volunteer: a reply or an opt-out.
  sql`CREATE FUNCTION campaign_volunteer_inbound(integer, text, text, integer)
    RETURNS TABLE (campaign_id integer, name text, key text, n integer) LANGUAGE sql IMMUTABLE AS $$
      SELECT $1, x.name, $2, x.n * $4 FROM (VALUES
        ('v_replies', (${sql.raw(REPLY("$3"))})::int),
        ('v_opt_outs', ($3 IS NOT DISTINCT FROM 'opt_out')::int)) x(name, n)
      WHERE x.n <> 0 AND $1 IS NOT NULL AND $2 IS NOT NULL
    $$`,
  sql`CREATE OR REPLACE FUNCTION campaign_counts_messages_rows() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        INSERT INTO campaign_counts (campaign_id, name, key, n)
        SELECT d.campaign_id, d.name, d.key, sum(d.n) FROM (
          SELECT x.* FROM new_rows r, LATERAL campaign_message_counts(r.campaign_id, r.kind, r.direction, r.status,
            r.error_code, r.sent_by, r.intent, 1) x
          UNION ALL
          SELECT x.* FROM new_rows r JOIN conversations v ON v.id = r.conversation_id,
            LATERAL campaign_volunteer_inbound(v.campaign_id, v.volunteer_id, r.intent, 1) x
          WHERE r.direction = 'in') d
        GROUP BY 1, 2, 3 HAVING sum(d.n) <> 0;
      ELSE
        INSERT INTO campaign_counts (campaign_id, name, key, n)
        SELECT d.campaign_id, d.name, d.key, sum(d.n) FROM (
          SELECT x.* FROM old_rows r, LATERAL campaign_message_counts(r.campaign_id, r.kind, r.direction, r.status,
            r.error_code, r.sent_by, r.intent, -1) x
          UNION ALL
          SELECT x.* FROM old_rows r JOIN conversations v ON v.id = r.conversation_id,
            LATERAL campaign_volunteer_inbound(v.campaign_id, v.volunteer_id, r.intent, -1) x
          WHERE r.direction = 'in') d
        GROUP BY 1, 2, 3 HAVING sum(d.n) <> 0;
      END IF;
      RETURN NULL;
    END $$`,
  sql`CREATE OR REPLACE FUNCTION campaign_counts_messages_update() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      old_volunteer text;
      old_campaign integer;
      new_volunteer text;
      new_campaign integer;
    BEGIN
      IF OLD.direction = 'in' AND OLD.conversation_id IS NOT NULL THEN
        SELECT volunteer_id, campaign_id INTO old_volunteer, old_campaign FROM conversations
        WHERE id = OLD.conversation_id FOR NO KEY UPDATE;
      END IF;
      IF NEW.direction = 'in' AND NEW.conversation_id IS NOT NULL THEN
        SELECT volunteer_id, campaign_id INTO new_volunteer, new_campaign FROM conversations
        WHERE id = NEW.conversation_id FOR NO KEY UPDATE;
      END IF;
      INSERT INTO campaign_counts (campaign_id, name, key, n)
      SELECT d.campaign_id, d.name, d.key, sum(d.n) FROM (
        SELECT * FROM campaign_message_counts(OLD.campaign_id, OLD.kind, OLD.direction, OLD.status, OLD.error_code,
          OLD.sent_by, OLD.intent, -1)
        UNION ALL SELECT * FROM campaign_message_counts(NEW.campaign_id, NEW.kind, NEW.direction, NEW.status,
          NEW.error_code, NEW.sent_by, NEW.intent, 1)
        UNION ALL SELECT * FROM campaign_volunteer_inbound(old_campaign, old_volunteer, OLD.intent, -1)
        UNION ALL SELECT * FROM campaign_volunteer_inbound(new_campaign, new_volunteer, NEW.intent, 1)) d
      GROUP BY 1, 2, 3 HAVING sum(d.n) <> 0;
      RETURN NULL;
    END $$`,
  sql`DROP TRIGGER campaign_counts_messages_update ON messages`,
  sql`CREATE TRIGGER campaign_counts_messages_update AFTER UPDATE ON messages FOR EACH ROW
    WHEN (OLD.campaign_id IS DISTINCT FROM NEW.campaign_id
      OR OLD.conversation_id IS DISTINCT FROM NEW.conversation_id
      OR OLD.kind <> NEW.kind OR OLD.direction <> NEW.direction
      OR OLD.sent_by IS DISTINCT FROM NEW.sent_by
      OR OLD.intent IS DISTINCT FROM NEW.intent
      OR (NEW.kind = 'opening' AND (OLD.error_code IS DISTINCT FROM NEW.error_code
        OR (OLD.status IN ('delivered', 'read')) <> (NEW.status IN ('delivered', 'read'))
        OR (OLD.status IN ('failed', 'undelivered')) <> (NEW.status IN ('failed', 'undelivered')))))
    EXECUTE FUNCTION campaign_counts_messages_update()`,

  // conversations: 'replied' is replied_at now; a change of volunteer moves replies and opt-outs.
  sql`CREATE OR REPLACE FUNCTION campaign_counts_conversations_rows() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        INSERT INTO campaign_counts (campaign_id, name, key, n)
        SELECT d.campaign_id, d.name, d.key, sum(d.n) FROM (
          SELECT x.* FROM new_rows r, LATERAL campaign_conversation_deltas(r.campaign_id, r.volunteer_id,
            r.current_tag, r.replied_at IS NOT NULL, r.waiting_since IS NOT NULL, 1) x) d
        GROUP BY 1, 2, 3 HAVING sum(d.n) <> 0;
      ELSE
        INSERT INTO campaign_counts (campaign_id, name, key, n)
        SELECT d.campaign_id, d.name, d.key, sum(d.n) FROM (
          SELECT x.* FROM old_rows r, LATERAL campaign_conversation_deltas(r.campaign_id, r.volunteer_id,
            r.current_tag, r.replied_at IS NOT NULL, r.waiting_since IS NOT NULL, -1) x
          UNION ALL
          SELECT x.* FROM old_rows r JOIN messages m ON m.conversation_id = r.id AND m.direction = 'in',
            LATERAL campaign_volunteer_inbound(r.campaign_id, r.volunteer_id, m.intent, -1) x) d
        GROUP BY 1, 2, 3 HAVING sum(d.n) <> 0;
      END IF;
      RETURN NULL;
    END $$`,
  sql`CREATE OR REPLACE FUNCTION campaign_counts_conversations_update() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      replies integer := 0;
      opt_outs integer := 0;
    BEGIN
      IF OLD.volunteer_id IS DISTINCT FROM NEW.volunteer_id OR OLD.campaign_id <> NEW.campaign_id THEN
        SELECT count(*) FILTER (WHERE ${sql.raw(REPLY("intent"))}),
               count(*) FILTER (WHERE intent = 'opt_out')
        INTO replies, opt_outs FROM messages WHERE conversation_id = NEW.id AND direction = 'in';
      END IF;
      INSERT INTO campaign_counts (campaign_id, name, key, n)
      SELECT d.campaign_id, d.name, d.key, sum(d.n) FROM (
        SELECT * FROM campaign_conversation_deltas(OLD.campaign_id, OLD.volunteer_id, OLD.current_tag,
          OLD.replied_at IS NOT NULL, OLD.waiting_since IS NOT NULL, -1)
        UNION ALL SELECT * FROM campaign_conversation_deltas(NEW.campaign_id, NEW.volunteer_id, NEW.current_tag,
          NEW.replied_at IS NOT NULL, NEW.waiting_since IS NOT NULL, 1)
        UNION ALL SELECT OLD.campaign_id, x.name, OLD.volunteer_id, -x.n
          FROM (VALUES ('v_replies', replies), ('v_opt_outs', opt_outs)) x(name, n)
          WHERE x.n > 0 AND OLD.volunteer_id IS NOT NULL
        UNION ALL SELECT NEW.campaign_id, x.name, NEW.volunteer_id, x.n
          FROM (VALUES ('v_replies', replies), ('v_opt_outs', opt_outs)) x(name, n)
          WHERE x.n > 0 AND NEW.volunteer_id IS NOT NULL) d
      GROUP BY 1, 2, 3 HAVING sum(d.n) <> 0;
      RETURN NULL;
    END $$`,
  sql`DROP TRIGGER campaign_counts_conversations_update ON conversations`,
  sql`CREATE TRIGGER campaign_counts_conversations_update AFTER UPDATE ON conversations FOR EACH ROW
    WHEN (OLD.campaign_id <> NEW.campaign_id
      OR OLD.volunteer_id IS DISTINCT FROM NEW.volunteer_id
      OR OLD.current_tag IS DISTINCT FROM NEW.current_tag
      OR (OLD.replied_at IS NULL) <> (NEW.replied_at IS NULL)
      OR (OLD.waiting_since IS NULL) <> (NEW.waiting_since IS NULL))
    EXECUTE FUNCTION campaign_counts_conversations_update()`,
];

/** The counters whose meaning changed, counted again from the rows (compacted rows). */
export const recount = [
  sql`DELETE FROM campaign_counts WHERE name IN ('replies', 'replied', 'v_replies', 'v_opt_outs')`,
  sql`INSERT INTO campaign_counts (campaign_id, name, key, n, compacted)
    SELECT d.campaign_id, d.name, d.key, sum(d.n), true FROM (
      SELECT campaign_id, 'replies' AS name, '' AS key, 1 AS n FROM messages
      WHERE campaign_id IS NOT NULL AND direction = 'in' AND ${sql.raw(REPLY("intent"))}
      UNION ALL
      SELECT x.* FROM messages r JOIN conversations v ON v.id = r.conversation_id,
        LATERAL campaign_volunteer_inbound(v.campaign_id, v.volunteer_id, r.intent, 1) x
      WHERE r.direction = 'in'
      UNION ALL
      SELECT campaign_id, 'replied', '', 1 FROM conversations WHERE replied_at IS NOT NULL) d
    GROUP BY 1, 2, 3 HAVING sum(d.n) <> 0`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of columns) await statement.execute(db);
  // Before the new triggers, whose WHEN would otherwise fire on every row classified here.
  await classifyStored(db);
  await repliedAt.execute(db);
  for (const statement of [...triggers, ...recount]) await statement.execute(db);
}

/** Back to 0018's counters: its triggers and figures, rebuilt from the rows. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await m0018.down(db);
  await sql`DROP FUNCTION campaign_message_counts(integer, text, text, text, integer, text, text, integer)`.execute(db);
  await sql`DROP FUNCTION campaign_volunteer_inbound(integer, text, text, integer)`.execute(db);
  await sql`ALTER TABLE conversations DROP COLUMN replied_at`.execute(db);
  await sql`ALTER TABLE messages DROP COLUMN intent`.execute(db);
  await m0018.up(db);
}
