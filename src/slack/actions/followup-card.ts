import type { BlockButtonAction } from "@slack/bolt";
import { z } from "zod";
import {
  campaignOfFollowup,
  pressFollowupSend,
  skipFollowup,
  type FollowupRefusal,
} from "../../campaigns/followups/send-followup.ts";
import { mayShowCampaign, sentToday, touchVolunteer, volunteerName } from "../../campaigns/volunteers.ts";
import { campaignById } from "../../campaigns/campaigns.ts";
import type { Campaign } from "../../db/schema.ts";
import { postToResponseUrl } from "../../http/outbound.ts";
import { shiftEndedCard } from "../blocks/card.ts";
import { FOLLOWUP_ACTIONS } from "../blocks/followup.ts";
import { maskPhone } from "../blocks/text.ts";
import { nextCardMessage } from "../cards.ts";
import type { SlackDeps } from "../deps.ts";
import { postFollowupInThread } from "../followup-cards.ts";
import { jsonValue } from "../json-value.ts";
import type { SlackRouter } from "../router.ts";
import { progressAfterPress, sentLine, shortName, skippedLine, withNotice } from "../progress.ts";

/** A follow-up card's button value: the follow-up (k) and the hold (t, held_at in ms) it was drawn for. */
const followupValue = jsonValue(z.object({ k: z.number().int().positive(), t: z.number().int().nonnegative() }));

function refusalNotice(reason: FollowupRefusal, phone: string | undefined): string | undefined {
  const who = phone ? maskPhone(phone) : "That contact";
  switch (reason) {
    case "already_sent":
      return undefined;
    case "not_held":
      return (
        ":information_source: That follow-up card was out of date (it went back or to someone else); " +
        "nothing was sent."
      );
    case "campaign_not_active":
      return ":double_vertical_bar: This campaign is not active now; nothing was sent.";
    case "opted_out":
      return `:no_entry: ${who} opted out meanwhile; nothing was sent.`;
    case "outside_hours":
      return `:clock3: ${who}'s texting hours just ended; nothing was sent and the follow-up waits for their window.`;
    case "empty_message":
      return ":warning: The follow-up renders empty for this contact; press *Skip* and tell an organizer.";
  }
}

/**
 * Send and Skip on a follow-up card (End shift is the opening card's own button). Send stores the
 * follow-up with its one statement (send-followup.ts), hands it to the sender, adds it to the
 * conversation's thread and shows the next card (nextCardMessage: follow-ups first).
 */
export function registerFollowupCardActions(app: SlackRouter, deps: SlackDeps): void {
  const { db, logger } = deps;
  const replaceCard = async (body: BlockButtonAction, card: { text: string; blocks: unknown[] }) => {
    await postToResponseUrl(body.response_url, { replace_original: true, text: card.text, blocks: card.blocks }).catch(
      (error: unknown) => logger.warn("could not replace the follow-up card through response_url", error),
    );
  };
  const notOurs = { text: "That button is not one of ours; nothing was sent.", blocks: [] };
  const afterRefusal = async (body: BlockButtonAction, campaign: Campaign | undefined, notice?: string) => {
    const userId = body.user.id;
    if (!campaign || !(await mayShowCampaign(db, deps.settings.ORGANIZER_IDS, campaign, userId)))
      return replaceCard(body, { text: "That contact no longer exists; nothing was sent.", blocks: [] });
    if (campaign.state !== "active")
      return replaceCard(
        body,
        shiftEndedCard({
          campaign,
          sent: await sentToday(db, campaign.id, userId, deps.now()),
          notice: notice ?? `This campaign is ${campaign.state}.`,
        }),
      );
    return replaceCard(body, await nextCardMessage(deps, campaign, userId, notice));
  };

  app.action<BlockButtonAction>(FOLLOWUP_ACTIONS.send, async ({ ack, body, action }) => {
    await ack();
    const value = followupValue.safeParse(action.value);
    if (!value.success) return replaceCard(body, notOurs);
    const userId = body.user.id;
    const campaign = await campaignOfFollowup(db, value.data.k);
    const texterName = (campaign && (await volunteerName(db, campaign.id, userId))) ?? "a volunteer";
    const result = await pressFollowupSend(db, {
      followupId: value.data.k,
      userId,
      heldAtMs: value.data.t,
      texterName,
      fromPhone: deps.texting.fromPhone,
      now: deps.now(),
    });
    if (!result.ok) {
      const fresh = result.campaign ?? (campaign && (await campaignById(db, campaign.id)));
      return afterRefusal(body, fresh, refusalNotice(result.reason, result.card?.contact.phone));
    }
    // Twilio is called off the request path: the next card never waits on it.
    void deps.deliveries.deliver(result.text.id, result.text);
    await postFollowupInThread(deps, {
      conversationId: result.conversationId,
      messageId: result.text.id,
      round: result.card.round.round,
      userId,
      body: result.body,
    }).catch((error: unknown) => logger.warn("could not add the follow-up to its thread", error));
    await touchVolunteer(db, result.campaign.id, userId);
    // The same progress line as after an opening's Send (progress.ts), once the next card is claimed.
    const next = await nextCardMessage(deps, result.campaign, userId);
    const progress = await progressAfterPress(db, {
      campaignId: result.campaign.id,
      userId,
      now: deps.now(),
      sent: false,
      handedOut: false,
    });
    const what = `Sent follow-up ${result.card.round.round} to ${shortName(result.card.contact)}`;
    return replaceCard(body, withNotice(next, sentLine(what, progress)));
  });

  app.action<BlockButtonAction>(FOLLOWUP_ACTIONS.skip, async ({ ack, body, action }) => {
    await ack();
    const value = followupValue.safeParse(action.value);
    if (!value.success) return replaceCard(body, notOurs);
    const userId = body.user.id;
    const skipped = await skipFollowup(db, { followupId: value.data.k, userId, heldAtMs: value.data.t });
    const campaign = skipped ? await campaignById(db, skipped.campaignId) : await campaignOfFollowup(db, value.data.k);
    if (!skipped)
      return afterRefusal(
        body,
        campaign,
        ":information_source: That card was out of date; here is your current contact.",
      );
    if (!campaign) return replaceCard(body, notOurs);
    await touchVolunteer(db, campaign.id, userId);
    if (campaign.state !== "active") return afterRefusal(body, campaign);
    const notice = skippedLine(
      { first_name: skipped.firstName, last_name: skipped.lastName },
      "the follow-up goes back",
    );
    return replaceCard(body, await nextCardMessage(deps, campaign, userId, notice));
  });
}
