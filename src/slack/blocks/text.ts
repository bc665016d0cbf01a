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

/** Cuts text to a limit, marking the cut with an ellipsis. */
export function truncate(text: string, limit: number): string {
  return text.length <= limit ? text : text.slice(0, limit - 1) + "…";
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
