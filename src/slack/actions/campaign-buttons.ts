import type { BlockButtonAction } from "@slack/bolt";
import { isOrganizer } from "../../campaigns/organizers.ts";
import { campaignStats } from "../../campaigns/stats.ts";
import type { Campaign } from "../../db/schema.ts";
import { postToResponseUrl } from "../../http/outbound.ts";
import { CHECKLIST_ACTIONS } from "../blocks/checklist.ts";
import { HOME_ACTIONS } from "../blocks/home.ts";
import { statsBlocks } from "../blocks/stats.ts";
import { campaignOfButton } from "../checklist.ts";
import { applyStateChange } from "../commands/lifecycle.ts";
import { exportFailed, exportPreparing, sendExport } from "../commands/reports.ts";
import type { SlackDeps } from "../deps.ts";
import { publishHome } from "../events/home.ts";
import type { SlackRouter } from "../router.ts";
import { openScriptModal } from "../views/script-modal.ts";
import { uploadModal } from "../views/upload-modal.ts";

/**
 * The organizer's buttons outside a slash command: Launch on the setup checklist, and Upload,
 * Script, Launch, Pause, Stats and Export on the App Home. Each carries a campaign id, and each
 * checks again that the presser is an organizer and that the campaign exists: a forged or stale
 * button changes nothing and says why. Answers go to the presser alone: through the message's
 * response_url (the checklist), or in their DM (the App Home has no response_url).
 */

interface Click {
  body: BlockButtonAction;
  action: { value?: string };
}

async function tell(services: SlackDeps, body: BlockButtonAction, text: string): Promise<void> {
  if (body.response_url) {
    await postToResponseUrl(body.response_url, { response_type: "ephemeral", replace_original: false, text });
    return;
  }
  await services.slack.chat.postMessage({ channel: body.user.id, text });
}

/** The campaign the button names when the presser may act on it; otherwise says why and returns undefined. */
async function checkedCampaign(services: SlackDeps, { body, action }: Click, what: string) {
  if (!(await isOrganizer(services.db, services.settings.ORGANIZER_IDS, body.user.id))) {
    await tell(services, body, `Only organizers can ${what}; nothing was changed.`);
    return undefined;
  }
  const campaign = await campaignOfButton(services, action.value);
  if (!campaign) {
    const text = "That campaign no longer exists (or the button is not one of ours); nothing was changed.";
    await tell(services, body, text);
    return undefined;
  }
  return campaign;
}

const archivedNote = (campaign: Campaign, what: string) =>
  `*${campaign.title}* is archived, so its ${what} can no longer change.`;

export function registerCampaignButtons(app: SlackRouter, services: SlackDeps): void {
  const republish = (userId: string) =>
    publishHome(services, userId).catch((error: unknown) => services.logger.warn("views.publish failed", error));

  app.action<BlockButtonAction>(CHECKLIST_ACTIONS.launch, async ({ ack, body, action }) => {
    await ack();
    const campaign = await checkedCampaign(services, { body, action }, "launch a campaign");
    if (!campaign) return;
    // The checklist updates itself to "Launched" (or stays as it is, and the answer says what is missing).
    const result = await applyStateChange(services, campaign, "launch");
    await tell(services, body, result.text);
  });

  app.action<BlockButtonAction>(HOME_ACTIONS.upload, async ({ ack, body, action }) => {
    await ack();
    const campaign = await checkedCampaign(services, { body, action }, "upload contacts");
    if (!campaign) return;
    if (campaign.state === "archived")
      return tell(services, body, `*${campaign.title}* is archived; it takes no more contacts.`);
    await services.slack.views.open({ trigger_id: body.trigger_id, view: uploadModal(campaign) });
  });

  app.action<BlockButtonAction>(HOME_ACTIONS.script, async ({ ack, body, action }) => {
    await ack();
    const campaign = await checkedCampaign(services, { body, action }, "change a script");
    if (!campaign) return;
    if (campaign.state === "archived") return tell(services, body, archivedNote(campaign, "script"));
    await openScriptModal(services, { triggerId: body.trigger_id, campaign, userId: body.user.id });
  });

  for (const name of ["launch", "pause"] as const) {
    app.action<BlockButtonAction>(HOME_ACTIONS[name], async ({ ack, body, action }) => {
      await ack();
      const campaign = await checkedCampaign(services, { body, action }, `${name} a campaign`);
      if (!campaign) return;
      const result = await applyStateChange(services, campaign, name);
      await tell(services, body, result.text);
      if (result.ok) await republish(body.user.id);
    });
  }

  app.action<BlockButtonAction>(HOME_ACTIONS.stats, async ({ ack, body, action }) => {
    await ack();
    const campaign = await checkedCampaign(services, { body, action }, "see a campaign's stats");
    if (!campaign) return;
    const message = statsBlocks(campaign.title, await campaignStats(services.db, campaign.id), services.now());
    await services.slack.chat.postMessage({ channel: body.user.id, text: message.text, blocks: message.blocks });
  });

  app.action<BlockButtonAction>(HOME_ACTIONS.export, async ({ ack, body, action }) => {
    await ack();
    const campaign = await checkedCampaign(services, { body, action }, "export a campaign");
    if (!campaign) return;
    await tell(services, body, exportPreparing(campaign));
    try {
      await sendExport(services, campaign, body.user.id);
    } catch (error) {
      services.logger.error(`export of ${campaign.slug} failed`, error);
      await tell(services, body, exportFailed(campaign));
    }
  });
}
