import { sql, type Kysely } from "kysely";

/**
 * Summary counters for `/campaign stats` and the App Home, kept by triggers in the same
 * transaction as the change they count, so they are exact without counting a million rows.
 *
 * `campaign_counts` is insert-only: every change adds delta rows (campaign, name, key, n), and
 * a figure is the sum of its rows. No statement ever updates a shared row, so 300 Sends a
 * second on several instances never wait on each other here. The compaction job
 * (`compactCampaignCounts`) replaces the deltas of each (campaign, name, key) by one row with
 * their sum, `compacted`, so reads stay small.
 *
 * Names (key '' unless said): contacts, handed_out (status held/sent/failed), opt_outs (contacts
 * whose phone is on the list), sent, delivered, failed (openings), failed_code (key: the error
 * code, '' for none), replies (inbound texts), replied, waiting (conversations), tag (key: the
 * tag), v_sent (openings by sender), v_conv, v_tagged, v_replies (by the conversation's
 * volunteer), answer (key: question id ':' answer; current survey answers).
 *
 * Inserts and deletes are counted by statement-level triggers over the transition table (one
 * grouped INSERT for a whole COPY); updates by row triggers whose WHEN lets through only a
 * change of something counted, so the Send's `held → sent` and a sid write fire nothing.
 */
const HANDED_OUT = `('held', 'sent', 'failed')`;

const statements = [
  sql`CREATE TABLE campaign_counts (
    campaign_id integer NOT NULL,
    name text NOT NULL,
    key text NOT NULL DEFAULT '',
    n bigint NOT NULL,
    compacted boolean NOT NULL DEFAULT false
  )`,
  sql`CREATE INDEX campaign_counts_campaign ON campaign_counts (campaign_id, name, key)`,
  // The oldest conversation waiting for an answer is not a sum: it is read from this index.
  sql`CREATE INDEX conversations_waiting ON conversations (campaign_id, waiting_since) WHERE waiting_since IS NOT NULL`,

  // What one row contributes, as (campaign, name, key, n) rows; inlined into the callers' queries.
  sql`CREATE FUNCTION campaign_contact_deltas(integer, text, integer)
    RETURNS TABLE (campaign_id integer, name text, key text, n integer) LANGUAGE sql IMMUTABLE AS $$
      SELECT $1, x.name, '', x.n * $3 FROM (VALUES
        ('contacts', 1),
        ('handed_out', ($2 IN ${sql.raw(HANDED_OUT)})::int)) x(name, n)
      WHERE x.n <> 0 AND $1 IS NOT NULL
    $$`,
  sql`CREATE FUNCTION campaign_message_deltas(integer, text, text, text, integer, text, integer)
    RETURNS TABLE (campaign_id integer, name text, key text, n integer) LANGUAGE sql IMMUTABLE AS $$
      SELECT $1, x.name, x.key, x.n * $7 FROM (VALUES
        ('sent', '', ($2 = 'opening')::int),
        ('delivered', '', ($2 = 'opening' AND $4 IN ('delivered', 'read'))::int),
        ('failed', '', ($2 = 'opening' AND $4 IN ('failed', 'undelivered'))::int),
        ('failed_code', coalesce($5::text, ''), ($2 = 'opening' AND $4 IN ('failed', 'undelivered'))::int),
        ('v_sent', coalesce($6, ''), ($2 = 'opening' AND $6 IS NOT NULL)::int),
        ('replies', '', ($3 = 'in')::int)) x(name, key, n)
      WHERE x.n <> 0 AND $1 IS NOT NULL
    $$`,
  sql`CREATE FUNCTION campaign_conversation_deltas(integer, text, text, boolean, boolean, integer)
    RETURNS TABLE (campaign_id integer, name text, key text, n integer) LANGUAGE sql IMMUTABLE AS $$
      SELECT $1, x.name, x.key, x.n * $6 FROM (VALUES
        ('replied', '', $4::int),
        ('waiting', '', $5::int),
        ('tag', coalesce($3, ''), ($3 IS NOT NULL)::int),
        ('v_conv', coalesce($2, ''), ($2 IS NOT NULL)::int),
        ('v_tagged', coalesce($2, ''), ($2 IS NOT NULL AND $3 IS NOT NULL)::int)) x(name, key, n)
      WHERE x.n <> 0 AND $1 IS NOT NULL
    $$`,

  // contacts: INSERT and DELETE per statement. The opt-out figure joins opt_outs; SHARE on
  // opt_outs waits for an opt-out being added or removed right now and holds off new ones
  // until this transaction ends, so neither side misses the other (opt_outs' own trigger
  // counts the contacts it can see). Only imports insert contacts, once per statement.
  sql`CREATE FUNCTION campaign_counts_contacts_rows() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      LOCK TABLE opt_outs IN SHARE MODE;
      IF TG_OP = 'INSERT' THEN
        INSERT INTO campaign_counts (campaign_id, name, key, n)
        SELECT d.campaign_id, d.name, d.key, sum(d.n) FROM (
          SELECT x.* FROM new_rows r, LATERAL campaign_contact_deltas(r.campaign_id, r.status, 1) x
          UNION ALL
          SELECT r.campaign_id, 'opt_outs', '', 1 FROM new_rows r JOIN opt_outs o ON o.phone = r.phone) d
        GROUP BY 1, 2, 3 HAVING sum(d.n) <> 0;
      ELSE
        INSERT INTO campaign_counts (campaign_id, name, key, n)
        SELECT d.campaign_id, d.name, d.key, sum(d.n) FROM (
          SELECT x.* FROM old_rows r, LATERAL campaign_contact_deltas(r.campaign_id, r.status, -1) x
          UNION ALL
          SELECT r.campaign_id, 'opt_outs', '', -1 FROM old_rows r JOIN opt_outs o ON o.phone = r.phone) d
        GROUP BY 1, 2, 3 HAVING sum(d.n) <> 0;
      END IF;
      RETURN NULL;
    END $$`,
  sql`CREATE TRIGGER campaign_counts_contacts_insert AFTER INSERT ON contacts
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION campaign_counts_contacts_rows()`,
  sql`CREATE TRIGGER campaign_counts_contacts_delete AFTER DELETE ON contacts
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION campaign_counts_contacts_rows()`,
  sql`CREATE FUNCTION campaign_counts_contacts_update() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO campaign_counts (campaign_id, name, key, n)
      SELECT d.campaign_id, d.name, d.key, sum(d.n) FROM (
        SELECT * FROM campaign_contact_deltas(OLD.campaign_id, OLD.status, -1)
        UNION ALL SELECT * FROM campaign_contact_deltas(NEW.campaign_id, NEW.status, 1)) d
      GROUP BY 1, 2, 3 HAVING sum(d.n) <> 0;
      IF OLD.campaign_id <> NEW.campaign_id OR OLD.phone <> NEW.phone THEN
        INSERT INTO campaign_counts (campaign_id, name, key, n)
        SELECT d.campaign_id, 'opt_outs', '', sum(d.n) FROM (
          SELECT OLD.campaign_id AS campaign_id, -1 AS n FROM opt_outs WHERE phone = OLD.phone
          UNION ALL SELECT NEW.campaign_id, 1 FROM opt_outs WHERE phone = NEW.phone) d
        GROUP BY 1 HAVING sum(d.n) <> 0;
      END IF;
      RETURN NULL;
    END $$`,
  sql`CREATE TRIGGER campaign_counts_contacts_update AFTER UPDATE ON contacts FOR EACH ROW
    WHEN (OLD.campaign_id <> NEW.campaign_id OR OLD.phone <> NEW.phone
      OR (OLD.status IN ${sql.raw(HANDED_OUT)}) <> (NEW.status IN ${sql.raw(HANDED_OUT)}))
    EXECUTE FUNCTION campaign_counts_contacts_update()`,

  // opt_outs: every campaign with a contact at that number (contacts_phone index).
  sql`CREATE FUNCTION campaign_counts_opt_outs_rows() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        INSERT INTO campaign_counts (campaign_id, name, key, n)
        SELECT c.campaign_id, 'opt_outs', '', count(*) FROM new_rows o JOIN contacts c ON c.phone = o.phone
        GROUP BY c.campaign_id;
      ELSE
        INSERT INTO campaign_counts (campaign_id, name, key, n)
        SELECT c.campaign_id, 'opt_outs', '', -count(*) FROM old_rows o JOIN contacts c ON c.phone = o.phone
        GROUP BY c.campaign_id;
      END IF;
      RETURN NULL;
    END $$`,
  sql`CREATE TRIGGER campaign_counts_opt_outs_insert AFTER INSERT ON opt_outs
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION campaign_counts_opt_outs_rows()`,
  sql`CREATE TRIGGER campaign_counts_opt_outs_delete AFTER DELETE ON opt_outs
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION campaign_counts_opt_outs_rows()`,
  sql`CREATE FUNCTION campaign_counts_opt_outs_update() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO campaign_counts (campaign_id, name, key, n)
      SELECT d.campaign_id, 'opt_outs', '', sum(d.n) FROM (
        SELECT campaign_id, -1 AS n FROM contacts WHERE phone = OLD.phone
        UNION ALL SELECT campaign_id, 1 FROM contacts WHERE phone = NEW.phone) d
      GROUP BY 1 HAVING sum(d.n) <> 0;
      RETURN NULL;
    END $$`,
  sql`CREATE TRIGGER campaign_counts_opt_outs_update AFTER UPDATE ON opt_outs FOR EACH ROW
    WHEN (OLD.phone <> NEW.phone) EXECUTE FUNCTION campaign_counts_opt_outs_update()`,

  // messages. An inbound text's reply counts for its conversation's volunteer (v_replies).
  sql`CREATE FUNCTION campaign_counts_messages_rows() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        INSERT INTO campaign_counts (campaign_id, name, key, n)
        SELECT d.campaign_id, d.name, d.key, sum(d.n) FROM (
          SELECT x.* FROM new_rows r,
            LATERAL campaign_message_deltas(r.campaign_id, r.kind, r.direction, r.status, r.error_code, r.sent_by, 1) x
          UNION ALL
          SELECT v.campaign_id, 'v_replies', v.volunteer_id, 1 FROM new_rows r JOIN conversations v ON v.id = r.conversation_id
          WHERE r.direction = 'in' AND v.volunteer_id IS NOT NULL) d
        GROUP BY 1, 2, 3 HAVING sum(d.n) <> 0;
      ELSE
        INSERT INTO campaign_counts (campaign_id, name, key, n)
        SELECT d.campaign_id, d.name, d.key, sum(d.n) FROM (
          SELECT x.* FROM old_rows r,
            LATERAL campaign_message_deltas(r.campaign_id, r.kind, r.direction, r.status, r.error_code, r.sent_by, -1) x
          UNION ALL
          SELECT v.campaign_id, 'v_replies', v.volunteer_id, -1 FROM old_rows r JOIN conversations v ON v.id = r.conversation_id
          WHERE r.direction = 'in' AND v.volunteer_id IS NOT NULL) d
        GROUP BY 1, 2, 3 HAVING sum(d.n) <> 0;
      END IF;
      RETURN NULL;
    END $$`,
  sql`CREATE TRIGGER campaign_counts_messages_insert AFTER INSERT ON messages
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION campaign_counts_messages_rows()`,
  sql`CREATE TRIGGER campaign_counts_messages_delete AFTER DELETE ON messages
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION campaign_counts_messages_rows()`,
  // An inbound text is matched to its conversation by an UPDATE. Its reply goes to whoever has the
  // conversation: the row lock (the one inbound processing takes next anyway, to set
  // last_inbound_at) makes a reassignment running now either finish first or count this text.
  sql`CREATE FUNCTION campaign_counts_messages_update() RETURNS trigger LANGUAGE plpgsql AS $$
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
        SELECT * FROM campaign_message_deltas(OLD.campaign_id, OLD.kind, OLD.direction, OLD.status, OLD.error_code,
          OLD.sent_by, -1)
        UNION ALL SELECT * FROM campaign_message_deltas(NEW.campaign_id, NEW.kind, NEW.direction, NEW.status,
          NEW.error_code, NEW.sent_by, 1)
        UNION ALL SELECT old_campaign, 'v_replies', old_volunteer, -1 WHERE old_volunteer IS NOT NULL
        UNION ALL SELECT new_campaign, 'v_replies', new_volunteer, 1 WHERE new_volunteer IS NOT NULL) d
      GROUP BY 1, 2, 3 HAVING sum(d.n) <> 0;
      RETURN NULL;
    END $$`,
  sql`CREATE TRIGGER campaign_counts_messages_update AFTER UPDATE ON messages FOR EACH ROW
    WHEN (OLD.campaign_id IS DISTINCT FROM NEW.campaign_id
      OR OLD.conversation_id IS DISTINCT FROM NEW.conversation_id
      OR OLD.kind <> NEW.kind OR OLD.direction <> NEW.direction
      OR OLD.sent_by IS DISTINCT FROM NEW.sent_by
      OR (NEW.kind = 'opening' AND (OLD.error_code IS DISTINCT FROM NEW.error_code
        OR (OLD.status IN ('delivered', 'read')) <> (NEW.status IN ('delivered', 'read'))
        OR (OLD.status IN ('failed', 'undelivered')) <> (NEW.status IN ('failed', 'undelivered')))))
    EXECUTE FUNCTION campaign_counts_messages_update()`,

  // conversations. A change of volunteer (or campaign) moves the conversation's replies along.
  sql`CREATE FUNCTION campaign_counts_conversations_rows() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        INSERT INTO campaign_counts (campaign_id, name, key, n)
        SELECT d.campaign_id, d.name, d.key, sum(d.n) FROM (
          SELECT x.* FROM new_rows r, LATERAL campaign_conversation_deltas(r.campaign_id, r.volunteer_id,
            r.current_tag, r.last_inbound_at IS NOT NULL, r.waiting_since IS NOT NULL, 1) x) d
        GROUP BY 1, 2, 3 HAVING sum(d.n) <> 0;
      ELSE
        INSERT INTO campaign_counts (campaign_id, name, key, n)
        SELECT d.campaign_id, d.name, d.key, sum(d.n) FROM (
          SELECT x.* FROM old_rows r, LATERAL campaign_conversation_deltas(r.campaign_id, r.volunteer_id,
            r.current_tag, r.last_inbound_at IS NOT NULL, r.waiting_since IS NOT NULL, -1) x
          UNION ALL
          SELECT r.campaign_id, 'v_replies', r.volunteer_id, -1 FROM old_rows r
            JOIN messages m ON m.conversation_id = r.id AND m.direction = 'in'
          WHERE r.volunteer_id IS NOT NULL) d
        GROUP BY 1, 2, 3 HAVING sum(d.n) <> 0;
      END IF;
      RETURN NULL;
    END $$`,
  sql`CREATE TRIGGER campaign_counts_conversations_insert AFTER INSERT ON conversations
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION campaign_counts_conversations_rows()`,
  sql`CREATE TRIGGER campaign_counts_conversations_delete AFTER DELETE ON conversations
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION campaign_counts_conversations_rows()`,
  sql`CREATE FUNCTION campaign_counts_conversations_update() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      replies integer := 0;
    BEGIN
      IF OLD.volunteer_id IS DISTINCT FROM NEW.volunteer_id OR OLD.campaign_id <> NEW.campaign_id THEN
        SELECT count(*) INTO replies FROM messages WHERE conversation_id = NEW.id AND direction = 'in';
      END IF;
      INSERT INTO campaign_counts (campaign_id, name, key, n)
      SELECT d.campaign_id, d.name, d.key, sum(d.n) FROM (
        SELECT * FROM campaign_conversation_deltas(OLD.campaign_id, OLD.volunteer_id, OLD.current_tag,
          OLD.last_inbound_at IS NOT NULL, OLD.waiting_since IS NOT NULL, -1)
        UNION ALL SELECT * FROM campaign_conversation_deltas(NEW.campaign_id, NEW.volunteer_id, NEW.current_tag,
          NEW.last_inbound_at IS NOT NULL, NEW.waiting_since IS NOT NULL, 1)
        UNION ALL SELECT OLD.campaign_id, 'v_replies', OLD.volunteer_id, -replies
          WHERE replies > 0 AND OLD.volunteer_id IS NOT NULL
        UNION ALL SELECT NEW.campaign_id, 'v_replies', NEW.volunteer_id, replies
          WHERE replies > 0 AND NEW.volunteer_id IS NOT NULL) d
      GROUP BY 1, 2, 3 HAVING sum(d.n) <> 0;
      RETURN NULL;
    END $$`,
  sql`CREATE TRIGGER campaign_counts_conversations_update AFTER UPDATE ON conversations FOR EACH ROW
    WHEN (OLD.campaign_id <> NEW.campaign_id
      OR OLD.volunteer_id IS DISTINCT FROM NEW.volunteer_id
      OR OLD.current_tag IS DISTINCT FROM NEW.current_tag
      OR (OLD.last_inbound_at IS NULL) <> (NEW.last_inbound_at IS NULL)
      OR (OLD.waiting_since IS NULL) <> (NEW.waiting_since IS NULL))
    EXECUTE FUNCTION campaign_counts_conversations_update()`,

  // survey_answers: the current answer (replaced_at NULL) per question and answer.
  sql`CREATE FUNCTION campaign_counts_answers_rows() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        INSERT INTO campaign_counts (campaign_id, name, key, n)
        SELECT campaign_id, 'answer', question_id || ':' || answer, count(*) FROM new_rows
        WHERE replaced_at IS NULL GROUP BY 1, 2, 3;
      ELSE
        INSERT INTO campaign_counts (campaign_id, name, key, n)
        SELECT campaign_id, 'answer', question_id || ':' || answer, -count(*) FROM old_rows
        WHERE replaced_at IS NULL GROUP BY 1, 2, 3;
      END IF;
      RETURN NULL;
    END $$`,
  sql`CREATE TRIGGER campaign_counts_answers_insert AFTER INSERT ON survey_answers
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION campaign_counts_answers_rows()`,
  sql`CREATE TRIGGER campaign_counts_answers_delete AFTER DELETE ON survey_answers
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION campaign_counts_answers_rows()`,
  sql`CREATE FUNCTION campaign_counts_answers_update() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO campaign_counts (campaign_id, name, key, n)
      SELECT d.campaign_id, 'answer', d.key, sum(d.n) FROM (
        SELECT OLD.campaign_id AS campaign_id, OLD.question_id || ':' || OLD.answer AS key, -1 AS n
          WHERE OLD.replaced_at IS NULL
        UNION ALL SELECT NEW.campaign_id, NEW.question_id || ':' || NEW.answer, 1 WHERE NEW.replaced_at IS NULL) d
      GROUP BY d.campaign_id, d.key HAVING sum(d.n) <> 0;
      RETURN NULL;
    END $$`,
  sql`CREATE TRIGGER campaign_counts_answers_update AFTER UPDATE ON survey_answers FOR EACH ROW
    WHEN ((OLD.replaced_at IS NULL) <> (NEW.replaced_at IS NULL) OR OLD.campaign_id <> NEW.campaign_id
      OR OLD.question_id <> NEW.question_id OR OLD.answer <> NEW.answer)
    EXECUTE FUNCTION campaign_counts_answers_update()`,
];

/**
 * The counters of the rows already there, as compacted rows. It runs after the triggers are
 * created: creating them locked each table against writes until this migration commits, so
 * nothing is counted twice or missed.
 */
export const backfill = [
  sql`INSERT INTO campaign_counts (campaign_id, name, key, n, compacted)
    SELECT d.campaign_id, d.name, d.key, sum(d.n), true FROM (
      SELECT x.* FROM contacts r, LATERAL campaign_contact_deltas(r.campaign_id, r.status, 1) x
      UNION ALL
      SELECT r.campaign_id, 'opt_outs', '', 1 FROM contacts r JOIN opt_outs o ON o.phone = r.phone
      UNION ALL
      SELECT x.* FROM messages r,
        LATERAL campaign_message_deltas(r.campaign_id, r.kind, r.direction, r.status, r.error_code, r.sent_by, 1) x
      UNION ALL
      SELECT v.campaign_id, 'v_replies', v.volunteer_id, 1 FROM messages r JOIN conversations v ON v.id = r.conversation_id
      WHERE r.direction = 'in' AND v.volunteer_id IS NOT NULL
      UNION ALL
      SELECT x.* FROM conversations r, LATERAL campaign_conversation_deltas(r.campaign_id, r.volunteer_id,
        r.current_tag, r.last_inbound_at IS NOT NULL, r.waiting_since IS NOT NULL, 1) x
      UNION ALL
      SELECT campaign_id, 'answer', question_id || ':' || answer, 1 FROM survey_answers WHERE replaced_at IS NULL) d
    GROUP BY 1, 2, 3 HAVING sum(d.n) <> 0`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of [...statements, ...backfill]) await statement.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const [table, triggers] of [
    ["contacts", ["insert", "delete", "update"]],
    ["opt_outs", ["insert", "delete", "update"]],
    ["messages", ["insert", "delete", "update"]],
    ["conversations", ["insert", "delete", "update"]],
    ["survey_answers", ["insert", "delete", "update"]],
  ] as const) {
    const short = table === "survey_answers" ? "answers" : table;
    for (const op of triggers)
      await sql`DROP TRIGGER ${sql.raw(`campaign_counts_${short}_${op}`)} ON ${sql.raw(table)}`.execute(db);
    await sql`DROP FUNCTION ${sql.raw(`campaign_counts_${short}_rows`)}()`.execute(db);
    await sql`DROP FUNCTION ${sql.raw(`campaign_counts_${short}_update`)}()`.execute(db);
  }
  await sql`DROP FUNCTION campaign_contact_deltas(integer, text, integer)`.execute(db);
  await sql`DROP FUNCTION campaign_message_deltas(integer, text, text, text, integer, text, integer)`.execute(db);
  await sql`DROP FUNCTION campaign_conversation_deltas(integer, text, text, boolean, boolean, integer)`.execute(db);
  await sql`DROP INDEX conversations_waiting`.execute(db);
  await sql`DROP TABLE campaign_counts`.execute(db);
}
