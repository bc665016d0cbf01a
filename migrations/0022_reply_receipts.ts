import { sql, type Kysely } from "kysely";

/**
 * Receipts for replies written in a thread: a volunteer's reply is a Slack message, and the text
 * it became says on that message whether it was sent, delivered or failed (a reaction), so
 * `messages.slack_reply_channel` / `slack_reply_ts` remember which Slack message a text came from.
 * The status callback finds them with the text.
 *
 * `former_threads` remembers a conversation's old threads: a reassign (or handoff, or a review's
 * move) clears the conversation's `slack_channel` / `slack_thread_ts` and starts a thread in the
 * new volunteer's DM, and a reply written afterwards in the old thread is answered there ("Not
 * sent: this conversation moved to …") instead of vanishing. A trigger records the thread being
 * cleared or replaced, whichever statement does it.
 */
const statements = [
  sql`ALTER TABLE messages ADD COLUMN slack_reply_channel text, ADD COLUMN slack_reply_ts text`,
  sql`CREATE TABLE former_threads (
    channel text NOT NULL,
    thread_ts text NOT NULL,
    conversation_id bigint NOT NULL REFERENCES conversations ON DELETE CASCADE,
    moved_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (channel, thread_ts)
  )`,
  sql`CREATE FUNCTION remember_former_thread() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO former_threads (channel, thread_ts, conversation_id)
      VALUES (OLD.slack_channel, OLD.slack_thread_ts, OLD.id)
      ON CONFLICT (channel, thread_ts) DO UPDATE SET conversation_id = excluded.conversation_id, moved_at = now();
      RETURN NEW;
    END $$`,
  sql`CREATE TRIGGER conversations_former_thread
    AFTER UPDATE OF slack_channel, slack_thread_ts ON conversations
    FOR EACH ROW
    WHEN (OLD.slack_channel IS NOT NULL AND OLD.slack_thread_ts IS NOT NULL
          AND (OLD.slack_channel, OLD.slack_thread_ts) IS DISTINCT FROM (NEW.slack_channel, NEW.slack_thread_ts))
    EXECUTE FUNCTION remember_former_thread()`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await statement.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TRIGGER conversations_former_thread ON conversations`.execute(db);
  await sql`DROP FUNCTION remember_former_thread()`.execute(db);
  await sql`DROP TABLE former_threads`.execute(db);
  await sql`ALTER TABLE messages DROP COLUMN slack_reply_channel, DROP COLUMN slack_reply_ts`.execute(db);
}
