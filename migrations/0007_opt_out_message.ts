import { sql, type Kysely } from "kysely";

/**
 * The inbound text that created an opt-out. An opt-out in words is recorded in the webhook's own
 * transaction, before Twilio gets its answer; processing the text later confirms the opt-out
 * only when this text is the one that created it, so four "please stop" texts get one answer.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE opt_outs ADD COLUMN message_id bigint`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE opt_outs DROP COLUMN message_id`.execute(db);
}
