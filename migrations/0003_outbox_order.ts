import { sql, type Kysely } from "kysely";

/** The outbox posts each channel's items in order: this index finds a channel's head fast. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE INDEX slack_outbox_channel_pending ON slack_outbox (channel, id) WHERE state = 'pending'`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX slack_outbox_channel_pending`.execute(db);
}
