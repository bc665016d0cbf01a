import { sql, type Kysely } from "kysely";

/**
 * Our own states of an outgoing text get names of their own. 'queued' and 'sending' meant both
 * "not yet handed to Twilio" / "a request to Twilio is under way" and Twilio's statuses of the
 * same names. Now:
 *   pending     stored, waiting to be handed to Twilio (first attempt, or a retry that is due)
 *   submitting  a request to Twilio may be under way; no sid yet
 * and queued / accepted / sending / sent / delivered / undelivered / failed / read are only ever
 * what Twilio said (a row has a sid from the first of them on).
 */
const ALL = `'pending', 'submitting', 'queued', 'accepted', 'sending', 'sent', 'delivered', 'undelivered', 'failed',
  'received', 'read'`;
const OLD = `'queued', 'sending', 'accepted', 'sent', 'delivered', 'undelivered', 'failed', 'received', 'read'`;

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE messages DROP CONSTRAINT messages_status_check`.execute(db);
  await sql`UPDATE messages SET status = 'pending'
            WHERE direction = 'out' AND twilio_sid IS NULL AND status = 'queued'`.execute(db);
  await sql`UPDATE messages SET status = 'submitting'
            WHERE direction = 'out' AND twilio_sid IS NULL AND status = 'sending'`.execute(db);
  await sql`ALTER TABLE messages ADD CONSTRAINT messages_status_check CHECK (status IN (${sql.raw(ALL)}))`.execute(db);
  await sql`DROP INDEX messages_unsent`.execute(db);
  await sql`CREATE INDEX messages_unsent ON messages (updated_at)
            WHERE twilio_sid IS NULL AND status IN ('pending', 'submitting')`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE messages DROP CONSTRAINT messages_status_check`.execute(db);
  await sql`UPDATE messages SET status = 'queued' WHERE status = 'pending'`.execute(db);
  await sql`UPDATE messages SET status = 'sending' WHERE status = 'submitting'`.execute(db);
  await sql`ALTER TABLE messages ADD CONSTRAINT messages_status_check CHECK (status IN (${sql.raw(OLD)}))`.execute(db);
  await sql`DROP INDEX messages_unsent`.execute(db);
  await sql`CREATE INDEX messages_unsent ON messages (updated_at)
            WHERE twilio_sid IS NULL AND status IN ('queued', 'sending')`.execute(db);
}
