/**
 * Handing out follow-ups. As with openings, correctness lives in SQL: a claim is one UPDATE over
 * a row picked with FOR UPDATE SKIP LOCKED, and the partial unique index followups_one_held means
 * a volunteer holds at most one follow-up of a campaign, whatever the number of instances.
 *
 * Who gets a contact's follow-up: the volunteer who has the conversation, if they are on shift
 * (on_shift, and active in the last HOLD_IDLE_MINUTES); otherwise anyone on shift. A hold nobody
 * acts on does not need releasing: once it is HOLD_IDLE_MINUTES old, or its holder went off shift
 * (End shift, a shift's end), the next claim may take it over, and the old card's Send matches
 * nothing (it names the old hold).
 */
import { sql } from "kysely";
import type { Database } from "../../db/database.ts";
import { queryPrepared } from "../../db/prepared.ts";
import type { Campaign, Contact, Followup, FollowupRound } from "../../db/schema.ts";
import { isWithinWindow } from "../hours/window.ts";
import { mergeValues } from "../scripts/merge-values.ts";
import { parseTemplate, renderTemplate } from "../scripts/template.ts";
import { windowOf } from "../sending/next-card.ts";

export const HOLD_IDLE_MINUTES = 15;

/** A follow-up as a card shows it: the item, its contact and its round. */
export interface FollowupCard {
  followup: Followup;
  contact: Contact;
  round: Pick<FollowupRound, "id" | "round" | "message">;
}

/** The round's message exactly as it will be texted to this contact. */
export function renderFollowup(
  round: Pick<FollowupRound, "message">,
  campaign: Pick<Campaign, "title">,
  contact: Contact,
  texterName: string,
): string {
  const parsed = parseTemplate(round.message);
  if (!parsed.ok) return "";
  return renderTemplate(parsed.template, mergeValues(contact, { campaignTitle: campaign.title, texterName }));
}

const zoneSetCaches = new WeakMap<Database, Map<number, { at: number; sets: Promise<string[][]> }>>();
const ZONE_SET_TTL_MS = 2000;

/**
 * The zone sets of the campaign's follow-ups still to send (pool or held), remembered two seconds
 * per campaign: empty means no follow-up is waiting, so the common card (no rounds) costs no read.
 * A hint: a stale list only changes the order of cards for two seconds; the claim decides.
 */
export async function cachedFollowupZoneSets(db: Database, campaignId: number): Promise<string[][]> {
  let cache = zoneSetCaches.get(db);
  if (!cache) zoneSetCaches.set(db, (cache = new Map()));
  const cached = cache.get(campaignId);
  if (cached && Date.now() - cached.at < ZONE_SET_TTL_MS) return cached.sets;
  const sets = followupZoneSets(db, campaignId);
  cache.set(campaignId, { at: Date.now(), sets });
  sets.catch(() => cache.delete(campaignId));
  return sets;
}

/** A round was created here: the next card on this instance looks again at once. */
export function forgetFollowupZoneSets(db: Database, campaignId: number): void {
  zoneSetCaches.get(db)?.delete(campaignId);
}

async function followupZoneSets(db: Database, campaignId: number): Promise<string[][]> {
  const { rows } = await sql<{ tz_zones: string[] }>`
    SELECT DISTINCT c.tz_zones FROM followups f JOIN contacts c ON c.id = f.contact_id
    WHERE f.campaign_id = ${campaignId} AND f.status IN ('pool', 'held')`.execute(db);
  return rows.map((row) => row.tz_zones);
}

/** Whether follow-ups of this campaign wait to be sent (the cached hint). */
export async function followupsWaiting(db: Database, campaignId: number): Promise<boolean> {
  return (await cachedFollowupZoneSets(db, campaignId)).length > 0;
}

const zoneKey = (zones: readonly string[]) => zones.join(",");

/** The follow-up this volunteer holds in the campaign, if any, with its contact and round. */
export async function heldFollowup(
  db: Database,
  campaignId: number,
  userId: string,
): Promise<FollowupCard | undefined> {
  const row = await db
    .selectFrom("followups")
    .select("id")
    .where("campaign_id", "=", campaignId)
    .where("held_by", "=", userId)
    .where("status", "=", "held")
    .executeTakeFirst();
  return row ? loadFollowupCard(db, row.id) : undefined;
}

/** A follow-up with its contact and round, in one read. */
export async function loadFollowupCard(db: Database, followupId: number): Promise<FollowupCard | undefined> {
  const row = await db
    .selectFrom("followups as f")
    .innerJoin("contacts as c", "c.id", "f.contact_id")
    .innerJoin("followup_rounds as r", "r.id", "f.round_id")
    .selectAll("c")
    .select([
      "f.id as f_id",
      "f.round_id as f_round_id",
      "f.campaign_id as f_campaign_id",
      "f.contact_id as f_contact_id",
      "f.conversation_id as f_conversation_id",
      "f.status as f_status",
      "f.held_by as f_held_by",
      "f.held_at as f_held_at",
      "f.last_skipped_by as f_last_skipped_by",
      "r.round as r_round",
      "r.message as r_message",
    ])
    .where("f.id", "=", followupId)
    .executeTakeFirst();
  if (!row) return undefined;
  const {
    f_id,
    f_round_id,
    f_campaign_id,
    f_contact_id,
    f_conversation_id,
    f_status,
    f_held_by,
    f_held_at,
    f_last_skipped_by,
    r_round,
    r_message,
    ...contact
  } = row;
  return {
    followup: {
      id: f_id,
      round_id: f_round_id,
      campaign_id: f_campaign_id,
      contact_id: f_contact_id,
      conversation_id: f_conversation_id,
      status: f_status,
      held_by: f_held_by,
      held_at: f_held_at,
      last_skipped_by: f_last_skipped_by,
    },
    contact: contact as Contact,
    round: { id: f_round_id, round: r_round, message: r_message },
  };
}

/**
 * The claim: the first follow-up of the campaign this volunteer may take, in an open zone set,
 * their own conversations first; an opted-out number found on the way is marked so instead.
 * `$1` campaign, `$2` volunteer, `$3` open zone sets (each joined with ","), `$4` idle minutes.
 */
const CLAIM_FOLLOWUP = {
  name: "claim_followup_v1",
  text: `
    WITH busy AS (
      -- Owners on shift and active lately: their conversations' follow-ups wait for them.
      SELECT w.user_id FROM volunteers w
      WHERE w.campaign_id = $1 AND w.on_shift AND w.user_id <> $2
        AND (w.last_active_at > now() - make_interval(mins => $4)
             OR EXISTS (SELECT 1 FROM contacts h
                        WHERE h.campaign_id = w.campaign_id AND h.held_by = w.user_id AND h.status = 'held'
                          AND h.held_at > now() - make_interval(mins => $4))
             OR EXISTS (SELECT 1 FROM followups g
                        WHERE g.campaign_id = w.campaign_id AND g.held_by = w.user_id AND g.status = 'held'
                          AND g.held_at > now() - make_interval(mins => $4)))
    ), candidate AS (
      SELECT f.id FROM followups f
      JOIN contacts c ON c.id = f.contact_id
      JOIN conversations v ON v.id = f.conversation_id
      WHERE f.campaign_id = $1 AND f.status IN ('pool', 'held')
        AND (f.status = 'pool' OR (f.held_by <> $2 AND (
              f.held_at < now() - make_interval(mins => $4)
              OR NOT EXISTS (SELECT 1 FROM volunteers o
                             WHERE o.campaign_id = f.campaign_id AND o.user_id = f.held_by AND o.on_shift))))
        AND f.last_skipped_by IS DISTINCT FROM $2
        AND array_to_string(c.tz_zones, ',') = ANY($3::text[])
        AND (v.volunteer_id IS NULL OR v.volunteer_id = $2 OR v.volunteer_id NOT IN (SELECT user_id FROM busy))
      ORDER BY (v.volunteer_id IS NOT DISTINCT FROM $2) DESC, f.id
      LIMIT 1
      FOR UPDATE OF f SKIP LOCKED
    ), opted AS (
      SELECT candidate.id,
             EXISTS (SELECT 1 FROM followups n JOIN contacts c ON c.id = n.contact_id
                     JOIN opt_outs o ON o.phone = c.phone WHERE n.id = candidate.id) AS out
      FROM candidate
    )
    UPDATE followups f SET
      status = CASE WHEN opted.out THEN 'opted_out' ELSE 'held' END,
      held_by = CASE WHEN opted.out THEN NULL ELSE $2 END,
      held_at = CASE WHEN opted.out THEN NULL ELSE date_trunc('milliseconds', now()) END
    FROM opted WHERE f.id = opted.id
    RETURNING f.id, f.status`,
};

/**
 * Claims this volunteer's next follow-up in the open zone sets. Returns their held one if they
 * already hold one (a double click on Start shift claims once: followups_one_held).
 */
export async function claimFollowup(
  db: Database,
  input: { campaignId: number; userId: string; openZoneSets: string[][] },
): Promise<FollowupCard | undefined> {
  if (input.openZoneSets.length === 0) return undefined;
  const zones = input.openZoneSets.map(zoneKey);
  // Each pass either holds one or marks one opted out; the bound only guards against a surprise.
  for (let pass = 0; pass < 1000; pass++) {
    let claimed: { id: number; status: string } | undefined;
    try {
      const rows = await queryPrepared<{ id: number; status: string }>(db, CLAIM_FOLLOWUP, [
        input.campaignId,
        input.userId,
        zones,
        HOLD_IDLE_MINUTES,
      ]);
      claimed = rows[0];
    } catch (error) {
      // followups_one_held: this volunteer claimed one concurrently.
      if ((error as { code?: string }).code === "23505") return heldFollowup(db, input.campaignId, input.userId);
      throw error;
    }
    if (!claimed) return undefined;
    if (claimed.status === "held") return loadFollowupCard(db, claimed.id);
  }
  return undefined;
}

/**
 * The follow-up this volunteer should see next, if any: the one they hold; else (unless they
 * hold an opening contact, which they finish first) a newly claimed one whose window is open.
 * Follow-ups come before the openings still in the pool: a round is an organizer asking for
 * these texts now (a reminder on election day).
 */
export async function nextFollowup(
  db: Database,
  input: { campaign: Campaign; userId: string; now: Date; holdsNothing?: boolean },
): Promise<FollowupCard | undefined> {
  const { campaign } = input;
  if (campaign.state !== "active") return undefined;
  const sets = await cachedFollowupZoneSets(db, campaign.id);
  if (sets.length === 0) return undefined;
  const held = await heldFollowup(db, campaign.id, input.userId);
  if (held) return held;
  if (!input.holdsNothing) {
    const opening = await db
      .selectFrom("contacts")
      .select("id")
      .where("campaign_id", "=", campaign.id)
      .where("held_by", "=", input.userId)
      .where("status", "=", "held")
      .executeTakeFirst();
    if (opening) return undefined;
  }
  const open = sets.filter((zones) => isWithinWindow(zones, windowOf(campaign), input.now));
  return claimFollowup(db, { campaignId: campaign.id, userId: input.userId, openZoneSets: open });
}
