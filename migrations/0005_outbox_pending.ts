import { sql, type Kysely } from "kysely";

/**
 * The outbox claims pending items in id order. Without this index that scan starts at the
 * oldest row and steps over every item already posted — a cost that grew with each post
 * (1.4 ms a claim after 8,000 posts); with it the scan sees pending items only. The old
 * index on next_attempt_at goes: a plan through it (seen when the claim was tried as a
 * prepared statement) sorts every due item (4.5 ms) instead of reading these in id order,
 * and nothing else filters on next_attempt_at alone.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE INDEX slack_outbox_pending ON slack_outbox (id) WHERE state = 'pending'`.execute(db);
  await sql`DROP INDEX slack_outbox_due`.execute(db);
  // Every item is updated two or three times within seconds of its insert, and each update
  // leaves a dead entry the claim must step over: vacuum this queue after every 1,000 of them
  // and without the cost pauses meant for big tables.
  await sql`ALTER TABLE slack_outbox SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000, autovacuum_vacuum_cost_delay = 0)`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE slack_outbox RESET (autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold, autovacuum_vacuum_cost_delay)`.execute(
    db,
  );
  await sql`CREATE INDEX slack_outbox_due ON slack_outbox (next_attempt_at) WHERE state = 'pending'`.execute(db);
  await sql`DROP INDEX slack_outbox_pending`.execute(db);
}
