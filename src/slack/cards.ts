import type { Campaign, Contact } from "../db/schema.ts";
import { nextCard } from "../campaigns/sending/next-card.ts";
import type { SlackDeps } from "./deps.ts";
import { contactCard, noContactCard, type CardMessage } from "./blocks/card.ts";
import { ensureVolunteer } from "./volunteers.ts";
import { nextFollowupCard } from "./followup-cards.ts";

/**
 * Claims (or re-shows) the volunteer's next contact and renders the card for it. Follow-ups
 * waiting in the campaign come first (nextFollowupCard); without any, this costs no extra read.
 */
export async function nextCardMessage(
  services: SlackDeps,
  campaign: Campaign,
  userId: string,
  notice?: string,
  options: { holdsNothing?: boolean } = {},
): Promise<CardMessage> {
  const { displayName } = await ensureVolunteer(services, campaign.id, userId);
  const followup = await nextFollowupCard(services, campaign, userId, displayName, notice, options);
  if (followup) return followup;
  const next = await nextCard(services.db, {
    campaign,
    userId,
    texterName: displayName,
    now: services.now(),
    holdsNothing: options.holdsNothing,
  });
  if (next.kind === "contact") return handOutCard(services, campaign, next.contact, next.body, notice);
  if (next.kind === "closed")
    return noContactCard({ campaign, resumesAt: next.resumesAt, waiting: next.waiting, notice });
  return noContactCard({ campaign, notice });
}

/** The card for a contact this volunteer now holds, remembered so that its Send needs no read. */
export function handOutCard(
  services: SlackDeps,
  campaign: Campaign,
  contact: Contact,
  body: string,
  notice?: string,
): CardMessage {
  services.heldCards.remember({ contact, campaign });
  return contactCard({ campaign, contact, body, sandbox: services.texting.sandbox, notice });
}
