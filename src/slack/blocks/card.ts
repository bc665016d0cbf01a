import type { KnownBlock } from "@slack/types";
import type { Campaign, Contact } from "../../db/schema.ts";
import { escapeText, maskPhone, maskPhonesIn, truncate } from "./text.ts";

export const CARD_ACTIONS = { send: "card_send", skip: "card_skip", end: "card_end", start: "card_start" } as const;

export interface CardMessage {
  text: string;
  blocks: KnownBlock[];
}

/** What a card's buttons carry: the contact and the hold they were rendered for. */
export function cardValue(contact: Pick<Contact, "id" | "held_at">): string {
  return JSON.stringify({ k: contact.id, t: contact.held_at?.getTime() ?? 0 });
}

function contactName(contact: Contact): string {
  const name = [contact.first_name, contact.last_name].filter(Boolean).join(" ").trim();
  return name || "(no name)";
}

/**
 * Up to three context fields (city first, if the upload had one) shown under the name. The ZIP
 * and the message's encoding and segments are the organizer's (the script preview), not the
 * volunteer's: the card is read on a phone.
 */
function contextLine(contact: Contact): string {
  const fields = Object.entries(contact.custom_fields ?? {}).filter(([, value]) => value && String(value).trim());
  fields.sort(([a], [b]) => (a === "city" ? -1 : b === "city" ? 1 : 0));
  const parts = fields
    .slice(0, 3)
    .map(([key, value]) => `${escapeText(key)}: ${escapeText(truncate(maskPhonesIn(String(value)), 60))}`);
  return parts.join(" · ");
}

/**
 * The volunteer's card: a notice or progress line on top (what the last press did, see
 * progress.ts), campaign, contact (masked number), the opening message exactly as it will be
 * sent, and Send / Skip / End shift.
 */
export function contactCard(input: {
  campaign: Pick<Campaign, "id" | "title">;
  contact: Contact;
  body: string;
  sandbox: boolean;
  notice?: string;
}): CardMessage {
  const { campaign, contact, body } = input;
  const value = cardValue(contact);
  const context = contextLine(contact);
  const blocks: KnownBlock[] = [];
  if (input.notice)
    blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: truncate(input.notice, 3000) }] });
  blocks.push(
    { type: "header", text: { type: "plain_text", text: truncate(campaign.title, 150) } },
    {
      type: "section",
      text: {
        type: "mrkdwn",
        text: truncate(
          `*${escapeText(contactName(contact))}* ${maskPhone(contact.phone)}${context ? `\n${context}` : ""}`,
          3000,
        ),
      },
    },
    { type: "section", text: { type: "mrkdwn", text: truncate(`>${escapeText(body).replace(/\n/g, "\n>")}`, 3000) } },
  );
  if (input.sandbox)
    blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: "*sandbox*: no real text is sent" }] });
  blocks.push({
    type: "actions",
    block_id: `card:${campaign.id}`,
    elements: [
      {
        type: "button",
        action_id: CARD_ACTIONS.send,
        style: "primary",
        text: { type: "plain_text", text: "Send" },
        value,
      },
      { type: "button", action_id: CARD_ACTIONS.skip, text: { type: "plain_text", text: "Skip" }, value },
      {
        type: "button",
        action_id: CARD_ACTIONS.end,
        text: { type: "plain_text", text: "End shift" },
        value: String(campaign.id),
      },
    ],
  });
  return { text: `Next contact for ${campaign.title}: ${contactName(contact)}`, blocks };
}

/** No contact to hand out: the pool is empty, or everyone left is outside their texting hours. */
export function noContactCard(input: {
  campaign: Pick<Campaign, "id" | "title" | "slug">;
  resumesAt?: Date | null;
  waiting?: number;
  notice?: string;
}): CardMessage {
  const { campaign } = input;
  let text: string;
  if (input.waiting === undefined) {
    text =
      `Everyone in *${escapeText(campaign.title)}* has been texted. ` +
      `Thank you! Replies will arrive as threads here.`;
  } else if (input.resumesAt) {
    const unix = Math.floor(input.resumesAt.getTime() / 1000);
    text =
      `The ${input.waiting.toLocaleString("en-US")} contacts left in *${escapeText(campaign.title)}* ` +
      `are outside their texting hours right now. ` +
      `Texting can resume <!date^${unix}^{date_short_pretty} at {time}|${input.resumesAt.toISOString()}>; ` +
      `press *Start shift* then.`;
  } else {
    text =
      `The contacts left in *${escapeText(campaign.title)}* are outside their texting hours, which never overlap; ` +
      `ask an organizer to widen \`/campaign hours ${campaign.slug}\`.`;
  }
  const blocks: KnownBlock[] = [];
  if (input.notice)
    blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: truncate(input.notice, 3000) }] });
  blocks.push({ type: "section", text: { type: "mrkdwn", text } });
  if (input.waiting !== undefined) blocks.push(startAgainBlock(campaign.id));
  return { text: text.replace(/<!date\^\d+\^[^|]*\|([^>]*)>/, "$1").replace(/\*/g, ""), blocks };
}

export function shiftEndedCard(input: {
  campaign: Pick<Campaign, "id" | "title" | "slug" | "state">;
  sent: number;
  notice?: string;
}): CardMessage {
  const text =
    `Shift ended for *${escapeText(input.campaign.title)}*: ` +
    `you sent ${input.sent} text${input.sent === 1 ? "" : "s"} today. ` +
    `Replies still come to you as threads here. Start again with \`/campaign shift ${input.campaign.slug}\`` +
    (input.campaign.state === "active" ? " or the button below." : ".");
  const blocks: KnownBlock[] = [];
  if (input.notice) blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: input.notice }] });
  blocks.push({ type: "section", text: { type: "mrkdwn", text } });
  if (input.campaign.state === "active") blocks.push(startAgainBlock(input.campaign.id));
  return { text: text.replace(/\*/g, ""), blocks };
}

/** Start shift on a card that has none to show: pressed, the card is replaced with the next contact. */
function startAgainBlock(campaignId: number): KnownBlock {
  return {
    type: "actions",
    elements: [
      {
        type: "button",
        action_id: CARD_ACTIONS.start,
        text: { type: "plain_text", text: "Start shift" },
        value: String(campaignId),
      },
    ],
  };
}
