import { cutText } from "../blocks/text.ts";
import { campaignById } from "../../campaigns/campaigns.ts";
/**
 * The script modal's data: previews with the counts of contacts lacking a value, the modal's
 * metadata, and the check that a request may still change the campaign's script.
 */
import { z } from "zod";
import { jsonValue } from "../json-value.ts";
import { isOrganizer } from "../../campaigns/organizers.ts";
import { fieldsToCount, previewOpening, type ScriptPreview } from "../../campaigns/scripts/preview.ts";
import {
  availableFields,
  countContactsMissing,
  sampleContact,
  sampleTexterName,
  type MissingCounts,
} from "../../campaigns/scripts/scripts.ts";
import type { Campaign } from "../../db/schema.ts";
import type { SlackDeps } from "../deps.ts";
import { slackDisplayName } from "../volunteers.ts";
import { scriptModal, type ScriptModalMetadata } from "../blocks/script.ts";

/**
 * How long a modal waits for the count of contacts lacking a value before showing itself
 * without it: trigger_id lives 3 s and a view_submission must be answered within 3 s, while
 * counting a million contacts can take a while on a busy database. Tests shorten it.
 */
export const previewTiming = { openBudgetMs: 1000, submitBudgetMs: 2000 };

/** The promise's value if it settles within `ms`, else undefined (the promise keeps running). */
export async function withinBudget<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  if (!Number.isFinite(ms)) return promise;
  if (ms <= 0) return undefined;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

const metadataSchema = jsonValue(
  z.object({
    c: z.number().int().positive(),
    t: z.string().max(80).optional(),
    n: z.number().int().nonnegative().optional(),
    m: z.record(z.string(), z.number().int().nonnegative()).optional(),
  }),
);

export type ModalAccess = { campaign: Campaign; meta: ScriptModalMetadata } | { problem: string };

/** The campaign a modal belongs to, if it still exists and this user may change its script. */
export async function authorize(services: SlackDeps, userId: string, privateMetadata: string): Promise<ModalAccess> {
  const meta = metadataSchema.safeParse(privateMetadata);
  const campaign = meta.success ? await campaignById(services.db, meta.data.c) : undefined;
  if (!meta.success || !campaign) return { problem: "This campaign no longer exists; see /campaign list." };
  if (!(await isOrganizer(services.db, services.settings.ORGANIZER_IDS, userId)))
    return { problem: "Only organizers can change a script." };
  if (campaign.state === "archived")
    return { problem: `${campaign.title} is archived, so its script can no longer change.` };
  return { campaign, meta: meta.data };
}

/** Counts only the fields the metadata has not counted yet, and returns the merged cache. */
export async function countsFor(
  services: SlackDeps,
  campaignId: number,
  opening: string,
  meta: ScriptModalMetadata,
): Promise<ScriptModalMetadata> {
  const known = meta.m ?? {};
  const todo = fieldsToCount(opening).filter((key) => !(key in known));
  if (meta.n !== undefined && todo.length === 0) return meta;
  const fresh = await countContactsMissing(services.db, campaignId, todo);
  return { ...meta, n: fresh.contacts, m: { ...known, ...fresh.missing } };
}

const asCounts = (meta: ScriptModalMetadata): MissingCounts | undefined =>
  meta.n === undefined ? undefined : { contacts: meta.n, missing: meta.m ?? {} };

/** The preview of `opening` for this campaign, with the counts `meta` carries, if any. */
export async function previewFor(
  services: SlackDeps,
  campaign: Campaign,
  opening: string,
  meta: ScriptModalMetadata,
): Promise<ScriptPreview> {
  const sample = await sampleContact(services.db, campaign.id);
  return previewOpening({
    opening,
    fields: availableFields(campaign),
    campaignTitle: campaign.title,
    sample,
    texterName: meta.t,
    counts: asCounts(meta),
  });
}

/** How long the form waits for Slack to say the organizer's first name before showing an example name. */
const NAME_BUDGET_MS = 300;

/**
 * {texter_name} in the organizer's preview: the name they text under if they volunteer on this
 * campaign, else their own first name from Slack (as their texts would use), else an example.
 */
async function organizerTexterName(services: SlackDeps, campaignId: number, userId: string) {
  const own = await sampleTexterName(services.db, campaignId, userId);
  if (own) return own;
  const fromSlack = slackDisplayName(services, userId).then((name) => (name === "a volunteer" ? undefined : name));
  const late = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), NAME_BUDGET_MS).unref());
  return Promise.race([fromSlack.catch(() => undefined), late]);
}

/**
 * The edit form for the saved script with its preview. When the counts miss the budget the
 * form comes without them, and `later` resolves to the complete form.
 */
export async function editView(services: SlackDeps, campaign: Campaign, userId: string, budgetMs: number) {
  const texter = await organizerTexterName(services, campaign.id, userId);
  const meta: ScriptModalMetadata = { c: campaign.id, ...(texter ? { t: cutText(texter, 80) } : {}) };
  const opening = campaign.opening_message ?? "";
  if (!opening) return { view: scriptModal(campaign, undefined, meta), later: undefined };
  const counting = countsFor(services, campaign.id, opening, meta);
  const counted = await withinBudget(counting, budgetMs);
  const view = scriptModal(campaign, await previewFor(services, campaign, opening, counted ?? meta), counted ?? meta);
  const later = counted
    ? undefined
    : counting.then(async (full) => scriptModal(campaign, await previewFor(services, campaign, opening, full), full));
  return { view, later };
}
