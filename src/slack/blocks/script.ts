import type { KnownBlock, View } from "@slack/types";
import type { ScriptPreview } from "../../campaigns/scripts/preview.ts";
import { overSegmentBoundary, type SegmentInfo } from "../../campaigns/scripts/segments.ts";
import { availableFields, listFields, MAX_TEXT_LENGTH } from "../../campaigns/scripts/scripts.ts";
import { MAX_OUTCOME_TAGS } from "../../campaigns/scripts/script-input.ts";
import {
  DEFAULT_HELP_REPLY,
  DEFAULT_OPT_OUT_REPLY,
  MAX_AUTO_REPLY_LENGTH,
} from "../../campaigns/opt-outs/reply-texts.ts";
import {
  cannedReplyLine,
  MAX_ANSWER_TEXT,
  MAX_ANSWERS,
  MAX_QUESTION_LABEL,
  MAX_QUESTIONS,
  surveyQuestionsText,
} from "../../campaigns/surveys/survey-input.ts";
import type { Campaign } from "../../db/schema.ts";
import { cutText, escapeText, MAX_SECTION_TEXT, truncate } from "./text.ts";

export const SCRIPT_CALLBACK = "campaign_script";
export const SCRIPT_SAVED_CALLBACK = "campaign_script_saved";
/** Block ids are the keys of `response_action: "errors"`, so each names its box. */
export const SCRIPT_BLOCKS = {
  opening: "opening",
  canned: "canned",
  tags: "tags",
  survey: "survey",
  optOutReply: "optOutReply",
  helpReply: "helpReply",
} as const;
/** The boxes keep action_id "value" (tests and saved payloads use it); block ids tell them apart. */
export const SCRIPT_ACTIONS = {
  opening: "value",
  canned: "value",
  tags: "value",
  survey: "value",
  optOutReply: "value",
  helpReply: "value",
  editAgain: "script_edit_again",
} as const;

const MAX_PRIVATE_METADATA = 3000;
/** Slack's ceiling for a plain_text_input. */
const MAX_INPUT_LENGTH = 3000;

/**
 * What the modal carries between requests: the campaign (`c`), the name used for
 * {texter_name} (`t`), and the counts of contacts lacking each field already counted
 * (`n` contacts, `m` per field) so typing does not recount a million contacts per keystroke.
 */
export interface ScriptModalMetadata {
  c: number;
  t?: string;
  n?: number;
  m?: Record<string, number>;
}

/** private_metadata holds 3000 characters; the count cache is the part that can go. */
export function encodeScriptMetadata(meta: ScriptModalMetadata): string {
  const full = JSON.stringify(meta);
  return full.length <= MAX_PRIVATE_METADATA
    ? full
    : JSON.stringify({ c: meta.c, ...(meta.t ? { t: cutText(meta.t, 80) } : {}) });
}

type ScriptCampaign = Pick<
  Campaign,
  "title" | "opening_message" | "canned_replies" | "outcome_tags" | "custom_fields"
> &
  Partial<Pick<Campaign, "survey_questions" | "opt_out_reply" | "help_text">>;

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;
const mrkdwnSection = (text: string): KnownBlock => ({
  type: "section",
  text: { type: "mrkdwn", text: truncate(text, MAX_SECTION_TEXT) },
});
const context = (text: string): KnownBlock => ({
  type: "context",
  elements: [{ type: "mrkdwn", text: truncate(text, MAX_SECTION_TEXT) }],
});

/** " · 2 characters over one SMS" when a small cut would save a segment, else "". */
function overLine(s: SegmentInfo): string {
  const near = overSegmentBoundary(s);
  if (!near) return "";
  const limit = near.fewerSegments === 1 ? "one SMS" : `${near.fewerSegments} segments`;
  return ` · *${plural(near.over, "character")} over ${limit}*`;
}

/** The preview: rendered text exactly as sent (plain text, so nothing is formatted), then its figures. */
export function previewBlocks(preview: ScriptPreview | undefined, heading: string): KnownBlock[] {
  if (!preview) return [context("No opening message yet. Write one above; the preview follows what you type.")];
  const s = preview.segments;
  const blocks: KnownBlock[] = [
    mrkdwnSection(
      `*${heading}* for ${escapeText(preview.sampleName)}, sent by ${escapeText(preview.texterName)}` +
        `${preview.texterIsExample ? " (an example volunteer name)" : ""}:`,
    ),
    {
      type: "section",
      text: {
        type: "plain_text",
        text: truncate(preview.rendered || "(renders empty)", MAX_SECTION_TEXT),
        emoji: false,
      },
    },
    context(
      `${s.encoding} · ${plural(s.segments, "segment")} · ${plural(preview.characters, "character")}` + overLine(s),
    ),
  ];
  if (preview.problem) blocks.push(mrkdwnSection(`:no_entry: Can't save yet: ${escapeText(preview.problem)}`));
  if (preview.warnings.length)
    blocks.push(mrkdwnSection(preview.warnings.map((w) => `:warning: ${escapeText(w)}.`).join("\n")));
  if (!preview.gaps) blocks.push(context("Counting contacts without a value…"));
  else if (preview.gaps.length) {
    const of = preview.contacts !== undefined ? ` of ${preview.contacts.toLocaleString("en-US")}` : "";
    const lines = preview.gaps.map((g) => {
      const who =
        `${g.contacts.toLocaleString("en-US")}${of} contact${of || g.contacts !== 1 ? "s" : ""} ` +
        `${g.contacts === 1 ? "has" : "have"}`;
      const fallback = g.label === "first_name" ? "friend" : `your ${g.label.replace(/_/g, " ")}`;
      return (
        `:information_source: ${who} no {${escapeText(g.label)}}: it renders empty for them. ` +
        `A fallback such as {${escapeText(g.label)}|${escapeText(fallback)}} fills the gap.`
      );
    });
    blocks.push(context(lines.join("\n")));
  }
  return blocks;
}

function fieldsHelp(campaign: ScriptCampaign): string {
  return (
    `*${escapeText(campaign.title)}* · merge fields: ${escapeText(listFields(availableFields(campaign), 40))} · ` +
    `\`{field|fallback}\` when a value may be empty · \`{{\` and \`}}\` for braces`
  );
}

/** The form, prefilled with the saved script, above the preview. */
export function scriptModal(
  campaign: ScriptCampaign,
  preview: ScriptPreview | undefined,
  meta: ScriptModalMetadata,
  heading = "Saved opening",
): View {
  const canned = (campaign.canned_replies ?? []).map(cannedReplyLine).join("\n");
  const survey = surveyQuestionsText(campaign.survey_questions);
  const tags = (campaign.outcome_tags ?? []).join(", ");
  const initial = (text: string | null | undefined, max: number) => (text ? { initial_value: cutText(text, max) } : {});
  return {
    type: "modal",
    callback_id: SCRIPT_CALLBACK,
    private_metadata: encodeScriptMetadata(meta),
    title: { type: "plain_text", text: "Campaign script" },
    submit: { type: "plain_text", text: "Save" },
    close: { type: "plain_text", text: "Cancel" },
    blocks: [
      context(fieldsHelp(campaign)),
      {
        type: "input",
        block_id: SCRIPT_BLOCKS.opening,
        label: { type: "plain_text", text: "Opening message" },
        // Each keystroke comes to us so the preview below can follow the text.
        dispatch_action: true,
        element: {
          type: "plain_text_input",
          action_id: SCRIPT_ACTIONS.opening,
          multiline: true,
          max_length: MAX_TEXT_LENGTH,
          dispatch_action_config: { trigger_actions_on: ["on_character_entered"] },
          placeholder: {
            type: "plain_text",
            text: "Hi {first_name}, this is {texter_name} with {campaign}… Reply STOP to opt out.",
          },
          ...initial(campaign.opening_message, MAX_TEXT_LENGTH),
        },
      },
      {
        type: "input",
        block_id: SCRIPT_BLOCKS.canned,
        optional: true,
        label: { type: "plain_text", text: "Canned replies" },
        hint: {
          type: "plain_text",
          text:
            "One per line, as Title: text. The title becomes a button (up to 75 characters); " +
            "the text may use merge fields. End a line with [Question=Answer] to record that survey " +
            "answer when the reply is sent.",
        },
        element: {
          type: "plain_text_input",
          action_id: SCRIPT_ACTIONS.canned,
          multiline: true,
          max_length: MAX_INPUT_LENGTH,
          ...initial(canned, MAX_INPUT_LENGTH),
        },
      },
      {
        type: "input",
        block_id: SCRIPT_BLOCKS.tags,
        optional: true,
        label: { type: "plain_text", text: "Outcome tags" },
        hint: {
          type: "plain_text",
          text: `Comma-separated, up to ${MAX_OUTCOME_TAGS}; each becomes a button (up to 75 characters).`,
        },
        element: {
          type: "plain_text_input",
          action_id: SCRIPT_ACTIONS.tags,
          max_length: MAX_INPUT_LENGTH,
          ...initial(tags, MAX_INPUT_LENGTH),
        },
      },
      {
        type: "input",
        block_id: SCRIPT_BLOCKS.survey,
        optional: true,
        label: { type: "plain_text", text: "Survey questions" },
        hint: {
          type: "plain_text",
          text:
            `One per line, as Question: Answer | Answer | … (up to ${MAX_QUESTIONS} questions, ` +
            `2 to ${MAX_ANSWERS} answers each; a question up to ${MAX_QUESTION_LABEL} characters, ` +
            `an answer up to ${MAX_ANSWER_TEXT}). Answers already recorded stay when you edit.`,
        },
        element: {
          type: "plain_text_input",
          action_id: SCRIPT_ACTIONS.survey,
          multiline: true,
          max_length: MAX_INPUT_LENGTH,
          placeholder: { type: "plain_text", text: "Vote plan: Early | Election Day | By mail | Not voting" },
          ...initial(survey, MAX_INPUT_LENGTH),
        },
      },
      autoReplyInput(
        SCRIPT_BLOCKS.optOutReply,
        "Opt-out reply",
        "Texted once to a number that opts out in words Textbank recognizes, or by the thread's Opt out " +
          "button (Twilio answers STOP and its other one-word keywords itself).",
        DEFAULT_OPT_OUT_REPLY,
        campaign.opt_out_reply,
      ),
      autoReplyInput(
        SCRIPT_BLOCKS.helpReply,
        "HELP reply",
        "Texted to a contact who sends HELP or INFO, at most once a day per number.",
        DEFAULT_HELP_REPLY,
        campaign.help_text,
      ),
      { type: "divider" },
      ...previewBlocks(preview, heading),
    ],
  };
}

/** An automatic reply's box: empty means the default, which the placeholder shows. */
function autoReplyInput(
  blockId: string,
  label: string,
  when: string,
  defaultText: string,
  saved: string | null | undefined,
): KnownBlock {
  return {
    type: "input",
    block_id: blockId,
    optional: true,
    label: { type: "plain_text", text: label },
    hint: {
      type: "plain_text",
      text: `${when} Up to ${MAX_AUTO_REPLY_LENGTH} characters; merge fields allowed. Empty: the text shown.`,
    },
    element: {
      type: "plain_text_input",
      action_id: "value",
      multiline: true,
      max_length: MAX_AUTO_REPLY_LENGTH,
      // Slack cuts a placeholder at 150 characters; the defaults are shorter.
      placeholder: { type: "plain_text", text: truncate(defaultText, 150) },
      ...(saved?.trim() ? { initial_value: cutText(saved, MAX_AUTO_REPLY_LENGTH) } : {}),
    },
  };
}

function nextStep(campaign: Pick<Campaign, "slug" | "state">, contacts: number | undefined): string {
  if (campaign.state === "active") return "The campaign is live: volunteers' next cards use this opening.";
  if (contacts === 0)
    return `Next: contacts with \`/campaign upload ${campaign.slug}\`, then \`/campaign launch ${campaign.slug}\`.`;
  return `Next: \`/campaign launch ${campaign.slug}\` when you are ready.`;
}

/** What the modal becomes once saved: the saved opening's preview, warnings included. */
export function scriptSavedView(
  campaign: Pick<Campaign, "id" | "slug" | "title" | "state">,
  preview: ScriptPreview,
  counts: { canned: number; tags: number; questions?: number },
): View {
  const summary =
    `:white_check_mark: Saved the script of *${escapeText(campaign.title)}*: the opening message, ` +
    `${plural(counts.canned, "canned reply", "canned replies")} and ${plural(counts.tags, "outcome tag")}.` +
    (counts.questions ? ` The survey asks ${plural(counts.questions, "question")}.` : "") +
    (preview.warnings.length ? " The warnings below don't stop a launch, but are worth a look." : "");
  return {
    type: "modal",
    callback_id: SCRIPT_SAVED_CALLBACK,
    private_metadata: encodeScriptMetadata({ c: campaign.id }),
    title: { type: "plain_text", text: "Script saved" },
    close: { type: "plain_text", text: "Done" },
    blocks: [
      {
        type: "section",
        text: { type: "mrkdwn", text: truncate(summary, MAX_SECTION_TEXT) },
        accessory: {
          type: "button",
          action_id: SCRIPT_ACTIONS.editAgain,
          text: { type: "plain_text", text: "Edit again" },
          value: String(campaign.id),
        },
      },
      { type: "divider" },
      ...previewBlocks(preview, "The opening"),
      context(nextStep(campaign, preview.contacts)),
    ],
  };
}

/** Replaces the saved view when Edit again is no longer possible, saying why. */
export function scriptNoticeView(text: string): View {
  return {
    type: "modal",
    title: { type: "plain_text", text: "Campaign script" },
    close: { type: "plain_text", text: "Close" },
    blocks: [mrkdwnSection(escapeText(text))],
  };
}
