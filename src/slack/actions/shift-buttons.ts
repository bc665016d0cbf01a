import type { BlockButtonAction, BlockConversationsSelectAction } from "@slack/bolt";
import { campaignById } from "../../campaigns/campaigns.ts";
import { isOrganizer } from "../../campaigns/organizers.ts";
import type { Campaign } from "../../db/schema.ts";
import { postToResponseUrl } from "../../http/outbound.ts";
import { joinInvitation, SHIFT_ACTIONS } from "../blocks/shift-buttons.ts";
import { joinAndAnswer, notActiveReason, startShiftInDm } from "../commands/shifts.ts";
import type { Reply } from "../commands/types.ts";
import type { SlackDeps } from "../deps.ts";
import { busyReason } from "../failures.ts";
import type { SlackRouter } from "../router.ts";

type ButtonBody = BlockButtonAction | BlockConversationsSelectAction;

/**
 * Join and Start shift buttons (in `/campaign join`'s list, its answer, a channel's Join post),
 * and the organizer's "post a Join button in a channel" after a launch. A button only names a
 * campaign: who may use it is checked again here, so a forged id shows and changes nothing.
 */
export function registerShiftButtons(app: SlackRouter, deps: SlackDeps): void {
  const { db, logger } = deps;
  /**
   * The answer goes only to the presser: it replaces an ephemeral message (a list, an answer),
   * and never a message everyone in a channel sees (the Join post stays for the next volunteer).
   */
  const answer = async (body: ButtonBody, r: Reply) => {
    const ephemeral = (body.container as { is_ephemeral?: boolean } | undefined)?.is_ephemeral === true;
    await postToResponseUrl(body.response_url, {
      response_type: "ephemeral",
      replace_original: ephemeral,
      text: r.text,
      ...(r.blocks ? { blocks: r.blocks } : {}),
    }).catch((error: unknown) => logger.warn("could not answer a shift button through response_url", error));
  };
  const unknown: Reply = { text: "That button is not one of ours; nothing happened." };
  /** The active campaign a Join or Start shift button names; anything else is answered here. */
  const activeCampaign = async (body: ButtonBody, value: string | undefined): Promise<Campaign | undefined> => {
    const campaign = await campaignById(db, Number(value) || 0);
    // A draft is not shown to volunteers: a forged id hears nothing about it.
    if (!campaign || campaign.state === "draft") return void (await answer(body, unknown));
    const why = notActiveReason(campaign);
    if (why) return void (await answer(body, { text: why }));
    return campaign;
  };

  app.action<BlockButtonAction>(SHIFT_ACTIONS.join, async ({ ack, body, action }) => {
    await ack();
    const campaign = await activeCampaign(body, action.value);
    if (campaign) await answer(body, await joinAndAnswer(deps, campaign, body.user.id));
  });

  app.action<BlockButtonAction>(SHIFT_ACTIONS.startShift, async ({ ack, body, action }) => {
    await ack();
    const campaign = await activeCampaign(body, action.value);
    if (!campaign) return;
    try {
      await answer(body, { text: await startShiftInDm(deps, campaign, body.user.id) });
    } catch (error) {
      const busy = busyReason(error);
      if (!busy) throw error;
      await answer(body, { text: `Your shift did not start: ${busy}` });
    }
  });

  app.action<BlockConversationsSelectAction>(SHIFT_ACTIONS.share, async ({ ack, body, action }) => {
    await ack();
    if (!(await isOrganizer(db, deps.settings.ORGANIZER_IDS, body.user.id))) return answer(body, unknown);
    const campaign = await campaignById(db, Number(action.block_id.split(":")[1]) || 0);
    if (!campaign) return answer(body, unknown);
    if (campaign.state !== "active")
      return answer(body, { text: `*${campaign.title}* is ${campaign.state}: launch it before inviting volunteers.` });
    const channel = action.selected_conversation;
    const invitation = joinInvitation(campaign);
    try {
      await deps.slack.chat.postMessage({ channel, text: invitation.text, blocks: invitation.blocks });
    } catch (error) {
      const code = (error as { data?: { error?: string } }).data?.error;
      if (code === "not_in_channel" || code === "channel_not_found")
        return answer(body, {
          text:
            `Textbank is not in <#${channel}>: invite it there first (\`/invite @Textbank\`), ` +
            `then pick the channel again.`,
        });
      if (code === "is_archived") return answer(body, { text: `<#${channel}> is archived; pick another channel.` });
      const busy = busyReason(error);
      if (busy) return answer(body, { text: `Nothing was posted: ${busy}` });
      throw error;
    }
    await answer(body, { text: `Posted a *Join* button for *${campaign.title}* in <#${channel}>.` });
  });
}
