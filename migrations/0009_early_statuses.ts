import { sql, type Kysely } from "kysely";

/**
 * Status callbacks that arrive before their message's sid is written (Twilio may call back
 * before it answers the create; sids are written in batches; after a crash the sid waits for
 * the sweep). Kept here, the highest-ranked per sid, and applied when the sid is written.
 * Answering such a callback 204 without keeping it lost it for good: Twilio does not retry.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE TABLE early_statuses (
    sid text PRIMARY KEY,
    status text NOT NULL,
    error_code integer,
    received_at timestamptz NOT NULL DEFAULT now()
  )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE early_statuses`.execute(db);
}
