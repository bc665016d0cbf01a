import { sql } from "kysely";
import type { Database } from "../db/database.ts";

/**
 * Slack retries an event (x-slack-retry-num) and Bolt does not dedupe: its event_id is a key
 * here, and only the first delivery is acted on, whichever instance it reaches.
 */
export async function firstDelivery(db: Database, eventId: string | undefined): Promise<boolean> {
  if (!eventId) return true;
  const inserted = await db
    .insertInto("slack_events")
    .values({ event_id: eventId })
    .onConflict((oc) => oc.column("event_id").doNothing())
    .returning("event_id")
    .executeTakeFirst();
  return inserted !== undefined;
}

/** Event ids older than `days`: Slack retries an event within minutes, so they guard nothing. */
export async function pruneSlackEvents(db: Database, days: number): Promise<number> {
  const result = await db
    .deleteFrom("slack_events")
    .where("received_at", "<", sql<Date>`now() - make_interval(days => ${days})`)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
