import type { KnownBlock, View } from "@slack/types";
import type { CannedReply, SurveyQuestion } from "../../db/schema.ts";
import { addNoteButton, surveyBlocks } from "./survey.ts";
import { escalateButton } from "./supervision.ts";
import { escapeText, maskPhone, maskPhonesIn, truncate } from "./text.ts";

export const CONVERSATION_ACTIONS = {
  canned: "conv_canned",
  tag: "conv_tag",
  /** The outcome menu that replaces the tag buttons past MAX_TAG_BUTTONS tags (same value as a button's). */
  tagSelect: "conv_tag_select",
  optOut: "conv_optout",
} as const;
/** Up to this many outcome tags are buttons; more are a menu (a row of buttons wraps badly on a phone). */
export const MAX_TAG_BUTTONS = 4;
/** How much of the opening message and of the contact's latest reply the parent shows. */
export const PARENT_OPENING_CHARS = 80;
export const PARENT_LATEST_CHARS = 280;
/** The Opt out button's confirmation modal: one checkbox, "Send the opt-out reply". */
export const OPT_OUT_CALLBACK = "conv_optout";
export const OPT_OUT_BLOCK = "optout_reply";
export const OPT_OUT_ACTION = "value";
export const OPT_OUT_SEND_REPLY = "send";

export interface ConversationView {
  conversationId: number;
  campaignTitle: string;
  contactName: string;
  phone: string;
  context?: string;
  opening: string;
  cannedReplies: CannedReply[];
  tags: string[];
  currentTag: string | null;
  optedOut: boolean;
  volunteerId: string | null;
  /** How the parent names the contact in short ("Maria A."). */
  shortName?: string;
  /** What the contact said last (the newest inbound text), shown on the parent and in its notification. */
  latestReply?: string;
  /** The survey questions still asked, and the current answer per question id (none: no survey rows). */
  survey?: { campaignId: number; questions: readonly SurveyQuestion[]; answers: ReadonlyMap<number, string> };
}

/**
 * The parent of a conversation's thread: who, the opening message, the canned replies, one
 * button per outcome tag (the current one marked), a row per survey question, Add note and
 * Opt out. Replies go in the thread below it.
 */
export function conversationParent(view: ConversationView): { text: string; blocks: KnownBlock[] } {
  const who = `${escapeText(view.contactName || "(no name)")} ${maskPhone(view.phone)}`;
  const blocks: KnownBlock[] = [
    {
      type: "section",
      text: {
        type: "mrkdwn",
        text: truncate(
          `*${who}* replied · ${escapeText(view.campaignTitle)}` +
            (view.context ? `\n${escapeText(maskPhonesIn(view.context))}` : ""),
          3000,
        ),
      },
    },
  ];
  const latest = view.latestReply === undefined ? undefined : latestLine(view);
  if (latest) blocks.push({ type: "section", text: { type: "mrkdwn", text: latest.mrkdwn } });
  blocks.push({
    type: "context",
    elements: [
      { type: "mrkdwn", text: `Opening: ${escapeText(truncate(oneLine(view.opening), PARENT_OPENING_CHARS + 1))}` },
    ],
  });
  if (view.optedOut) {
    blocks.push({
      type: "section",
      text: { type: "mrkdwn", text: ":no_entry: *Opted out.* Nothing more will be sent to this number." },
    });
  } else if (view.cannedReplies.length) {
    blocks.push({
      type: "actions",
      block_id: `canned:${view.conversationId}`,
      elements: view.cannedReplies.slice(0, 24).map((reply, index) => ({
        type: "button" as const,
        action_id: `${CONVERSATION_ACTIONS.canned}:${index}`,
        text: { type: "plain_text" as const, text: truncate(reply.title, 75) },
        value: JSON.stringify({ c: view.conversationId, i: index }),
      })),
    });
  }
  if (view.tags.length > MAX_TAG_BUTTONS) {
    // A menu: one line on a phone however many tags (Slack allows 100 options, 75 characters each).
    const options = view.tags.slice(0, 100).map((tag, index) => ({
      text: { type: "plain_text" as const, text: truncate(tag, 75) },
      value: JSON.stringify({ c: view.conversationId, t: index }),
    }));
    const current = view.tags.slice(0, 100).indexOf(view.currentTag ?? "");
    blocks.push({
      type: "actions",
      block_id: `tags:${view.conversationId}`,
      elements: [
        {
          type: "static_select",
          action_id: CONVERSATION_ACTIONS.tagSelect,
          placeholder: { type: "plain_text", text: "Outcome…" },
          options,
          ...(current >= 0 ? { initial_option: options[current] } : {}),
        },
      ],
    });
  } else if (view.tags.length) {
    blocks.push({
      type: "actions",
      block_id: `tags:${view.conversationId}`,
      elements: view.tags.slice(0, 24).map((tag, index) => ({
        type: "button" as const,
        action_id: `${CONVERSATION_ACTIONS.tag}:${index}`,
        text: { type: "plain_text" as const, text: truncate(tag === view.currentTag ? `✓ ${tag}` : tag, 75) },
        value: JSON.stringify({ c: view.conversationId, t: index }),
        ...(tag === view.currentTag ? { style: "primary" as const } : {}),
      })),
    });
  }
  if (view.survey)
    blocks.push(
      ...surveyBlocks({
        conversationId: view.conversationId,
        campaignId: view.survey.campaignId,
        questions: view.survey.questions,
        current: view.survey.answers,
      }),
    );
  const footer = [
    view.currentTag ? `Outcome: *${escapeText(view.currentTag)}*` : "No outcome yet",
    view.volunteerId ? `texted by <@${view.volunteerId}>` : "",
    "Reply in this thread to text them back.",
  ].filter(Boolean);
  blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: footer.join(" · ") }] });
  // A note can still be added once the number has opted out; only texting stops.
  blocks.push({
    type: "actions",
    block_id: `optout:${view.conversationId}`,
    elements: [
      addNoteButton(view.conversationId),
      // Asks an organizer to step in (a modal asks why): src/slack/actions/supervise.ts.
      escalateButton(view.conversationId),
      ...(view.optedOut
        ? []
        : [
            {
              type: "button" as const,
              action_id: CONVERSATION_ACTIONS.optOut,
              text: { type: "plain_text" as const, text: "Opt out" },
              // Asks first, in a modal (optOutModal) that also offers the opt-out reply.
              value: JSON.stringify({ c: view.conversationId }),
            },
          ]),
    ],
  });
  // The notification (and the line a phone shows) says what they said, as the parent does.
  const text = latest ? latest.plain : `${view.contactName || "A contact"} replied (${view.campaignTitle})`;
  return { text, blocks };
}

/** Newlines and runs of spaces as one space: a short preview reads as one line. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/** "Maria A.: Yes! I'll vote…" for the parent (mrkdwn) and its notification text; none for an empty text. */
function latestLine(view: ConversationView): { mrkdwn: string; plain: string } | undefined {
  const said = oneLine(view.latestReply ?? "");
  if (!said) return undefined;
  const who = view.shortName || view.contactName || "They";
  const shown = escapeText(truncate(said, PARENT_LATEST_CHARS));
  return {
    mrkdwn: `*${escapeText(truncate(who, 100))}:* ${shown}`,
    plain: `${escapeText(truncate(who, 100))}: ${escapeText(truncate(said, 150))}`,
  };
}

/** What the opt-out modal carries: the conversation and the click's response_url, to redraw the parent. */
export interface OptOutModalMetadata {
  c: number;
  r?: string;
}

/**
 * The Opt out button's confirmation: who, what it means, the opt-out reply as this contact would
 * get it, and a checkbox (ticked) to send it. Opt out confirms; Cancel closes and changes nothing.
 */
export function optOutModal(
  meta: OptOutModalMetadata,
  input: { contactName: string; phone: string; reply: string },
): View {
  const who = `${escapeText(input.contactName || "This contact")} ${maskPhone(input.phone)}`;
  const option = {
    text: { type: "plain_text" as const, text: "Send the opt-out reply" },
    value: OPT_OUT_SEND_REPLY,
  };
  return {
    type: "modal",
    callback_id: OPT_OUT_CALLBACK,
    private_metadata: JSON.stringify(meta),
    title: { type: "plain_text", text: "Opt this number out?" },
    submit: { type: "plain_text", text: "Opt out" },
    close: { type: "plain_text", text: "Cancel" },
    blocks: [
      {
        type: "section",
        text: {
          type: "mrkdwn",
          text: truncate(`*${who}*: nobody in any campaign will text this number again.`, 3000),
        },
      },
      {
        type: "input",
        block_id: OPT_OUT_BLOCK,
        optional: true,
        label: { type: "plain_text", text: "Tell them" },
        element: {
          type: "checkboxes",
          action_id: OPT_OUT_ACTION,
          options: [option],
          initial_options: [option],
        },
      },
      {
        type: "context",
        elements: [
          {
            type: "mrkdwn",
            text: truncate(`The opt-out reply, texted once:\n>${escapeText(input.reply).replace(/\n/g, "\n>")}`, 3000),
          },
        ],
      },
    ],
  };
}

/** One inbound text as a thread reply: the words, and media as links. */
export function inboundReply(input: { body: string; mediaUrls: string[] }): { text: string } {
  const media = input.mediaUrls.map((url, i) => `<${url}|attachment ${i + 1}>`).join(" ");
  const words = input.body.trim() ? `>${escapeText(input.body).replace(/\n/g, "\n>")}` : "";
  return { text: truncate([words, media].filter(Boolean).join("\n") || "(empty message)", 3900) };
}
