import type { KnownBlock, PlainTextOption, View } from "@slack/types";
import { MAX_ANSWER_BUTTONS, MAX_NOTE_LENGTH } from "../../campaigns/surveys/survey-input.ts";
import type { SurveyQuestion } from "../../db/schema.ts";
import { escapeText, truncate } from "./text.ts";

export const SURVEY_ACTIONS = {
  /** `survey_answer:<question>:<index>`: one button per answer (action ids are unique per message). */
  answer: "survey_answer",
  /** `survey_select:<question>`: the menu of a question with more answers than buttons fit. */
  select: "survey_select",
  addNote: "conv_note",
} as const;
export const NOTE_CALLBACK = "conv_note";
export const NOTE_BLOCK = "note";
export const NOTE_ACTION = "value";

/**
 * What an answer button (or menu option) carries: conversation `c`, campaign `k`, question `q`
 * and the answer itself `a`, so a button drawn before the survey changed is checked against the
 * survey as it is now, never taken by position.
 */
export interface AnswerValue {
  c: number;
  k: number;
  q: number;
  a: string;
}

export interface SurveyRows {
  conversationId: number;
  campaignId: number;
  /** The questions still asked, in order. */
  questions: readonly SurveyQuestion[];
  current: ReadonlyMap<number, string>;
}

const plain = (text: string) => ({ type: "plain_text" as const, text: truncate(text, 75), emoji: true });

/**
 * One row per question on the thread parent: its label, then its answers as buttons (the
 * current one marked and styled primary) or, past MAX_ANSWER_BUTTONS, a menu showing the current one.
 */
export function surveyBlocks(rows: SurveyRows): KnownBlock[] {
  return rows.questions.flatMap((question): KnownBlock[] => {
    const chosen = rows.current.get(question.id);
    const value = (answer: string) =>
      JSON.stringify({ c: rows.conversationId, k: rows.campaignId, q: question.id, a: answer } satisfies AnswerValue);
    const label = `*${escapeText(question.label)}*`;
    if (question.answers.length > MAX_ANSWER_BUTTONS) {
      const options: PlainTextOption[] = question.answers.map((answer) => ({
        text: plain(answer),
        value: value(answer),
      }));
      const initial = options.find((_, i) => question.answers[i] === chosen);
      return [
        {
          type: "section",
          block_id: `survey:${rows.conversationId}:${question.id}`,
          text: { type: "mrkdwn", text: label },
          accessory: {
            type: "static_select",
            action_id: `${SURVEY_ACTIONS.select}:${question.id}`,
            placeholder: plain("Choose an answer"),
            options,
            ...(initial ? { initial_option: initial } : {}),
          },
        },
      ];
    }
    return [
      { type: "section", text: { type: "mrkdwn", text: label } },
      {
        type: "actions",
        block_id: `survey:${rows.conversationId}:${question.id}`,
        elements: question.answers.map((answer, index) => ({
          type: "button" as const,
          action_id: `${SURVEY_ACTIONS.answer}:${question.id}:${index}`,
          text: plain(answer === chosen ? `✓ ${answer}` : answer),
          value: value(answer),
          ...(answer === chosen ? { style: "primary" as const } : {}),
        })),
      },
    ];
  });
}

/** The Add note button's value: the conversation. */
export function addNoteButton(conversationId: number) {
  return {
    type: "button" as const,
    action_id: SURVEY_ACTIONS.addNote,
    text: plain("Add note"),
    value: JSON.stringify({ c: conversationId }),
  };
}

/**
 * What the note modal carries: the conversation, and where its parent was clicked (channel `ch`
 * and message `ts`) for a thread the conversation has not stored yet.
 */
export interface NoteModalMetadata {
  c: number;
  ch?: string;
  ts?: string;
}

export function noteModal(meta: NoteModalMetadata, contactName: string): View {
  return {
    type: "modal",
    callback_id: NOTE_CALLBACK,
    private_metadata: JSON.stringify(meta),
    title: plain("Add a note"),
    submit: plain("Save note"),
    close: plain("Cancel"),
    blocks: [
      {
        type: "context",
        elements: [
          {
            type: "mrkdwn",
            text: truncate(
              `About *${escapeText(contactName || "this contact")}*. Notes stay with the conversation and ` +
                `appear in its thread and the export; the contact never sees them.`,
              3000,
            ),
          },
        ],
      },
      {
        type: "input",
        block_id: NOTE_BLOCK,
        label: plain("Note"),
        element: {
          type: "plain_text_input",
          action_id: NOTE_ACTION,
          multiline: true,
          max_length: MAX_NOTE_LENGTH,
        },
      },
    ],
  };
}

/** The note as posted in the conversation's thread, with its author. */
export function notePost(input: { userId: string; body: string }): { text: string } {
  const quoted = escapeText(input.body).replace(/\n/g, "\n>");
  return { text: `:memo: Note from <@${input.userId}>:\n>${quoted}` };
}
