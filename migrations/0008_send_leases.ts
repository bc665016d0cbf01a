import { sql, type Kysely } from "kysely";

/**
 * A send attempt holds a lease: a text in 'submitting' is someone's until lease_until, and the
 * retry sweep takes only texts whose lease has run out. The request to Twilio has one overall
 * deadline shorter than the lease, so a text is never sent again while its first attempt may
 * still be in flight. Rows from before this migration have no lease and count as expired.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE messages ADD COLUMN lease_until timestamptz`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE messages DROP COLUMN lease_until`.execute(db);
}
