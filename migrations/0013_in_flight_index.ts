import { sql, type Kysely } from "kysely";

/**
 * The texts to a number that may be mid-request at Twilio: an opt-out's webhook waits for them
 * before it answers (storeInbound). Partial, so it holds only the few rows in flight.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE INDEX messages_in_flight ON messages (to_phone) WHERE status = 'submitting'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX messages_in_flight`.execute(db);
}
