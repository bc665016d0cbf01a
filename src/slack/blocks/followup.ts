import type { KnownBlock, View } from "@slack/types";
import type { ScriptPreview } from "../../campaigns/scripts/preview.ts";
import { availableFields, listFields, MAX_TEXT_LENGTH } from "../../campaigns/scripts/scripts.ts";
import type { Campaign, Contact, Followup } from "../../db/schema.ts";
import { CARD_ACTIONS, contactCard, type CardMessage } from "./card.ts";
import { previewBlocks } from "./script.ts";
import { escapeText, MAX_SECTION_TEXT, truncate } from "./text.ts";

export const FOLLOWUP_ACTIONS = {
  send: "followup_send",
  skip: "followup_skip",
  message: "value",
} as const;
export const FOLLOWUP_CALLBACK = "campaign_followup";
export const FOLLOWUP_BLOCKS = { message: "followup_message" } as const;

/**
 * A follow-up card: the opening card's layout (campaign, contact with a masked number, the text
 * exactly as it will be sent, Send / Skip / End shift) under the heading "Follow-up N", its
 * buttons naming the follow-up and its hold. End shift is the opening card's own button.
 */
export function followupCard(input: {
  campaign: Pick<Campaign, "id" | "title">;
  contact: Contact;
  followup: Pick<Followup, "id" | "held_at">;
  round: number;
  body: string;
  sandbox: boolean;
  notice?: string;
}): CardMessage {
  const { followup, round } = input;
  const card = contactCard({
    campaign: { id: input.campaign.id, title: `Follow-up ${round} · ${input.campaign.title}` },
    // The buttons carry the follow-up's id and hold, not the contact's.
    contact: { ...input.contact, id: followup.id, held_at: followup.held_at },
    body: input.body,
    sandbox: input.sandbox,
    notice: input.notice,
  });
  const renamed: Record<string, string> = {
    [CARD_ACTIONS.send]: FOLLOWUP_ACTIONS.send,
    [CARD_ACTIONS.skip]: FOLLOWUP_ACTIONS.skip,
  };
  const blocks = card.blocks.map((block): KnownBlock => {
    if (block.type !== "actions") return block;
    return {
      ...block,
      block_id: `followup:${input.campaign.id}`,
      elements: block.elements.map((element) =>
        "action_id" in element && element.action_id && renamed[element.action_id]
          ? { ...element, action_id: renamed[element.action_id] }
          : element,
      ),
    } as KnownBlock;
  });
  const name = [input.contact.first_name, input.contact.last_name].filter(Boolean).join(" ") || "(no name)";
  return { text: `Follow-up ${round} for ${input.campaign.title}: ${name}`, blocks };
}

/** What the follow-up modal carries: campaign (c), audience as typed (a), a {texter_name} (t). */
export interface FollowupModalMetadata {
  c: number;
  a: string;
  t?: string;
}

const context = (text: string): KnownBlock => ({
  type: "context",
  elements: [{ type: "mrkdwn", text: truncate(text, MAX_SECTION_TEXT) }],
});
const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;

/** The modal: who the round covers, the Follow-up message box, and the preview of what is typed. */
export function followupModal(input: {
  campaign: Pick<Campaign, "title" | "custom_fields">;
  round: number;
  audience: string;
  covered: number;
  meta: FollowupModalMetadata;
  message?: string;
  preview?: ScriptPreview;
}): View {
  const { campaign } = input;
  return {
    type: "modal",
    callback_id: FOLLOWUP_CALLBACK,
    private_metadata: JSON.stringify(input.meta),
    title: { type: "plain_text", text: `Follow-up ${input.round}` },
    submit: { type: "plain_text", text: "Save" },
    close: { type: "plain_text", text: "Cancel" },
    blocks: [
      {
        type: "section",
        text: {
          type: "mrkdwn",
          text: truncate(
            `*${escapeText(campaign.title)}* · follow-up ${input.round} to \`${escapeText(input.audience)}\`: ` +
              `${plural(input.covered, "contact")} right now (counted again when you save; opted-out numbers ` +
              `and contacts whose opening failed are left out).`,
            MAX_SECTION_TEXT,
          ),
        },
      },
      context(
        `Merge fields: ${escapeText(listFields(availableFields(campaign), 40))} · ` +
          "`{field|fallback}` when a value may be empty · `{{` and `}}` for braces",
      ),
      {
        type: "input",
        block_id: FOLLOWUP_BLOCKS.message,
        label: { type: "plain_text", text: "Follow-up message" },
        dispatch_action: true,
        element: {
          type: "plain_text_input",
          action_id: FOLLOWUP_ACTIONS.message,
          multiline: true,
          max_length: MAX_TEXT_LENGTH,
          dispatch_action_config: { trigger_actions_on: ["on_character_entered"] },
          placeholder: { type: "plain_text", text: "Hi {first_name}, polls close at 8pm today…" },
          ...(input.message ? { initial_value: input.message } : {}),
        },
      },
      { type: "divider" },
      ...(input.preview
        ? previewBlocks(input.preview, "Preview")
        : [context("Write the follow-up above; the preview follows what you type.")]),
    ],
  };
}

/** What the modal becomes once the round is created. */
export function followupSavedView(input: {
  campaign: Pick<Campaign, "title" | "slug" | "state">;
  round: number;
  audience: string;
  covered: number;
}): View {
  const state =
    input.campaign.state === "active"
      ? "Volunteers on shift get these cards before the openings still waiting."
      : `The campaign is ${input.campaign.state}: cards go out once it is launched.`;
  return {
    type: "modal",
    title: { type: "plain_text", text: `Follow-up ${input.round}` },
    close: { type: "plain_text", text: "Done" },
    blocks: [
      {
        type: "section",
        text: {
          type: "mrkdwn",
          text: truncate(
            `:white_check_mark: Follow-up ${input.round} of *${escapeText(input.campaign.title)}* ` +
              `(\`${escapeText(input.audience)}\`) covers ${plural(input.covered, "contact")}. ${state} ` +
              `Follow progress with \`/campaign stats ${input.campaign.slug}\`.`,
            MAX_SECTION_TEXT,
          ),
        },
      },
    ],
  };
}

/** The line a follow-up adds to its conversation's thread. */
export function followupThreadPost(input: { round: number; userId: string; body: string }): { text: string } {
  const quoted = `>${escapeText(input.body).replace(/\n/g, "\n>")}`;
  return { text: truncate(`:outbox_tray: Follow-up ${input.round} sent by <@${input.userId}>:\n${quoted}`, 3900) };
}

/** The thread parent says "replied"; for a conversation started by a follow-up it says no reply yet. */
export function noReplyYet(parent: { text: string; blocks: KnownBlock[] }): { text: string; blocks: KnownBlock[] } {
  const [first, ...rest] = parent.blocks;
  const fixed =
    first?.type === "section" && first.text?.type === "mrkdwn"
      ? { ...first, text: { ...first.text, text: first.text.text.replace("* replied · ", "* · no reply yet · ") } }
      : first;
  return { text: parent.text.replace(" replied (", " (no reply yet, "), blocks: fixed ? [fixed, ...rest] : rest };
}
