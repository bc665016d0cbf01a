import { sql } from "kysely";
import type { Database } from "../db/database.ts";
import type { Campaign } from "../db/schema.ts";
import { isOrganizer } from "./organizers.ts";

/** The name a volunteer joined a campaign with ({texter_name}), if they joined. */
export async function volunteerName(db: Database, campaignId: number, userId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom("volunteers")
    .select(["display_name"])
    .where("campaign_id", "=", campaignId)
    .where("user_id", "=", userId)
    .executeTakeFirst();
  return row?.display_name ?? undefined;
}

/** {texter_name} for the campaign a contact belongs to. */
export async function volunteerNameForContact(
  db: Database,
  contactId: number,
  userId: string,
): Promise<string | undefined> {
  const row = await db
    .selectFrom("contacts as c")
    .innerJoin("volunteers as v", (join) =>
      join.onRef("v.campaign_id", "=", "c.campaign_id").on("v.user_id", "=", userId),
    )
    .select("v.display_name")
    .where("c.id", "=", contactId)
    .executeTakeFirst();
  return row?.display_name ?? undefined;
}

/** Joins (or renames) a volunteer; returns whether they were new to the campaign. */
export async function joinCampaign(
  db: Database,
  input: { campaignId: number; userId: string; displayName: string },
): Promise<{ joined: boolean }> {
  const existed = await db
    .selectFrom("volunteers")
    .select("user_id")
    .where("campaign_id", "=", input.campaignId)
    .where("user_id", "=", input.userId)
    .executeTakeFirst();
  await db
    .insertInto("volunteers")
    .values({ campaign_id: input.campaignId, user_id: input.userId, display_name: input.displayName })
    .onConflict((oc) => oc.columns(["campaign_id", "user_id"]).doUpdateSet({ display_name: input.displayName }))
    .execute();
  return { joined: existed === undefined };
}

/** The name a volunteer's texts use in one campaign ({texter_name}); false if they are not on it. */
export async function renameVolunteer(
  db: Database,
  input: { campaignId: number; userId: string; displayName: string },
): Promise<boolean> {
  const result = await db
    .updateTable("volunteers")
    .set({ display_name: input.displayName })
    .where("campaign_id", "=", input.campaignId)
    .where("user_id", "=", input.userId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** The volunteer acted: their holds are not idle. Optionally on or off shift, and where their DM is. */
export async function touchVolunteer(
  db: Database,
  campaignId: number,
  userId: string,
  changes: { onShift?: boolean; dmChannel?: string } = {},
): Promise<void> {
  await db
    .updateTable("volunteers")
    .set({
      last_active_at: sql`now()`,
      ...(changes.onShift !== undefined ? { on_shift: changes.onShift } : {}),
      ...(changes.dmChannel ? { dm_channel: changes.dmChannel } : {}),
    })
    .where("campaign_id", "=", campaignId)
    .where("user_id", "=", userId)
    .execute();
}

/** Opening messages this volunteer sent in the campaign in the 24 hours before `now`. */
export async function sentToday(db: Database, campaignId: number, userId: string, now: Date): Promise<number> {
  const row = await db
    .selectFrom("messages")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("campaign_id", "=", campaignId)
    .where("sent_by", "=", userId)
    .where("kind", "=", "opening")
    .where("created_at", ">=", new Date(now.getTime() - 24 * 3600 * 1000))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Where the volunteer's DM with the app is, once known. */
export async function volunteerDm(db: Database, campaignId: number, userId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom("volunteers")
    .select("dm_channel")
    .where("campaign_id", "=", campaignId)
    .where("user_id", "=", userId)
    .executeTakeFirst();
  return row?.dm_channel ?? undefined;
}

/** Off shift: nothing more is handed to them until they start again. */
export async function takeOffShift(db: Database, campaignId: number, userId: string): Promise<void> {
  await db
    .updateTable("volunteers")
    .set({ on_shift: false })
    .where("campaign_id", "=", campaignId)
    .where("user_id", "=", userId)
    .execute();
}

/**
 * Whether a campaign may be shown to this person (its title, its state): an active one to anyone;
 * any other to organizers, and to its own volunteers once it has left draft. A forged button
 * naming any other campaign learns nothing.
 */
export async function mayShowCampaign(
  db: Database,
  organizerIds: readonly string[],
  campaign: Pick<Campaign, "id" | "state">,
  userId: string,
): Promise<boolean> {
  if (campaign.state === "active" || (await isOrganizer(db, organizerIds, userId))) return true;
  return campaign.state !== "draft" && (await volunteerName(db, campaign.id, userId)) !== undefined;
}
