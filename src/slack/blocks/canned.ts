import type { View } from "@slack/types";
import { cutText, escapeText, maskPhone, truncate } from "./text.ts";

/** The canned-reply modal: opened by a canned reply's button, texted only on Send. */
export const CANNED_CALLBACK = "conv_canned_send";
export const CANNED_BLOCK = "canned_text";
export const CANNED_ACTION = "value";
/** The longest text one reply may be (the same limit as a reply written in the thread). */
export const MAX_CANNED_LENGTH = 1600;

/**
 * What the modal carries from the click to Send: the conversation, the reply's index and title
 * (a script saved meanwhile is noticed), the key the text is stored under (once per canned reply
 * per message from the contact, so a double submit or a second modal sends one text), and where
 * the click came from (the thread to post "Sent …" in, and the response_url that redraws it).
 */
export interface CannedModalMetadata {
  c: number;
  i: number;
  t: string;
  k: string;
  ch?: string;
  ts?: string;
  r?: string;
}

/**
 * The canned reply as it will be texted (merge fields filled for this contact), in a box the
 * volunteer can edit; Send texts it once, Cancel closes and sends nothing.
 */
export function cannedModal(
  meta: CannedModalMetadata,
  input: { title: string; text: string; contactName: string; phone: string },
): View {
  const who = `${escapeText(input.contactName || "this contact")} ${maskPhone(input.phone)}`;
  return {
    type: "modal",
    callback_id: CANNED_CALLBACK,
    private_metadata: JSON.stringify(meta),
    title: { type: "plain_text", text: "Send a canned reply" },
    submit: { type: "plain_text", text: "Send" },
    close: { type: "plain_text", text: "Cancel" },
    blocks: [
      {
        type: "section",
        text: {
          type: "mrkdwn",
          text: truncate(
            `*${escapeText(input.title)}* to *${who}*. Edit it if you like; *Send* texts it once, ` +
              "*Cancel* sends nothing.",
            3000,
          ),
        },
      },
      {
        type: "input",
        block_id: CANNED_BLOCK,
        label: { type: "plain_text", text: "Text" },
        element: {
          type: "plain_text_input",
          action_id: CANNED_ACTION,
          multiline: true,
          max_length: MAX_CANNED_LENGTH,
          initial_value: cutText(input.text, MAX_CANNED_LENGTH),
        },
      },
    ],
  };
}

/** Why a canned reply's text cannot be sent as written, or undefined. */
export function cannedTextProblem(text: string): string | undefined {
  if (!text.trim()) return "Write the text first: an empty text cannot be sent.";
  if (text.length > MAX_CANNED_LENGTH)
    return `The text is ${text.length} characters; at most ${MAX_CANNED_LENGTH} can be sent.`;
  return undefined;
}

/** The line posted in the thread once the reply is stored to be texted. */
export function cannedSentPost(input: { title: string; text: string }): { text: string } {
  return { text: truncate(`Sent “${escapeText(input.title)}”: ${escapeText(input.text)}`, 3900) };
}
