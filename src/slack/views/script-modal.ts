import type { App } from "@slack/bolt";
import { z } from "zod";
import { isOrganizer } from "../../campaigns/organizers.ts";
import { availableFields, previewScript, saveScript, validateScript } from "../../campaigns/scripts/scripts.ts";
import type { Services } from "../../services.ts";
import { SCRIPT_CALLBACK, scriptModal, scriptSavedView } from "../blocks/script.ts";
import { campaignFromArgs, type CommandSpec } from "../commands/types.ts";
import { slackDisplayName } from "../volunteers.ts";

export const script: CommandSpec = {
  name: "script",
  usage: "script <slug>",
  summary: "opening message, canned replies and outcome tags (a modal)",
  audience: "organizer",
  async run(ctx) {
    const { campaign, problem } = await campaignFromArgs(ctx, script);
    if (!campaign) return problem;
    const preview = campaign.opening_message ? await previewScript(ctx.services.db, campaign, campaign.opening_message, "Sam") : undefined;
    await ctx.services.slack.views.open({ trigger_id: ctx.triggerId, view: scriptModal(campaign, preview, availableFields(campaign)) });
    return undefined;
  },
};

const value = z.object({ value: z.string().nullish() }).loose();
const submission = z.object({
  user: z.object({ id: z.string() }),
  view: z.object({
    private_metadata: z.string(),
    state: z.object({ values: z.object({ opening: z.object({ value }), canned: z.object({ value }).optional(), tags: z.object({ value }).optional() }) }),
  }),
});

/**
 * Saving the script: errors go back into the modal on the field at fault; a saved script
 * turns the modal into a confirmation with the preview, so warnings (segments, UCS-2
 * characters, no opt-out language) are seen without blocking the save.
 */
export function registerScriptViews(app: App, services: Services): void {
  app.view(SCRIPT_CALLBACK, async ({ ack, body }) => {
    const parsed = submission.safeParse(body);
    if (!parsed.success) {
      await ack({ response_action: "errors", errors: { opening: "That form did not come through whole; close it and run /campaign script again." } });
      return;
    }
    const campaignId = Number((() => {
      try {
        return (JSON.parse(parsed.data.view.private_metadata) as { campaignId?: unknown }).campaignId;
      } catch {
        return undefined;
      }
    })());
    const campaign = Number.isInteger(campaignId) ? await services.db.selectFrom("campaigns").selectAll().where("id", "=", campaignId).executeTakeFirst() : undefined;
    if (!campaign) {
      await ack({ response_action: "errors", errors: { opening: "This campaign no longer exists; nothing was saved." } });
      return;
    }
    if (!(await isOrganizer(services.db, services.settings.ORGANIZER_IDS, parsed.data.user.id))) {
      await ack({ response_action: "errors", errors: { opening: "Only organizers can change a script; nothing was saved." } });
      return;
    }
    const values = parsed.data.view.state.values;
    const input = { opening: values.opening.value.value ?? "", canned: values.canned?.value.value ?? "", tags: values.tags?.value.value ?? "" };
    const result = validateScript(input, availableFields(campaign));
    if (!result.ok) {
      await ack({ response_action: "errors", errors: result.errors });
      return;
    }
    await saveScript(services.db, campaign.id, result.script);
    const texter = await slackDisplayName(services, parsed.data.user.id);
    const preview = await previewScript(services.db, { ...campaign, opening_message: result.script.opening }, result.script.opening, texter);
    await ack({ response_action: "update", view: scriptSavedView(campaign, preview, { canned: result.script.cannedReplies.length, tags: result.script.tags.length }) });
  });
}
