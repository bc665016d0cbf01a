import type { KnownBlock, View } from "@slack/types";
import { escapeText, maskPhone, maskPhonesIn, truncate } from "./text.ts";

/** Buttons and the modal of supervision: Open (from the review), Escalate (thread parent), Take it. */
export const SUPERVISION_ACTIONS = {
  open: "review_open",
  escalate: "conv_escalate",
  take: "escalation_take",
} as const;
export const ESCALATE_CALLBACK = "conv_escalate";
export const ESCALATE_BLOCK = "reason";
export const ESCALATE_ACTION = "value";
/** The block of an escalation post that holds Take it (replaced once someone took it). */
export const TAKE_BLOCK = "escalation_take";

/** The thread parent's Escalate button. */
export function escalateButton(conversationId: number) {
  return {
    type: "button" as const,
    action_id: SUPERVISION_ACTIONS.escalate,
    text: { type: "plain_text" as const, text: "Escalate" },
    value: JSON.stringify({ c: conversationId }),
  };
}

/** What the Escalate modal carries: the conversation. */
export interface EscalateModalMetadata {
  c: number;
}

/** Asks why (required, at most `maxReason` characters); Escalate submits, Cancel changes nothing. */
export function escalateModal(
  meta: EscalateModalMetadata,
  input: { contactName: string; phone: string; where: string; maxReason: number },
): View {
  const who = `${escapeText(input.contactName || "This contact")} ${maskPhone(input.phone)}`;
  return {
    type: "modal",
    callback_id: ESCALATE_CALLBACK,
    private_metadata: JSON.stringify(meta),
    title: { type: "plain_text", text: "Escalate" },
    submit: { type: "plain_text", text: "Escalate" },
    close: { type: "plain_text", text: "Cancel" },
    blocks: [
      {
        type: "section",
        text: {
          type: "mrkdwn",
          text: truncate(`*${who}*: ask an organizer to step in. It goes to ${input.where}.`, 3000),
        },
      },
      {
        type: "input",
        block_id: ESCALATE_BLOCK,
        label: { type: "plain_text", text: "Reason" },
        element: {
          type: "plain_text_input",
          action_id: ESCALATE_ACTION,
          multiline: true,
          max_length: input.maxReason,
          placeholder: { type: "plain_text", text: "What happened, and what do you need?" },
        },
      },
    ],
  };
}

export interface EscalationPostInput {
  conversationId: number;
  campaignTitle: string;
  contactName: string;
  phone: string;
  volunteerId: string | null;
  escalatedBy: string;
  reason: string;
  /** The last few messages, oldest first. */
  recent: { direction: "in" | "out"; body: string }[];
}

/** The post in the escalation channel (or an organizer's DM): who, why, the last messages, Take it. */
export function escalationPost(input: EscalationPostInput): { text: string; blocks: KnownBlock[] } {
  const who = `${escapeText(input.contactName || "(no name)")} ${maskPhone(input.phone)}`;
  const by =
    input.volunteerId && input.volunteerId !== input.escalatedBy
      ? `<@${input.escalatedBy}> escalated <@${input.volunteerId}>'s conversation`
      : `<@${input.escalatedBy}> escalated their conversation`;
  const quote = (text: string) => `>${escapeText(maskPhonesIn(text)).replace(/\n/g, "\n>")}`;
  const lines = input.recent.map(
    (m) => `${m.direction === "in" ? "*Them:*" : "*Us:*"} ${escapeText(maskPhonesIn(truncate(m.body, 300)))}`,
  );
  const blocks: KnownBlock[] = [
    {
      type: "section",
      text: {
        type: "mrkdwn",
        text: truncate(
          `:rotating_light: *Escalation* · ${escapeText(input.campaignTitle)}\n` +
            `${by} with *${who}*.\n*Reason:*\n${quote(input.reason)}`,
          3000,
        ),
      },
    },
  ];
  if (lines.length)
    blocks.push({
      type: "context",
      elements: [{ type: "mrkdwn", text: truncate(`The last messages:\n${lines.join("\n")}`, 3000) }],
    });
  blocks.push({
    type: "actions",
    block_id: TAKE_BLOCK,
    elements: [
      {
        type: "button",
        action_id: SUPERVISION_ACTIONS.take,
        style: "primary",
        text: { type: "plain_text", text: "Take it" },
        value: JSON.stringify({ c: input.conversationId }),
      },
    ],
  });
  return {
    text: truncate(`Escalation: ${input.contactName || "a contact"} (${input.campaignTitle}): ${input.reason}`, 300),
    blocks,
  };
}

/** An escalation post once taken: Take it gives way to who has it. */
export function takenPost(original: { text?: string; blocks?: unknown[] }, takenBy: string) {
  const kept = (original.blocks ?? []).filter((block) => (block as { block_id?: string }).block_id !== TAKE_BLOCK);
  return {
    text: original.text ?? `Escalation taken by <@${takenBy}>`,
    blocks: [
      ...(kept as KnownBlock[]),
      {
        type: "context",
        elements: [{ type: "mrkdwn", text: `:raised_hand: <@${takenBy}> took it.` }],
      } satisfies KnownBlock,
    ],
  };
}

/** What someone wrote in one thread of a conversation, shown in its other threads. */
export function relayedReply(userId: string, body: string): { text: string } {
  return { text: truncate(`<@${userId}> replied: ${escapeText(body)}`, 3900) };
}

/** The history posted under an organizer's new thread. */
export function historyPost(why: string, history: { direction: "in" | "out"; body: string }[]): { text: string } {
  const lines = history.map((m) => `${m.direction === "in" ? "*Them:*" : "*Us:*"} ${escapeText(m.body)}`);
  return {
    text: truncate(`${why} The conversation so far:\n${lines.join("\n") || "(no messages yet)"}`, 3900),
  };
}
