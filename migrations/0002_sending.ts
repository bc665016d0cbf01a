import { sql, type Kysely } from "kysely";

/**
 * Sending: a volunteer holds at most one contact per campaign (a key, not a check in code),
 * a skipped contact is not handed back to the volunteer who skipped it, the volunteer's name
 * for {texter_name}, and the claim index by time-zone set so closed zones are not scanned.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE contacts ADD COLUMN last_skipped_by text`.execute(db);
  await sql`CREATE UNIQUE INDEX contacts_one_held ON contacts (campaign_id, held_by) WHERE status = 'held'`.execute(db);
  await sql`DROP INDEX contacts_held`.execute(db);
  await sql`CREATE INDEX contacts_pool_zones ON contacts (campaign_id, tz_zones, id) WHERE status = 'pool'`.execute(db);
  // The zone-set index serves every pool scan; a second pool index only tempts the planner.
  await sql`DROP INDEX contacts_pool`.execute(db);
  await sql`ALTER TABLE volunteers ADD COLUMN display_name text`.execute(db);
  await sql`ALTER TABLE messages ADD COLUMN attempts integer NOT NULL DEFAULT 0`.execute(db);
  await sql`CREATE INDEX messages_unsent ON messages (updated_at) WHERE twilio_sid IS NULL AND status IN ('queued', 'sending')`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX messages_unsent`.execute(db);
  await sql`ALTER TABLE messages DROP COLUMN attempts`.execute(db);
  await sql`ALTER TABLE volunteers DROP COLUMN display_name`.execute(db);
  await sql`CREATE INDEX contacts_pool ON contacts (campaign_id, id) WHERE status = 'pool'`.execute(db);
  await sql`DROP INDEX contacts_pool_zones`.execute(db);
  await sql`CREATE INDEX contacts_held ON contacts (campaign_id, held_by) WHERE status = 'held'`.execute(db);
  await sql`DROP INDEX contacts_one_held`.execute(db);
  await sql`ALTER TABLE contacts DROP COLUMN last_skipped_by`.execute(db);
}
