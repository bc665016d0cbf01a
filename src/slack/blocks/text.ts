import { findPhoneNumbersInText } from "libphonenumber-js";
/** Slack's Block Kit limits that builders must respect (Slack refuses the whole message past them). */
export const MAX_MESSAGE_BLOCKS = 50;
export const MAX_VIEW_BLOCKS = 100;
export const MAX_SECTION_TEXT = 3000;
export const MAX_BUTTON_TEXT = 75;

/** Escapes the three characters Slack's mrkdwn treats as control characters. */
export function escapeText(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/**
 * The longest start of `text` that is whole characters as a person sees them (an emoji, a flag,
 * a letter with its accent) and at most `limit` UTF-16 units long — the length Slack's limits
 * are checked against. A cut inside an emoji would leave a lone surrogate, which PostgreSQL's
 * jsonb refuses (and a reply with it would never be posted).
 */
export function cutText(text: string, limit: number): string {
  if (text.length <= limit) return text;
  let end = 0;
  for (const { index, segment } of graphemes.segment(text)) {
    if (index + segment.length > limit) break;
    end = index + segment.length;
  }
  return text.slice(0, end);
}

/** The first character of `text` as a person sees it (an accented letter, an emoji); "" for "". */
export function firstCharacter(text: string): string {
  for (const { segment } of graphemes.segment(text)) return segment;
  return "";
}

/** Cuts text to a limit at a character boundary, marking the cut with an ellipsis. */
export function truncate(text: string, limit: number): string {
  return text.length <= limit ? text : cutText(text, limit - 1) + "…";
}

/**
 * Any phone number inside a text a volunteer will see (a custom column such as "Home Phone", a
 * note), masked like the contact's own: volunteers never see a full number.
 */
export function maskPhonesIn(text: string): string {
  const found = findPhoneNumbersInText(text, "US");
  let out = text;
  for (const match of found.reverse()) {
    out = out.slice(0, match.startsAt) + maskPhone(match.number.number) + out.slice(match.endsAt);
  }
  return out;
}

/** Volunteers see at most the last four digits of a contact's number. */
export function maskPhone(e164: string): string {
  return `•••${e164.slice(-4)}`;
}
