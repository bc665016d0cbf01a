import { sql, type Kysely } from "kysely";

/**
 * Who changed the opt-out list: `actor` is the Slack user who added or removed a number
 * (an organizer with /campaign optouts, a volunteer with the thread's Opt out button), on the
 * opt-out itself and on each event of its history; NULL when the contact or the carrier did it.
 * The index serves "/campaign optouts check", which reads one number's history.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE opt_outs ADD COLUMN actor text`.execute(db);
  await sql`ALTER TABLE opt_out_events ADD COLUMN actor text`.execute(db);
  await sql`CREATE INDEX opt_out_events_phone ON opt_out_events (phone, id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX opt_out_events_phone`.execute(db);
  await sql`ALTER TABLE opt_out_events DROP COLUMN actor`.execute(db);
  await sql`ALTER TABLE opt_outs DROP COLUMN actor`.execute(db);
}
