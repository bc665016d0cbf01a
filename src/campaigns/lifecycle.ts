import { sql } from "kysely";
import type { Database } from "../db/database.ts";
import type { Campaign, CampaignState } from "../db/schema.ts";
import { availableFields, unknownFieldsIn } from "./scripts/scripts.ts";
import { parseTemplate } from "./scripts/template.ts";

/** Why a campaign cannot launch yet, each in words the organizer can act on. */
export async function launchProblems(db: Database, campaign: Campaign): Promise<string[]> {
  const problems: string[] = [];
  const contacts = await db
    .selectFrom("contacts")
    .select(sql<number>`1`.as("one"))
    .where("campaign_id", "=", campaign.id)
    .where("status", "=", "pool")
    .limit(1)
    .executeTakeFirst();
  if (!contacts) problems.push(`it has no contacts to text: \`/campaign upload ${campaign.slug}\``);
  const opening = campaign.opening_message?.trim();
  if (!opening) problems.push(`it has no opening message: \`/campaign script ${campaign.slug}\``);
  else {
    const parsed = parseTemplate(opening);
    if (!parsed.ok)
      problems.push(`its opening message does not parse (${parsed.error}): \`/campaign script ${campaign.slug}\``);
    else {
      // The columns can change after the script was saved (a new upload), so check again here.
      const unknown = unknownFieldsIn(parsed.template, availableFields(campaign));
      if (unknown.length) {
        problems.push(
          `its opening message names ${unknown.map((u) => `\`{${u.raw}}\``).join(", ")}, ` +
            `which no uploaded column provides: upload a file with that column, ` +
            `or change \`/campaign script ${campaign.slug}\``,
        );
      }
    }
  }
  return problems;
}

const TRANSITIONS: Record<"launch" | "pause" | "archive", { from: CampaignState[]; to: CampaignState }> = {
  launch: { from: ["draft", "paused"], to: "active" },
  pause: { from: ["active"], to: "paused" },
  archive: { from: ["draft", "active", "paused"], to: "archived" },
};

/** Moves a campaign's state if the move is allowed from where it is; held contacts return on pause/archive. */
export async function changeState(
  db: Database,
  campaign: Campaign,
  action: keyof typeof TRANSITIONS,
): Promise<{ ok: true } | { ok: false; state: CampaignState }> {
  const { from, to } = TRANSITIONS[action];
  return db.transaction().execute(async (tx) => {
    const updated = await tx
      .updateTable("campaigns")
      .set({ state: to, updated_at: sql`now()` })
      .where("id", "=", campaign.id)
      .where("state", "in", from)
      .returning("state")
      .executeTakeFirst();
    if (!updated) {
      const now = await tx
        .selectFrom("campaigns")
        .select("state")
        .where("id", "=", campaign.id)
        .executeTakeFirstOrThrow();
      return { ok: false, state: now.state } as const;
    }
    if (to !== "active") {
      await tx
        .updateTable("contacts")
        .set({ status: "pool", held_by: null, held_at: null })
        .where("campaign_id", "=", campaign.id)
        .where("status", "=", "held")
        .execute();
    }
    return { ok: true } as const;
  });
}

export async function setHours(
  db: Database,
  campaignId: number,
  window: { start: number; end: number },
): Promise<void> {
  await db
    .updateTable("campaigns")
    .set({ hours_start: window.start, hours_end: window.end, updated_at: sql`now()` })
    .where("id", "=", campaignId)
    .execute();
}
