import type { BlockButtonAction } from "@slack/bolt";
import { z } from "zod";
import { releaseHeld, skipContact } from "../../campaigns/sending/assignment.ts";
import type { CommitResult } from "../../campaigns/sending/commit-opening.ts";
import { sendOpening } from "../../campaigns/sending/send-opening.ts";
import { contactWindowOpen, renderOpening } from "../../campaigns/sending/next-card.ts";
import type { Campaign } from "../../db/schema.ts";
import type { Services } from "../../services.ts";
import { CARD_ACTIONS, shiftEndedCard } from "../blocks/card.ts";
import { maskPhone } from "../blocks/text.ts";
import { postToResponseUrl } from "../../http/outbound.ts";
import { handOutCard, nextCardMessage } from "../cards.ts";
import { ensureVolunteer, touchVolunteer } from "../volunteers.ts";
import type { SlackRouter } from "../router.ts";

// Built once: zod 4 compiles an object schema when it is made, which costs more than parsing.
const cardFields = z.object({ k: z.number().int().positive(), t: z.number().int().nonnegative() });
const cardValue = z.string().transform((text, ctx) => {
  const parsed = cardFields.safeParse(safeJson(text));
  if (!parsed.success) {
    ctx.addIssue({ code: "custom", message: "not a card value" });
    return z.NEVER;
  }
  return { contactId: parsed.data.k, heldAtMs: parsed.data.t };
});

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Why nothing was sent, in a line the volunteer reads above their next card. */
function refusalNotice(result: Extract<CommitResult, { ok: false }>): string | undefined {
  const who = result.contact ? maskPhone(result.contact.phone) : "That contact";
  switch (result.reason) {
    case "already_sent":
      return undefined;
    case "not_held":
      return ":information_source: That card was out of date (the contact was released or handed to someone else); nothing was sent.";
    case "campaign_not_active":
      return `:double_vertical_bar: This campaign is ${result.state} now; nothing was sent and your contact went back to the pool.`;
    case "opted_out":
      return `:no_entry: ${who} opted out meanwhile; nothing was sent.`;
    case "outside_hours":
      return `:clock3: ${who}'s texting hours just ended; nothing was sent and they'll be texted when their window opens.`;
    case "empty_message":
      return ":warning: The opening message renders empty for this contact; ask an organizer to check `/campaign script`. Nothing was sent.";
  }
}

export function registerCardActions(app: SlackRouter, services: Services): void {
  // The card is replaced through the interaction's response_url (never chat.update, which
  // Slack limits per workspace), posted over the shared undici agent rather than Bolt's
  // fetch-based respond(): the same request, for a fraction of the CPU (src/http/outbound.ts).
  // A button on a message always comes with its response_url (Bolt's respond() relies on it too).
  const replaceCard = async (body: BlockButtonAction, card: { text: string; blocks: unknown[] }) => {
    await postToResponseUrl(body.response_url, { replace_original: true, text: card.text, blocks: card.blocks }).catch(
      (error: unknown) => services.logger.warn("could not replace the card through response_url", error),
    );
  };

  app.action<BlockButtonAction>(CARD_ACTIONS.send, async ({ ack, body, action }) => {
    await ack();
    const value = cardValue.safeParse(action.value);
    if (!value.success)
      return replaceCard(body, { text: "That button is not one of ours; nothing was sent.", blocks: [] });
    const userId = body.user.id;
    // The card's block_id names its campaign: the volunteer's name comes from memory, not a query.
    const campaignHint = Number(/^card:(\d+)$/.exec(action.block_id)?.[1]);
    const texterName =
      Number.isInteger(campaignHint) && campaignHint > 0
        ? (await ensureVolunteer(services, campaignHint, userId)).displayName
        : await texterNameForContact(services, value.data.contactId, userId);
    const now = services.now();
    const result = await sendOpening(services.db, {
      contactId: value.data.contactId,
      userId,
      heldAtMs: value.data.heldAtMs,
      card: services.heldCards.take(value.data.contactId, userId, value.data.heldAtMs),
      now,
      fromPhone: services.sms.fromNumber ?? "",
      render: (contact, campaign) => renderOpening(campaign, contact, texterName),
      windowOpen: (contact, campaign) => contactWindowOpen(contact, campaign, now),
    });
    if (result.ok) {
      // Twilio is called off the request path: the next card never waits on it.
      void services.deliveries.deliver(
        result.messageId,
        result.claimed
          ? {
              id: result.messageId,
              to_phone: result.contact.phone,
              body: result.body,
              media_urls: [],
              created_at: services.now(),
              attempts: 1,
              campaign_id: result.campaign.id,
              contact_id: result.contact.id,
              error_code: null,
            }
          : undefined,
      );
      if (result.next)
        return replaceCard(
          body,
          handOutCard(services, result.campaign, result.next, renderOpening(result.campaign, result.next, texterName)),
        );
      return replaceCard(
        body,
        await nextCardMessage(services, result.campaign, userId, undefined, { holdsNothing: true }),
      );
    }
    if (result.reason === "already_sent" && result.contact?.held_by === userId) return; // a double click: the first press answers
    if (!result.campaign)
      return replaceCard(body, { text: "That contact no longer exists; nothing was sent.", blocks: [] });
    if (result.campaign.state !== "active") {
      return replaceCard(
        body,
        shiftEndedCard({
          campaign: result.campaign,
          sent: await sentToday(services, result.campaign.id, userId),
          notice: refusalNotice(result),
        }),
      );
    }
    return replaceCard(body, await nextCardMessage(services, result.campaign, userId, refusalNotice(result)));
  });

  app.action<BlockButtonAction>(CARD_ACTIONS.skip, async ({ ack, body, action }) => {
    await ack();
    const value = cardValue.safeParse(action.value);
    if (!value.success) return;
    const contact = await services.db
      .selectFrom("contacts")
      .select(["campaign_id"])
      .where("id", "=", value.data.contactId)
      .executeTakeFirst();
    if (!contact) return;
    const skipped = await skipContact(services.db, {
      contactId: value.data.contactId,
      userId: body.user.id,
      heldAtMs: value.data.heldAtMs,
    });
    const campaign = await campaignById(services, contact.campaign_id);
    await touchVolunteer(services, campaign.id, body.user.id);
    const notice = skipped
      ? undefined
      : ":information_source: That card was out of date; here is your current contact.";
    if (campaign.state !== "active")
      return replaceCard(
        body,
        shiftEndedCard({ campaign, sent: await sentToday(services, campaign.id, body.user.id) }),
      );
    return replaceCard(body, await nextCardMessage(services, campaign, body.user.id, notice));
  });

  app.action<BlockButtonAction>(CARD_ACTIONS.end, async ({ ack, body, action }) => {
    await ack();
    const campaignId = Number(action.value);
    if (!Number.isInteger(campaignId)) return;
    const campaign = await services.db
      .selectFrom("campaigns")
      .selectAll()
      .where("id", "=", campaignId)
      .executeTakeFirst();
    if (!campaign) return;
    await releaseHeld(services.db, body.user.id, campaign.id);
    await touchVolunteer(services, campaign.id, body.user.id, { onShift: false });
    return replaceCard(body, shiftEndedCard({ campaign, sent: await sentToday(services, campaign.id, body.user.id) }));
  });

  app.action<BlockButtonAction>(CARD_ACTIONS.start, async ({ ack, body, action }) => {
    await ack();
    const campaign = await services.db
      .selectFrom("campaigns")
      .selectAll()
      .where("id", "=", Number(action.value) || 0)
      .executeTakeFirst();
    if (!campaign) return;
    if (campaign.state !== "active")
      return replaceCard(
        body,
        shiftEndedCard({
          campaign,
          sent: await sentToday(services, campaign.id, body.user.id),
          notice: `This campaign is ${campaign.state}.`,
        }),
      );
    await touchVolunteer(services, campaign.id, body.user.id, { onShift: true });
    return replaceCard(body, await nextCardMessage(services, campaign, body.user.id));
  });
}

/** {texter_name} as the card showed it: the name stored when the volunteer joined. */
async function texterNameForContact(services: Services, contactId: number, userId: string): Promise<string> {
  const row = await services.db
    .selectFrom("contacts as c")
    .innerJoin("volunteers as v", (join) =>
      join.onRef("v.campaign_id", "=", "c.campaign_id").on("v.user_id", "=", userId),
    )
    .select("v.display_name")
    .where("c.id", "=", contactId)
    .executeTakeFirst();
  return row?.display_name ?? "a volunteer";
}

async function campaignById(services: Services, id: number): Promise<Campaign> {
  return services.db.selectFrom("campaigns").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
}

async function sentToday(services: Services, campaignId: number, userId: string): Promise<number> {
  const row = await services.db
    .selectFrom("messages")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("campaign_id", "=", campaignId)
    .where("sent_by", "=", userId)
    .where("kind", "=", "opening")
    .where("created_at", ">=", new Date(services.now().getTime() - 24 * 3600 * 1000))
    .executeTakeFirstOrThrow();
  return row.n;
}
