import { sql } from "kysely";
import type { Database } from "../db/database.ts";
import type { Campaign, CampaignState } from "../db/schema.ts";

export const SLUG_PATTERN = /^[a-z0-9-]{2,40}$/;

/** Why a slug is not usable, in words an organizer can act on; undefined when it is fine. */
export function slugProblem(slug: string): string | undefined {
  if (SLUG_PATTERN.test(slug)) return undefined;
  if (slug.length < 2 || slug.length > 40)
    return `\`${slug}\` is ${slug.length} characters; a campaign handle has 2 to 40.`;
  const bad = [...new Set(slug.replace(/[a-z0-9-]/g, ""))].map((c) => `\`${c}\``).join(" ");
  return `\`${slug}\` has ${bad}; a campaign handle uses only lowercase letters, digits and \`-\`, like \`gotv-2026\`.`;
}

export type CreateCampaignResult = { ok: true; campaign: Campaign } | { ok: false; reason: "taken" };

export async function createCampaign(
  db: Database,
  input: { slug: string; title: string; createdBy: string },
): Promise<CreateCampaignResult> {
  const campaign = await db
    .insertInto("campaigns")
    .values({ slug: input.slug, title: input.title, created_by: input.createdBy })
    .onConflict((oc) => oc.column("slug").doNothing())
    .returningAll()
    .executeTakeFirst();
  return campaign ? { ok: true, campaign } : { ok: false, reason: "taken" };
}

export async function campaignById(db: Database, id: number): Promise<Campaign | undefined> {
  return db.selectFrom("campaigns").selectAll().where("id", "=", id).executeTakeFirst();
}

/** The campaign a contact belongs to. */
export async function campaignOfContact(db: Database, contactId: number): Promise<Campaign | undefined> {
  return db
    .selectFrom("campaigns as k")
    .innerJoin("contacts as c", "c.campaign_id", "k.id")
    .selectAll("k")
    .where("c.id", "=", contactId)
    .executeTakeFirst();
}

/** How long a reply may wait before it can go to another volunteer, and whether it goes by itself. */
export async function setStaleReplies(
  db: Database,
  campaignId: number,
  input: { minutes: number; auto: boolean },
): Promise<void> {
  await db
    .updateTable("campaigns")
    .set({ stale_reply_minutes: input.minutes, auto_release_stale: input.auto })
    .where("id", "=", campaignId)
    .execute();
}

/** Active campaigns that hand stale replies on by themselves. */
export async function campaignsReleasingStale(
  db: Database,
): Promise<{ id: number; title: string; stale_reply_minutes: number }[]> {
  return db
    .selectFrom("campaigns")
    .select(["id", "title", "stale_reply_minutes"])
    .where("auto_release_stale", "=", true)
    .where("state", "=", "active")
    .execute();
}

export async function findCampaign(db: Database, slug: string): Promise<Campaign | undefined> {
  return db.selectFrom("campaigns").selectAll().where("slug", "=", slug).executeTakeFirst();
}

export interface CampaignProgress {
  id: number;
  slug: string;
  title: string;
  state: CampaignState;
  contacts: number;
  sent: number;
}

/** Campaigns with their progress; `states` limits which are shown (volunteers see active ones). */
export async function listCampaigns(db: Database, states?: CampaignState[]): Promise<CampaignProgress[]> {
  let query = db
    .selectFrom("campaigns as c")
    .select([
      "c.id",
      "c.slug",
      "c.title",
      "c.state",
      sql<number>`(SELECT count(*) FROM contacts WHERE campaign_id = c.id)::int`.as("contacts"),
      sql<number>`(SELECT count(*) FROM messages WHERE campaign_id = c.id AND kind = 'opening')::int`.as("sent"),
    ])
    .orderBy(sql`CASE c.state WHEN 'active' THEN 0 WHEN 'paused' THEN 1 WHEN 'draft' THEN 2 ELSE 3 END`)
    .orderBy("c.created_at", "desc");
  if (states) query = query.where("c.state", "in", states);
  return query.execute();
}
