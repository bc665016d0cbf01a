import { sql } from "kysely";
import type { Database } from "../db/database.ts";

/**
 * Claims one run of a job across every instance: the first to insert (job, run_key) runs it,
 * the others see the row and skip. run_key names the schedule slot (e.g. the minute).
 */
export async function claimRun(db: Database, job: string, runKey: string, instance: string): Promise<boolean> {
  const inserted = await db
    .insertInto("job_runs")
    .values({ job, run_key: runKey, instance })
    .onConflict((oc) => oc.columns(["job", "run_key"]).doNothing())
    .returning("job")
    .executeTakeFirst();
  return inserted !== undefined;
}

export async function finishRun(db: Database, job: string, runKey: string): Promise<void> {
  await db
    .updateTable("job_runs")
    .set({ finished_at: new Date() })
    .where("job", "=", job)
    .where("run_key", "=", runKey)
    .execute();
}

/** The run key of a schedule slot: the instant truncated to `everySeconds`. */
export function slotKey(at: Date, everySeconds: number): string {
  return new Date(Math.floor(at.getTime() / (everySeconds * 1000)) * everySeconds * 1000).toISOString();
}

/** Runs older than `days`: a run key only matters within its own slot. */
export async function pruneRuns(db: Database, days: number): Promise<number> {
  const result = await db
    .deleteFrom("job_runs")
    .where("started_at", "<", sql<Date>`now() - make_interval(days => ${days})`)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
