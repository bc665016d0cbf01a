import { sql, type Kysely } from "kysely";

/**
 * Inbound texts are stored the moment Twilio calls (the webhook answers at once) and
 * processed after: matched, opt-outs recorded, Slack posts queued. processed_at marks the
 * second step, so a crash between the two leaves work that the sweep picks up.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE messages ADD COLUMN processed_at timestamptz`.execute(db);
  await sql`UPDATE messages SET processed_at = created_at WHERE direction = 'in'`.execute(db);
  await sql`CREATE INDEX messages_unprocessed ON messages (id) WHERE direction = 'in' AND processed_at IS NULL`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX messages_unprocessed`.execute(db);
  await sql`ALTER TABLE messages DROP COLUMN processed_at`.execute(db);
}
