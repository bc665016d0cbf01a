import { randomBytes } from "node:crypto";
import type { View } from "@slack/types";
import { z } from "zod";
import { availableFields, saveScript, validateScript } from "../../campaigns/scripts/scripts.ts";
import { activeQuestions } from "../../campaigns/surveys/survey-input.ts";
import type { Campaign } from "../../db/schema.ts";
import type { SlackDeps } from "../deps.ts";
import { SCRIPT_ACTIONS, SCRIPT_BLOCKS, SCRIPT_CALLBACK, scriptNoticeView, scriptSavedView } from "../blocks/script.ts";
import { LivePreviews } from "./live-preview.ts";
import { authorize, countsFor, editView, previewFor, previewTiming, withinBudget } from "./script-preview.ts";
import type { SlackRouter } from "../router.ts";
import { refreshChecklist } from "../checklist.ts";

/** `/campaign script <slug>`: the form opens at once; a slow count follows by views.update. */
export async function openScriptModal(
  services: SlackDeps,
  input: { triggerId: string; campaign: Campaign; userId: string },
): Promise<void> {
  const { view, later } = await editView(services, input.campaign, input.userId, previewTiming.openBudgetMs);
  const opened = await services.slack.views.open({ trigger_id: input.triggerId, view });
  if (!later) return;
  const { id, hash } = opened.view ?? {};
  // With the hash, Slack refuses this update if the live preview has already redrawn the view.
  void later
    .then((next) =>
      id ? services.slack.views.update({ view_id: id, ...(hash ? { hash } : {}), view: next }) : undefined,
    )
    .catch((error: unknown) => services.logger.warn("script preview follow-up failed", error));
}

const inputValue = z.object({ value: z.string().nullish() }).loose();
const submission = z.object({
  user: z.object({ id: z.string() }),
  view: z.object({
    private_metadata: z.string(),
    state: z.object({
      values: z.object({
        [SCRIPT_BLOCKS.opening]: z.object({ [SCRIPT_ACTIONS.opening]: inputValue }),
        [SCRIPT_BLOCKS.canned]: z.object({ [SCRIPT_ACTIONS.canned]: inputValue }).optional(),
        [SCRIPT_BLOCKS.tags]: z.object({ [SCRIPT_ACTIONS.tags]: inputValue }).optional(),
        [SCRIPT_BLOCKS.survey]: z.object({ [SCRIPT_ACTIONS.survey]: inputValue }).optional(),
        [SCRIPT_BLOCKS.optOutReply]: z.object({ [SCRIPT_ACTIONS.optOutReply]: inputValue }).optional(),
        [SCRIPT_BLOCKS.helpReply]: z.object({ [SCRIPT_ACTIONS.helpReply]: inputValue }).optional(),
      }),
    }),
  }),
});

/** A block_actions payload from inside one of our modals. */
const viewAction = z.object({
  user: z.object({ id: z.string() }),
  view: z.object({ id: z.string(), hash: z.string().optional(), private_metadata: z.string() }),
  actions: z.array(z.object({ value: z.string().nullish(), action_ts: z.string().optional() }).loose()).min(1),
});

type SubmissionAnswer =
  { response_action: "errors"; errors: Record<string, string> } | { response_action: "update"; view: View };

/** Save pressed: the answer is the errors to show on the boxes, or the saved view. */
async function answerSubmission(services: SlackDeps, body: unknown): Promise<SubmissionAnswer> {
  const parsed = submission.safeParse(body);
  if (!parsed.success) {
    return {
      response_action: "errors",
      errors: {
        [SCRIPT_BLOCKS.opening]: "This form did not come through whole; close it and run /campaign script again.",
      },
    };
  }
  const { user, view } = parsed.data;
  const access = await authorize(services, user.id, view.private_metadata);
  if ("problem" in access) {
    return { response_action: "errors", errors: { [SCRIPT_BLOCKS.opening]: `${access.problem} Nothing was saved.` } };
  }
  const { campaign, meta } = access;
  const values = view.state.values;
  const input = {
    opening: values.opening[SCRIPT_ACTIONS.opening].value ?? "",
    canned: values.canned?.[SCRIPT_ACTIONS.canned].value ?? "",
    tags: values.tags?.[SCRIPT_ACTIONS.tags].value ?? "",
    // A form opened before the survey box existed has no such block: its questions stay as saved.
    survey: values.survey ? (values.survey[SCRIPT_ACTIONS.survey].value ?? "") : undefined,
    // Likewise the automatic replies: a form without their boxes keeps what is saved.
    optOutReply: values.optOutReply ? (values.optOutReply[SCRIPT_ACTIONS.optOutReply].value ?? "") : undefined,
    helpReply: values.helpReply ? (values.helpReply[SCRIPT_ACTIONS.helpReply].value ?? "") : undefined,
  };
  const result = validateScript(input, availableFields(campaign), campaign.survey_questions ?? []);
  if (!result.ok) {
    return { response_action: "errors", errors: result.errors };
  }
  if (!(await saveScript(services.db, campaign.id, result.script))) {
    return {
      response_action: "errors",
      errors: { [SCRIPT_BLOCKS.opening]: "This campaign was archived or removed meanwhile; nothing was saved." },
    };
  }
  await refreshChecklist(services, campaign.id);
  const { opening, cannedReplies, tags, survey } = result.script;
  // Past the budget the saved view says it is still counting: the answer cannot wait longer.
  const counted = await withinBudget(countsFor(services, campaign.id, opening, meta), previewTiming.submitBudgetMs);
  const preview = await previewFor(services, campaign, opening, counted ?? meta);
  return {
    response_action: "update",
    view: scriptSavedView(campaign, preview, {
      canned: cannedReplies.length,
      tags: tags.length,
      questions: survey?.length ?? activeQuestions(campaign.survey_questions).length,
    }),
  };
}

/**
 * The script modal: Save (errors on the box at fault, or the saved preview in place of the
 * form), the live preview while the opening is typed, and Edit again on the saved view.
 */
export function registerScriptViews(app: SlackRouter, services: SlackDeps): void {
  const live = new LivePreviews(services);

  app.view(SCRIPT_CALLBACK, async ({ ack, body }) => {
    const answer = await answerSubmission(services, body).catch((error: unknown): SubmissionAnswer => {
      // Never a stack trace and never a modal that just fails: say so, with a ref the log also has.
      const ref = randomBytes(3).toString("hex");
      services.logger.error(`saving a script failed (ref ${ref})`, error);
      return {
        response_action: "errors",
        errors: {
          [SCRIPT_BLOCKS.opening]:
            `Something failed on our side (ref ${ref}). ` +
            `Try again in a moment; /campaign script shows what is saved.`,
        },
      };
    });
    await ack(answer);
  });

  app.action(
    { type: "block_actions", block_id: SCRIPT_BLOCKS.opening, action_id: SCRIPT_ACTIONS.opening },
    async ({ ack, body }) => {
      await ack();
      const parsed = viewAction.safeParse(body);
      if (!parsed.success) return;
      const { user, view, actions } = parsed.data;
      const access = await authorize(services, user.id, view.private_metadata);
      // Nothing to say mid-typing; Save gives the reason.
      if ("problem" in access) return;
      const action = actions[0]!;
      void live.request(view.id, view.hash, action.value ?? "", Number(action.action_ts ?? 0), access);
    },
  );

  app.action({ type: "block_actions", action_id: SCRIPT_ACTIONS.editAgain }, async ({ ack, body }) => {
    await ack();
    const parsed = viewAction.safeParse(body);
    if (!parsed.success) return;
    const { user, view } = parsed.data;
    const access = await authorize(services, user.id, view.private_metadata);
    if ("problem" in access) {
      await services.slack.views.update({ view_id: view.id, view: scriptNoticeView(access.problem) });
      return;
    }
    // views.update has no trigger deadline, so the counts are simply awaited.
    const { view: form } = await editView(services, access.campaign, user.id, Number.POSITIVE_INFINITY);
    await services.slack.views.update({ view_id: view.id, ...(view.hash ? { hash: view.hash } : {}), view: form });
  });
}
