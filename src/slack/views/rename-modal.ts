import type { BlockButtonAction } from "@slack/bolt";
import type { ModalView } from "@slack/types";
import { z } from "zod";
import { campaignById } from "../../campaigns/campaigns.ts";
import { renameVolunteer, volunteerName } from "../../campaigns/volunteers.ts";
import { escapeText } from "../blocks/text.ts";
import type { SlackDeps } from "../deps.ts";
import type { SlackRouter } from "../router.ts";
import { forgetName } from "../volunteers.ts";

/**
 * "Change name": the name a volunteer's texts use in one campaign ({texter_name}), offered when
 * they join. It starts as their first name in Slack; a volunteer known by another name (or who
 * would rather not give theirs) changes it here.
 */
export const RENAME = { button: "volunteer_rename", view: "volunteer_rename", block: "name", action: "value" } as const;
export const MAX_TEXTER_NAME = 40;

/** Why a name can't go in texts, or nothing when it can. */
export function texterNameProblem(name: string): string | undefined {
  if (!name) return "Give the name your texts should use.";
  if ([...name].length > MAX_TEXTER_NAME) return `Keep it to ${MAX_TEXTER_NAME} characters.`;
  if (/[\r\n]/.test(name)) return "Keep the name on one line.";
  if (/https?:|www\.|[{}<>]/i.test(name)) return "A name can't hold links, braces or angle brackets.";
  return undefined;
}

function renameModal(campaign: { id: number; title: string }, current: string): ModalView {
  return {
    type: "modal",
    callback_id: RENAME.view,
    private_metadata: String(campaign.id),
    title: { type: "plain_text", text: "Your name in texts" },
    submit: { type: "plain_text", text: "Save" },
    close: { type: "plain_text", text: "Cancel" },
    blocks: [
      {
        type: "input",
        block_id: RENAME.block,
        label: { type: "plain_text", text: "Name" },
        hint: {
          type: "plain_text",
          text: `Used for {texter_name} in your texts for ${campaign.title}`.slice(0, 150),
        },
        element: {
          type: "plain_text_input",
          action_id: RENAME.action,
          initial_value: current,
          max_length: MAX_TEXTER_NAME,
        },
      },
    ],
  };
}

const submission = z.object({
  user: z.object({ id: z.string() }),
  view: z.object({
    private_metadata: z.string(),
    state: z.object({
      values: z.object({ [RENAME.block]: z.object({ [RENAME.action]: z.object({ value: z.string().nullish() }) }) }),
    }),
  }),
});

export function registerRenameViews(app: SlackRouter, services: SlackDeps): void {
  app.action<BlockButtonAction>(RENAME.button, async ({ ack, body, action }) => {
    await ack();
    const campaign = await campaignById(services.db, Number(action.value) || 0);
    const current = campaign ? await volunteerName(services.db, campaign.id, body.user.id) : undefined;
    // Only a volunteer of the campaign has a name in it; anything else is not our button.
    if (!campaign || current === undefined) return;
    await services.slack.views.open({ trigger_id: body.trigger_id, view: renameModal(campaign, current) });
  });

  app.view(RENAME.view, async ({ ack, body }) => {
    const refuse = (text: string) => ack({ response_action: "errors", errors: { [RENAME.block]: text } });
    const parsed = submission.safeParse(body);
    if (!parsed.success) return void (await refuse("This form did not come through whole; close it and try again."));
    const name = (parsed.data.view.state.values[RENAME.block]![RENAME.action]!.value ?? "").trim();
    const problem = texterNameProblem(name);
    if (problem) return void (await refuse(problem));
    const campaignId = Number(parsed.data.view.private_metadata) || 0;
    const userId = parsed.data.user.id;
    if (!(await renameVolunteer(services.db, { campaignId, userId, displayName: name })))
      return void (await refuse("You are not on this campaign any more; nothing was changed."));
    forgetName(services, campaignId, userId);
    await ack();
    // Said where the volunteer will look next: their DM with the app.
    await services.slack.chat
      .postMessage({
        channel: userId,
        text: `Your texts will now say your name is ${name}.`,
        blocks: [
          {
            type: "section",
            text: { type: "mrkdwn", text: `Your texts will now say your name is *${escapeText(name)}*.` },
          },
        ],
      })
      .catch((error: unknown) => services.logger.warn("could not confirm a rename", error));
  });
}
