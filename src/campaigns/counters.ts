import { sql } from "kysely";
import type { Database } from "../db/database.ts";

/**
 * The summary counters of campaigns (migrations/0018_campaign_counters.ts): triggers add delta
 * rows to `campaign_counts` in the transaction of every change they count; a figure is the sum
 * of its rows. Never updated in place, so concurrent Sends never wait on one another for them.
 */

/** Each counter of a campaign that is not zero: name → key → sum. */
export type CampaignCounts = Map<string, Map<string, number>>;

/** A campaign's counters, one index range read (its compacted rows plus the deltas since). */
export async function readCampaignCounts(db: Database, campaignId: number, names?: string[]): Promise<CampaignCounts> {
  const { rows } = await sql<{ name: string; key: string; n: number }>`
    SELECT name, key, sum(n)::float8 AS n FROM campaign_counts
    WHERE campaign_id = ${campaignId}
      ${names ? sql`AND name IN (${sql.join(names)})` : sql``}
    GROUP BY name, key HAVING sum(n) <> 0`.execute(db);
  const counts: CampaignCounts = new Map();
  for (const row of rows) {
    const keys = counts.get(row.name) ?? new Map<string, number>();
    keys.set(row.key, Number(row.n));
    counts.set(row.name, keys);
  }
  return counts;
}

/** The one figure of a counter without keys (0 when it has no rows). */
export function countOf(counts: CampaignCounts, name: string): number {
  return counts.get(name)?.get("") ?? 0;
}

/** A counter's keys with their figures, zeros left out. */
export function keyedCounts(counts: CampaignCounts, name: string): [string, number][] {
  return [...(counts.get(name) ?? [])];
}

/**
 * Folds the deltas added since the last run into one compacted row per (campaign, name, key),
 * dropping keys that sum to zero, so a read stays a few hundred rows whatever the campaign's
 * size. One statement: the DELETE takes only rows its snapshot sees (a delta committed
 * meanwhile stays for the next run), and a second run at the same time skips the rows the
 * first deleted, so a sum never changes. Returns how many rows were folded.
 */
export async function compactCampaignCounts(db: Database): Promise<number> {
  const { rows } = await sql<{ folded: number }>`
    WITH touched AS (
      SELECT DISTINCT campaign_id, name, key FROM campaign_counts WHERE NOT compacted),
    folded AS (
      DELETE FROM campaign_counts c USING touched t
      WHERE c.campaign_id = t.campaign_id AND c.name = t.name AND c.key = t.key
      RETURNING c.campaign_id, c.name, c.key, c.n),
    kept AS (
      INSERT INTO campaign_counts (campaign_id, name, key, n, compacted)
      SELECT campaign_id, name, key, sum(n), true FROM folded
      GROUP BY campaign_id, name, key HAVING sum(n) <> 0)
    SELECT count(*)::int AS folded FROM folded`.execute(db);
  return rows[0]?.folded ?? 0;
}
