import { sql, type Kysely } from "kysely";

/**
 * Supervision: an organizer steps into a conversation, and a volunteer escalates one.
 *
 * `conversation_watchers` holds the extra threads of a conversation: one per organizer who
 * opened it (or took it from an escalation), in that organizer's DM with the app. The key
 * (conversation_id, user_id) is the rule "opening twice makes no second thread". `channel` and
 * `thread_ts` are stored once the thread's parent is posted (the outbox's onPosted hook), and
 * the index on them finds the conversation of an organizer's thread reply.
 *
 * A conversation is escalated when `escalated_at` is set (with who and why); `taken_by` is the
 * organizer who took it. Taking is one conditional UPDATE (`taken_by IS NULL`), so of two
 * presses on any instances exactly one wins. A campaign's escalations go to
 * `escalation_channel`, or, when it is NULL, to the organizers' DMs.
 */
const statements = [
  sql`CREATE TABLE conversation_watchers (
    id bigserial PRIMARY KEY,
    conversation_id bigint NOT NULL REFERENCES conversations ON DELETE CASCADE,
    user_id text NOT NULL,
    reason text NOT NULL CHECK (reason IN ('open', 'take')),
    channel text,
    thread_ts text,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (conversation_id, user_id)
  )`,
  sql`CREATE INDEX conversation_watchers_thread ON conversation_watchers (channel, thread_ts)`,
  sql`ALTER TABLE campaigns ADD COLUMN escalation_channel text`,
  sql`ALTER TABLE conversations
    ADD COLUMN escalated_at timestamptz,
    ADD COLUMN escalated_by text,
    ADD COLUMN escalation_reason text CONSTRAINT conversations_escalation_reason_length
      CHECK (char_length(escalation_reason) BETWEEN 1 AND 500),
    ADD COLUMN taken_by text,
    ADD COLUMN taken_at timestamptz`,
  sql`CREATE INDEX conversations_escalated ON conversations (campaign_id, escalated_at) WHERE escalated_at IS NOT NULL`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await statement.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX conversations_escalated`.execute(db);
  await sql`ALTER TABLE conversations
    DROP COLUMN escalated_at, DROP COLUMN escalated_by, DROP COLUMN escalation_reason,
    DROP COLUMN taken_by, DROP COLUMN taken_at`.execute(db);
  await sql`ALTER TABLE campaigns DROP COLUMN escalation_channel`.execute(db);
  await sql`DROP TABLE conversation_watchers`.execute(db);
}
