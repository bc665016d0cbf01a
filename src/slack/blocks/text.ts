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

/** Volunteers see at most the last four digits of a contact's number. */
export function maskPhone(e164: string): string {
  return `•••${e164.slice(-4)}`;
}
