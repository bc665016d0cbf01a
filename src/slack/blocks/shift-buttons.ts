import type { Button, KnownBlock } from "@slack/types";
import type { Campaign } from "../../db/schema.ts";
import { escapeText, truncate } from "./text.ts";

/**
 * The buttons that lead somewhere from a message that used to end in a command to type: Join
 * and Start shift (anywhere in Slack: the card goes to the volunteer's DM with the app).
 */
export const SHIFT_ACTIONS = {
  join: "campaign_join",
  startShift: "campaign_start_shift",
  share: "launch_share",
} as const;

export function joinButton(campaign: Pick<Campaign, "id">): Button {
  return {
    type: "button",
    action_id: SHIFT_ACTIONS.join,
    style: "primary",
    text: { type: "plain_text", text: "Join" },
    value: String(campaign.id),
  };
}

export function startShiftButton(campaign: Pick<Campaign, "id">): Button {
  return {
    type: "button",
    action_id: SHIFT_ACTIONS.startShift,
    style: "primary",
    text: { type: "plain_text", text: "Start shift" },
    value: String(campaign.id),
  };
}

/** A line of text with one button under it. */
export function textWithButton(text: string, button: Button): KnownBlock[] {
  return [
    { type: "section", text: { type: "mrkdwn", text: truncate(text, 3000) } },
    { type: "actions", elements: [button] },
  ];
}

/** The message a channel gets from an organizer's "post a Join button": anyone there can join. */
export function joinInvitation(campaign: Pick<Campaign, "id" | "title" | "slug">): {
  text: string;
  blocks: KnownBlock[];
} {
  const text =
    `*${escapeText(campaign.title)}* needs volunteers to text. Press *Join*, then *Start shift*: ` +
    `your contacts come one at a time in your DM with Textbank, and you press Send for each.`;
  return { text: `${campaign.title} needs volunteers: press Join`, blocks: textWithButton(text, joinButton(campaign)) };
}

/** The organizer's choice of channel for a Join button, offered after a launch. */
export function shareJoinBlocks(campaign: Pick<Campaign, "id">): KnownBlock[] {
  return [
    {
      type: "section",
      block_id: `${SHIFT_ACTIONS.share}:${campaign.id}`,
      text: { type: "mrkdwn", text: "Post a *Join* button in a channel:" },
      accessory: {
        type: "conversations_select",
        action_id: SHIFT_ACTIONS.share,
        placeholder: { type: "plain_text", text: "Pick a channel" },
        filter: { include: ["public", "private"], exclude_bot_users: true },
      },
    },
  ];
}
