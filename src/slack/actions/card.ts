import type { BlockButtonAction } from "@slack/bolt";
import { z } from "zod";
import { campaignById, campaignOfContact } from "../../campaigns/campaigns.ts";
import { releaseHeld, skipContact } from "../../campaigns/sending/assignment.ts";
import { pressSend } from "../../campaigns/sending/press-send.ts";
import { renderOpening } from "../../campaigns/sending/next-card.ts";
import type { SendRefusal } from "../../campaigns/sending/send-refusal.ts";
import { mayShowCampaign, sentToday, touchVolunteer, volunteerNameForContact } from "../../campaigns/volunteers.ts";
import type { Campaign } from "../../db/schema.ts";
import { postToResponseUrl } from "../../http/outbound.ts";
import { CARD_ACTIONS, shiftEndedCard } from "../blocks/card.ts";
import { maskPhone } from "../blocks/text.ts";
import { handOutCard, nextCardMessage } from "../cards.ts";
import type { SlackDeps } from "../deps.ts";
import { jsonValue } from "../json-value.ts";
import type { SlackRouter } from "../router.ts";
import { joinedName } from "../volunteers.ts";
import { progressAfterPress, sentLine, shortName, skippedLine, withNotice } from "../progress.ts";

/** A card button's value: the contact (k) and the hold (t, held_at in ms) it was drawn for. */
const cardValue = jsonValue(z.object({ k: z.number().int().positive(), t: z.number().int().nonnegative() }));

/** Why nothing was sent, in a line the volunteer reads above their next card. */
function refusalNotice(refusal: SendRefusal): string | undefined {
  const who = refusal.contact ? maskPhone(refusal.contact.phone) : "That contact";
  switch (refusal.reason) {
    case "already_sent":
      return undefined;
    case "not_held":
      return (
        ":information_source: That card was out of date (the contact was released or handed to someone else); " +
        "nothing was sent."
      );
    case "campaign_not_active":
      return (
        `:double_vertical_bar: This campaign is ${refusal.state} now; ` +
        `nothing was sent and your contact went back to the pool.`
      );
    case "opted_out":
      return `:no_entry: ${who} opted out meanwhile; nothing was sent.`;
    case "outside_hours":
      return (
        `:clock3: ${who}'s texting hours just ended; ` +
        `nothing was sent and they'll be texted when their window opens.`
      );
    case "empty_message":
      return (
        ":warning: The opening message renders empty for this contact; " +
        "ask an organizer to check `/campaign script`. Nothing was sent."
      );
  }
}

/** The card's buttons: Send, Skip, End shift, and Start shift on an ended card. */
export function registerCardActions(app: SlackRouter, deps: SlackDeps): void {
  const { db, logger } = deps;
  // The card is replaced through the interaction's response_url (never chat.update, which
  // Slack limits per workspace), posted over the shared undici agent rather than Bolt's
  // fetch-based respond(): the same request, for a fraction of the CPU (src/http/outbound.ts).
  // A button on a message always comes with its response_url (Bolt's respond() relies on it too).
  const replaceCard = async (body: BlockButtonAction, card: { text: string; blocks: unknown[] }) => {
    await postToResponseUrl(body.response_url, { replace_original: true, text: card.text, blocks: card.blocks }).catch(
      (error: unknown) => logger.warn("could not replace the card through response_url", error),
    );
  };
  const endedCard = async (campaign: Campaign, userId: string, notice?: string) =>
    shiftEndedCard({ campaign, sent: await sentToday(db, campaign.id, userId, deps.now()), notice });

  const mayShow = (campaign: Campaign, userId: string) =>
    mayShowCampaign(db, deps.settings.ORGANIZER_IDS, campaign, userId);
  /** The campaign a button names, if this person may see it (mayShowCampaign). */
  const visibleCampaign = async (value: string | undefined, userId: string) => {
    const campaign = await campaignById(db, Number(value) || 0);
    return campaign && (await mayShow(campaign, userId)) ? campaign : undefined;
  };
  const notOurs = { text: "That button is not one of ours; nothing happened.", blocks: [] };

  app.action<BlockButtonAction>(CARD_ACTIONS.send, async ({ ack, body, action }) => {
    await ack();
    const value = cardValue.safeParse(action.value);
    if (!value.success)
      return replaceCard(body, { text: "That button is not one of ours; nothing was sent.", blocks: [] });
    const userId = body.user.id;
    // The card this instance handed out names the campaign, so the name comes from memory; a
    // button's block_id is not trusted (a forged one must join nobody to anything).
    const card = deps.heldCards.take(value.data.k, userId, value.data.t);
    const texterName =
      (card
        ? await joinedName(deps, card.campaign.id, userId)
        : await volunteerNameForContact(db, value.data.k, userId)) ?? "a volunteer";
    const result = await pressSend(db, {
      contactId: value.data.k,
      userId,
      heldAtMs: value.data.t,
      card,
      texterName,
      fromPhone: deps.texting.fromPhone,
      now: deps.now(),
    });
    if (result.ok) {
      // Twilio is called off the request path: the next card never waits on it.
      void deps.deliveries.deliver(result.text.id, result.text);
      // What the press did and where the volunteer stands, from this instance's hints (progress.ts).
      const line = async (handedOut: boolean) =>
        sentLine(
          `Texted ${shortName(result.contact)}`,
          await progressAfterPress(db, {
            campaignId: result.campaign.id,
            userId,
            now: deps.now(),
            sent: true,
            handedOut,
          }),
        );
      if (result.next) {
        const nextBody = renderOpening(result.campaign, result.next, texterName);
        return replaceCard(body, handOutCard(deps, result.campaign, result.next, nextBody, await line(true)));
      }
      // The next card claims its contact first, so that the pool left is counted after it.
      const next = await nextCardMessage(deps, result.campaign, userId, undefined, { holdsNothing: true });
      return replaceCard(body, withNotice(next, await line(false)));
    }
    // A contact this person never held, in a campaign they may not see (a forged button): no title, no join.
    if (!result.campaign || !(await mayShow(result.campaign, userId)))
      return replaceCard(body, { text: "That contact no longer exists; nothing was sent.", blocks: [] });
    // Sent already — a double click, or a press on a card whose replacement was lost (a crash
    // between the Send and the card): answer with the volunteer's current card, never silence.
    if (result.reason === "already_sent" && result.campaign?.state === "active")
      return replaceCard(body, await nextCardMessage(deps, result.campaign, userId));
    if (!result.campaign)
      return replaceCard(body, { text: "That contact no longer exists; nothing was sent.", blocks: [] });
    if (result.campaign.state !== "active")
      return replaceCard(body, await endedCard(result.campaign, userId, refusalNotice(result)));
    return replaceCard(body, await nextCardMessage(deps, result.campaign, userId, refusalNotice(result)));
  });

  app.action<BlockButtonAction>(CARD_ACTIONS.skip, async ({ ack, body, action }) => {
    await ack();
    const value = cardValue.safeParse(action.value);
    if (!value.success) return;
    const userId = body.user.id;
    const skipped = await skipContact(db, { contactId: value.data.k, userId, heldAtMs: value.data.t });
    const campaign = skipped ? await campaignById(db, skipped.campaignId) : await campaignOfContact(db, value.data.k);
    // A card this person never held, in a campaign they may not see (a forged button): no title.
    if (!campaign || (!skipped && !(await mayShow(campaign, userId)))) return replaceCard(body, notOurs);
    await touchVolunteer(db, campaign.id, userId);
    const notice = skipped
      ? skippedLine({ first_name: skipped.firstName, last_name: skipped.lastName })
      : ":information_source: That card was out of date; here is your current contact.";
    if (campaign.state !== "active") return replaceCard(body, await endedCard(campaign, userId));
    return replaceCard(body, await nextCardMessage(deps, campaign, userId, notice));
  });

  app.action<BlockButtonAction>(CARD_ACTIONS.end, async ({ ack, body, action }) => {
    await ack();
    const campaign = await visibleCampaign(action.value, body.user.id);
    if (!campaign) return replaceCard(body, notOurs);
    await releaseHeld(db, body.user.id, campaign.id);
    await touchVolunteer(db, campaign.id, body.user.id, { onShift: false });
    return replaceCard(body, await endedCard(campaign, body.user.id));
  });

  app.action<BlockButtonAction>(CARD_ACTIONS.start, async ({ ack, body, action }) => {
    await ack();
    const campaign = await visibleCampaign(action.value, body.user.id);
    if (!campaign) return replaceCard(body, notOurs);
    if (campaign.state !== "active")
      return replaceCard(body, await endedCard(campaign, body.user.id, `This campaign is ${campaign.state}.`));
    await touchVolunteer(db, campaign.id, body.user.id, { onShift: true });
    return replaceCard(body, await nextCardMessage(deps, campaign, body.user.id));
  });
}
