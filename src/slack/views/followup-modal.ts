import { randomBytes } from "node:crypto";
import type { View } from "@slack/types";
import { z } from "zod";
import { campaignById } from "../../campaigns/campaigns.ts";
import { parseAudience } from "../../campaigns/followups/audience.ts";
import { countAudience, createRound, nextRoundNumber, resolveAudience } from "../../campaigns/followups/rounds.ts";
import { isOrganizer } from "../../campaigns/organizers.ts";
import { previewOpening } from "../../campaigns/scripts/preview.ts";
import {
  availableFields,
  MAX_TEXT_LENGTH,
  sampleContact,
  sampleTexterName,
  templateProblem,
} from "../../campaigns/scripts/scripts.ts";
import type { Campaign } from "../../db/schema.ts";
import {
  FOLLOWUP_ACTIONS,
  FOLLOWUP_BLOCKS,
  FOLLOWUP_CALLBACK,
  followupModal,
  followupSavedView,
  type FollowupModalMetadata,
} from "../blocks/followup.ts";
import { cutText } from "../blocks/text.ts";
import type { SlackDeps } from "../deps.ts";
import { jsonValue } from "../json-value.ts";
import type { SlackRouter } from "../router.ts";

/** `/campaign followup <slug> <audience>`, checked already: the form for the round's message. */
export async function openFollowupModal(
  services: SlackDeps,
  input: { triggerId: string; campaign: Campaign; userId: string; audience: string; covered: number },
): Promise<void> {
  const texter = await sampleTexterName(services.db, input.campaign.id, input.userId);
  const meta: FollowupModalMetadata = {
    c: input.campaign.id,
    a: input.audience,
    ...(texter ? { t: cutText(texter, 80) } : {}),
  };
  const view = followupModal({
    campaign: input.campaign,
    round: await nextRoundNumber(services.db, input.campaign.id),
    audience: input.audience,
    covered: input.covered,
    meta,
  });
  await services.slack.views.open({ trigger_id: input.triggerId, view });
}

const metadataSchema = jsonValue(
  z.object({ c: z.number().int().positive(), a: z.string().min(1).max(500), t: z.string().max(80).optional() }),
);

type Access =
  | { campaign: Campaign; meta: FollowupModalMetadata; audience: { label: string; covered: number } }
  | { problem: string };

/** The campaign the form is for, if it still exists, this user organizes, and the audience still resolves. */
async function authorize(services: SlackDeps, userId: string, privateMetadata: string): Promise<Access> {
  const meta = metadataSchema.safeParse(privateMetadata);
  const campaign = meta.success ? await campaignById(services.db, meta.data.c) : undefined;
  if (!meta.success || !campaign) return { problem: "This campaign no longer exists; see /campaign list." };
  if (!(await isOrganizer(services.db, services.settings.ORGANIZER_IDS, userId)))
    return { problem: "Only organizers can create a follow-up round." };
  if (campaign.state === "archived") return { problem: `${campaign.title} is archived, so it sends no more texts.` };
  const parsed = parseAudience(meta.data.a);
  if (!parsed.ok) return { problem: parsed.problem };
  const resolved = await resolveAudience(services.db, campaign, parsed.audience);
  if (!resolved.ok) return { problem: resolved.problem };
  return {
    campaign,
    meta: meta.data,
    audience: { label: resolved.label, covered: await countAudience(services.db, campaign.id, resolved.audience) },
  };
}

/** Why this text cannot be a follow-up, in the words shown on the box; undefined when fine. */
function messageProblem(text: string, campaign: Campaign): string | undefined {
  if (!text.trim()) return "Write the follow-up message: it is the text every contact of this round gets.";
  const length = [...text].length;
  if (length > MAX_TEXT_LENGTH)
    return (
      `The follow-up message is ${length.toLocaleString("en-US")} characters; ` +
      `a text can have at most ${MAX_TEXT_LENGTH.toLocaleString("en-US")}.`
    );
  return templateProblem(text, availableFields(campaign));
}

async function formWithPreview(
  services: SlackDeps,
  access: Extract<Access, { campaign: Campaign }>,
  text: string,
): Promise<View> {
  const { campaign, meta } = access;
  const preview = text.trim()
    ? previewOpening({
        opening: text,
        fields: availableFields(campaign),
        campaignTitle: campaign.title,
        sample: await sampleContact(services.db, campaign.id),
        texterName: meta.t,
        // Gaps are not counted for a round: a fallback ({first_name|friend}) covers them.
        counts: { contacts: access.audience.covered, missing: {} },
      })
    : undefined;
  return followupModal({
    campaign,
    round: await nextRoundNumber(services.db, campaign.id),
    audience: access.audience.label,
    covered: access.audience.covered,
    meta,
    preview,
  });
}

const submission = z.object({
  user: z.object({ id: z.string() }),
  view: z.object({
    private_metadata: z.string(),
    state: z.object({
      values: z.object({
        [FOLLOWUP_BLOCKS.message]: z.object({
          [FOLLOWUP_ACTIONS.message]: z.object({ value: z.string().nullish() }).loose(),
        }),
      }),
    }),
  }),
});

const viewAction = z.object({
  user: z.object({ id: z.string() }),
  view: z.object({ id: z.string(), hash: z.string().optional(), private_metadata: z.string() }),
  actions: z.array(z.object({ value: z.string().nullish(), action_ts: z.string().optional() }).loose()).min(1),
});

type SubmissionAnswer =
  { response_action: "errors"; errors: Record<string, string> } | { response_action: "update"; view: View };

const boxError = (text: string): SubmissionAnswer => ({
  response_action: "errors",
  errors: { [FOLLOWUP_BLOCKS.message]: text },
});

async function answerSubmission(services: SlackDeps, body: unknown): Promise<SubmissionAnswer> {
  const parsed = submission.safeParse(body);
  if (!parsed.success)
    return boxError("This form did not come through whole; close it and run /campaign followup again.");
  const { user, view } = parsed.data;
  const access = await authorize(services, user.id, view.private_metadata);
  if ("problem" in access) return boxError(`${access.problem} Nothing was created.`);
  const { campaign } = access;
  const text = (view.state.values[FOLLOWUP_BLOCKS.message][FOLLOWUP_ACTIONS.message].value ?? "").trim();
  const problem = messageProblem(text, campaign);
  if (problem) return boxError(problem);
  const parsedAudience = parseAudience(access.meta.a);
  const resolved = parsedAudience.ok
    ? await resolveAudience(services.db, campaign, parsedAudience.audience)
    : undefined;
  if (!resolved?.ok) return boxError("The audience no longer matches this campaign. Nothing was created.");
  const created = await createRound(services.db, {
    campaignId: campaign.id,
    audience: resolved.audience,
    label: resolved.label,
    message: text,
    createdBy: user.id,
  });
  if (!created.ok) {
    if (created.reason === "nobody")
      return boxError(`\`${resolved.label}\` matches no contact to follow up any more. Nothing was created.`);
    return boxError("This campaign was archived or removed meanwhile; nothing was created.");
  }
  return {
    response_action: "update",
    view: followupSavedView({ campaign, round: created.round, audience: resolved.label, covered: created.covered }),
  };
}

/** Save on the follow-up form, and the preview that follows the typing. */
export function registerFollowupViews(app: SlackRouter, services: SlackDeps): void {
  /** Per open form, the newest keystroke drawn: a late handler never puts back older text. */
  const newest = new Map<string, number>();

  app.view(FOLLOWUP_CALLBACK, async ({ ack, body }) => {
    const answer = await answerSubmission(services, body).catch((error: unknown): SubmissionAnswer => {
      const ref = randomBytes(3).toString("hex");
      services.logger.error(`creating a follow-up round failed (ref ${ref})`, error);
      return boxError(`Something failed on our side (ref ${ref}). Nothing was created; try again in a moment.`);
    });
    await ack(answer);
  });

  app.action(
    { type: "block_actions", block_id: FOLLOWUP_BLOCKS.message, action_id: FOLLOWUP_ACTIONS.message },
    async ({ ack, body }) => {
      await ack();
      const parsed = viewAction.safeParse(body);
      if (!parsed.success) return;
      const { user, view, actions } = parsed.data;
      const typedAt = Number(actions[0]!.action_ts ?? 0);
      if (typedAt < (newest.get(view.id) ?? 0)) return;
      newest.set(view.id, typedAt);
      if (newest.size > 1000) newest.clear();
      const access = await authorize(services, user.id, view.private_metadata);
      // Nothing to say mid-typing; Save gives the reason.
      if ("problem" in access) return;
      const form = await formWithPreview(services, access, actions[0]!.value ?? "");
      if (typedAt < (newest.get(view.id) ?? 0)) return;
      await services.slack.views
        .update({ view_id: view.id, ...(view.hash ? { hash: view.hash } : {}), view: form })
        .catch((error: unknown) => {
          if ((error as { data?: { error?: string } }).data?.error !== "hash_conflict")
            services.logger.warn("follow-up preview failed", error);
        });
    },
  );
}
