import { sql, type ExpressionBuilder } from "kysely";
import type { Database } from "../../db/database.ts";
import { queryPrepared } from "../../db/prepared.ts";
import type { Contact, DB } from "../../db/schema.ts";

/**
 * Handing out contacts. Correctness lives in SQL: a claim is one UPDATE over a row picked
 * with FOR UPDATE SKIP LOCKED, and the partial unique index contacts_one_held means a
 * volunteer can never hold two contacts of a campaign, whatever the number of instances.
 */

/** The contact this volunteer holds in the campaign, if any. */
export async function heldContact(db: Database, campaignId: number, userId: string): Promise<Contact | undefined> {
  return db
    .selectFrom("contacts")
    .selectAll()
    .where("campaign_id", "=", campaignId)
    .where("held_by", "=", userId)
    .where("status", "=", "held")
    .executeTakeFirst();
}

const zoneSetCaches = new WeakMap<Database, Map<number, { at: number; sets: Promise<string[][]> }>>();
const ZONE_SET_TTL_MS = 2000;

/**
 * The pool's zone sets, remembered for two seconds per campaign: a stale list only costs a
 * claim that finds a set empty, and a new upload's zones show up two seconds later.
 */
export async function cachedPoolZoneSets(db: Database, campaignId: number): Promise<string[][]> {
  let zoneSetCache = zoneSetCaches.get(db);
  if (!zoneSetCache) zoneSetCaches.set(db, (zoneSetCache = new Map()));
  const cached = zoneSetCache.get(campaignId);
  if (cached && Date.now() - cached.at < ZONE_SET_TTL_MS) return cached.sets;
  // The promise is what is remembered, so the presses that find the list expired together
  // share one look rather than each sending its own.
  const sets = poolZoneSets(db, campaignId);
  zoneSetCache.set(campaignId, { at: Date.now(), sets });
  sets.catch(() => zoneSetCache.delete(campaignId));
  return sets;
}

/** Distinct time-zone sets still in the pool: a loose index scan, one probe per set. */
export async function poolZoneSets(db: Database, campaignId: number): Promise<string[][]> {
  const { rows } = await sql<{ tz_zones: string[] }>`
    WITH RECURSIVE sets AS (
      (SELECT tz_zones FROM contacts WHERE campaign_id = ${campaignId} AND status = 'pool' ORDER BY tz_zones LIMIT 1)
      UNION ALL
      SELECT (SELECT c.tz_zones FROM contacts c
              WHERE c.campaign_id = ${campaignId} AND c.status = 'pool' AND c.tz_zones > sets.tz_zones
              ORDER BY c.tz_zones LIMIT 1)
      FROM sets WHERE sets.tz_zones IS NOT NULL
    )
    SELECT tz_zones FROM sets WHERE tz_zones IS NOT NULL`.execute(db);
  return rows.map((row) => row.tz_zones);
}

/**
 * Where a zone set's live pool entries begin, as this instance last claimed from it. A claim
 * turns a contact from 'pool' to 'held', and its entry in contacts_pool_zones stays behind,
 * dead, until vacuum: a scan from the start of the set steps over every contact handed out
 * since (190 index pages a claim after 20,000 sends, against 4 from the front; autovacuum waits
 * for a fifth of the table to change, 200,000 rows in a million-contact campaign). So a claim
 * starts after the last id this instance claimed in the set. A contact returned to the pool
 * behind the front (released, skipped, idle) is found when the front finds nothing, by the
 * scan from the start that every front expires into after ten seconds, and at once when it
 * was returned on this instance (forgetPoolFronts). It is a hint:
 * SKIP LOCKED and the status check still decide who gets what.
 */
const poolFronts = new WeakMap<Database, Map<string, { id: number; at: number }>>();
const POOL_FRONT_TTL_MS = 10_000;

function frontKey(campaignId: number, zones: string[]): string {
  return `${campaignId}|${zones.join("|")}`;
}

function isLive(front: { at: number } | undefined): front is { id: number; at: number } {
  return front !== undefined && Date.now() - front.at < POOL_FRONT_TTL_MS;
}

/** The id to claim after in this zone set (0: from the start). */
export function poolFront(db: Database, campaignId: number, zones: string[]): number {
  const front = poolFronts.get(db)?.get(frontKey(campaignId, zones));
  return isLive(front) ? front.id : 0;
}

/** Remembers the contact just claimed from this zone set as where the next claim starts. */
export function notePoolFront(db: Database, campaignId: number, zones: string[], claimedId: number): void {
  let fronts = poolFronts.get(db);
  if (!fronts) poolFronts.set(db, (fronts = new Map()));
  const key = frontKey(campaignId, zones);
  // A front that expired starts over from this claim's time; a live one keeps its start.
  const front = fronts.get(key);
  fronts.set(key, { id: claimedId, at: isLive(front) ? front.at : Date.now() });
}

/**
 * Contacts went back to the pool here (End shift, Skip, the idle release): the next claim in
 * the campaign starts from the beginning and hands them out first. Returns elsewhere (another
 * instance, a pause) wait at most for the fronts to expire.
 */
export function forgetPoolFronts(db: Database, campaignId?: number): void {
  const fronts = poolFronts.get(db);
  if (!fronts) return;
  if (campaignId === undefined) return fronts.clear();
  for (const key of fronts.keys()) if (key.startsWith(`${campaignId}|`)) fronts.delete(key);
}

/**
 * The claim as CTEs (candidate, opted, next), written once for both statements that claim:
 * CLAIM_NEXT here and the Send statement, which claims only `onlyIf` its opening was stored.
 * Arguments are the placeholders ("$1") for the campaign, the volunteer, the zone set and
 * the id to claim after (poolFront).
 */
export function claimCtes(p: {
  campaign: string;
  user: string;
  zones: string;
  after: string;
  onlyIf?: string;
}): string {
  return `candidate AS (
      SELECT id FROM contacts
      WHERE ${p.onlyIf ? `${p.onlyIf} AND ` : ""}campaign_id = ${p.campaign} AND status = 'pool'
        -- The zone set as a range, not tz_zones = …: an equality makes the ORDER BY plain "id",
        -- which the primary key serves too, and once statistics show the sent contacts the
        -- planner picks it and reads every one of them. As a row comparison it also starts
        -- the scan at the front, past the dead entries of contacts already handed out.
        AND (tz_zones, id) > (${p.zones}::text[], ${p.after}::bigint) AND tz_zones <= ${p.zones}::text[]
        AND last_skipped_by IS DISTINCT FROM ${p.user}
      ORDER BY tz_zones, id LIMIT 1
      FOR UPDATE SKIP LOCKED
    ), opted AS (
      SELECT candidate.id,
             EXISTS (SELECT 1 FROM opt_outs o JOIN contacts n ON n.phone = o.phone WHERE n.id = candidate.id) AS out
      FROM candidate
    ), next AS (
      UPDATE contacts n SET
        status = CASE WHEN opted.out THEN 'opted_out' ELSE 'held' END,
        held_by = CASE WHEN opted.out THEN NULL ELSE ${p.user} END,
        held_at = CASE WHEN opted.out THEN NULL ELSE date_trunc('milliseconds', now()) END
      FROM opted WHERE n.id = opted.id
      RETURNING n.*
    )`;
}

const CLAIM_NEXT = {
  name: "claim_next_contact_v3",
  text: `WITH ${claimCtes({ campaign: "$1", user: "$2", zones: "$3", after: "$4" })} SELECT * FROM next`,
};

/**
 * Claims the next pool contact whose zone set is open, for this volunteer. A contact found
 * opted out on the way is marked so and skipped. Returns the volunteer's existing held
 * contact if there is one (a volunteer holds at most one).
 */
export async function claimNextContact(
  db: Database,
  input: { campaignId: number; userId: string; openZoneSets: string[][]; holdsNothing?: boolean },
): Promise<Contact | undefined> {
  // Right after a send the volunteer holds nothing; contacts_one_held still guards the claim.
  if (!input.holdsNothing) {
    const existing = await heldContact(db, input.campaignId, input.userId);
    if (existing) return existing;
  }
  for (const zones of input.openZoneSets) {
    let after = poolFront(db, input.campaignId, zones);
    for (;;) {
      let claimed: Contact | undefined;
      try {
        const rows = await queryPrepared<Contact>(db, CLAIM_NEXT, [input.campaignId, input.userId, zones, after]);
        claimed = rows[0];
      } catch (error) {
        // contacts_one_held: this volunteer claimed one concurrently (a double click on Shift).
        if ((error as { code?: string }).code === "23505") return heldContact(db, input.campaignId, input.userId);
        throw error;
      }
      if (!claimed) {
        // Nothing past the front: what is left, if anything, was returned behind it.
        if (after === 0) break;
        after = 0;
        continue;
      }
      notePoolFront(db, input.campaignId, zones, claimed.id);
      after = claimed.id;
      if (claimed.status === "held") return claimed;
    }
  }
  return undefined;
}

/** Returns a volunteer's held contact (one campaign, or all) to the pool. */
export async function releaseHeld(db: Database, userId: string, campaignId?: number): Promise<number> {
  let query = db
    .updateTable("contacts")
    .set({ status: "pool", held_by: null, held_at: null })
    .where("status", "=", "held")
    .where("held_by", "=", userId);
  if (campaignId !== undefined) query = query.where("campaign_id", "=", campaignId);
  const result = await query.executeTakeFirst();
  if (result.numUpdatedRows > 0n) forgetPoolFronts(db, campaignId);
  return Number(result.numUpdatedRows);
}

/** Contacts held longer than `minutes` by a volunteer who has not acted since go back to the pool. */
export async function releaseIdleHolds(db: Database, minutes: number): Promise<number> {
  const result = await sql`
    UPDATE contacts c SET status = 'pool', held_by = NULL, held_at = NULL
    WHERE c.status = 'held' AND c.held_at < now() - make_interval(mins => ${minutes})
      AND NOT EXISTS (
        SELECT 1 FROM volunteers v
        WHERE v.campaign_id = c.campaign_id AND v.user_id = c.held_by
          AND v.last_active_at >= now() - make_interval(mins => ${minutes})
      )`.execute(db);
  if (result.numAffectedRows) forgetPoolFronts(db);
  return Number(result.numAffectedRows ?? 0);
}

/** The contact row of exactly this hold: this contact, still held, by this volunteer, since then. */
function thisHold(
  eb: ExpressionBuilder<DB, "contacts">,
  hold: { contactId: number; userId: string; heldAtMs: number },
) {
  return eb.and([
    eb("id", "=", hold.contactId),
    eb("status", "=", "held"),
    eb("held_by", "=", hold.userId),
    eb("held_at", "=", new Date(hold.heldAtMs)),
  ]);
}

/**
 * Lets go of a hold that can no longer be sent (after Send was refused): back to the pool, or
 * out of it when the number opted out. Only this volunteer's hold, only this hold.
 */
export async function dropHold(
  db: Database,
  hold: { contactId: number; userId: string; heldAtMs: number },
  to: "pool" | "opted_out",
): Promise<void> {
  const dropped = await db
    .updateTable("contacts")
    .set({ status: to, held_by: null, held_at: null })
    .where((eb) => thisHold(eb, hold))
    .returning("campaign_id")
    .executeTakeFirst();
  if (dropped && to === "pool") forgetPoolFronts(db, dropped.campaign_id);
}

/** Skip: the contact goes back to the pool for someone else, never to this volunteer again. */
export async function skipContact(
  db: Database,
  input: { contactId: number; userId: string; heldAtMs: number },
): Promise<{ campaignId: number; firstName: string | null; lastName: string | null } | undefined> {
  const skipped = await db
    .updateTable("contacts")
    .set((eb) => ({
      status: "pool",
      held_by: null,
      held_at: null,
      last_skipped_by: input.userId,
      skip_count: eb("skip_count", "+", 1),
    }))
    .where((eb) => thisHold(eb, input))
    .returning(["campaign_id", "first_name", "last_name"])
    .executeTakeFirst();
  if (!skipped) return undefined;
  forgetPoolFronts(db, skipped.campaign_id);
  return { campaignId: skipped.campaign_id, firstName: skipped.first_name, lastName: skipped.last_name };
}
