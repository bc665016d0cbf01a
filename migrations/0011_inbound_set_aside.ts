import { sql, type Kysely } from "kysely";

/**
 * An inbound text that fails processing again and again is set aside after a few tries and
 * reported to the organizers once, so it stops being retried and never holds back the others.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE messages
    ADD COLUMN process_failures smallint NOT NULL DEFAULT 0,
    ADD COLUMN set_aside_at timestamptz`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE messages DROP COLUMN process_failures, DROP COLUMN set_aside_at`.execute(db);
}
