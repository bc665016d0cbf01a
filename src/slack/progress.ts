import type { KnownBlock } from "@slack/types";
import type { Progress } from "../campaigns/sending/progress.ts";
import type { Contact } from "../db/schema.ts";
import { escapeText } from "./blocks/text.ts";

export { progressAfterPress } from "../campaigns/sending/progress.ts";

/**
 * The progress line at the top of the volunteer's next card: what the press did and where they
 * stand. The figures are hints kept in memory (campaigns/sending/progress.ts), never a count per press.
 */
const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;

/** "Maria A.": the first name and the last name's initial; "this contact" without a name. */
export function shortName(contact: Pick<Contact, "first_name" | "last_name">): string {
  const first = contact.first_name?.trim() ?? "";
  const initial = contact.last_name?.trim().charAt(0).toUpperCase() ?? "";
  const name = [first, initial ? `${initial}.` : ""].filter(Boolean).join(" ");
  return name ? escapeText(name) : "this contact";
}

/** The figures half of the line: "3 openings sent by you · 6 left in the pool". */
export function progressFigures(progress: Progress): string {
  const left = progress.more
    ? `over ${plural(progress.left, "contact")} left in the pool`
    : `${progress.about ? "about " : ""}${progress.left.toLocaleString("en-US")} left in the pool`;
  return `${plural(progress.sent, "opening")} sent by you · ${left}`;
}

/** After Send: "✓ Texted Maria A. · 3 openings sent by you · 6 left in the pool". */
export function sentLine(what: string, progress: Progress): string {
  return `✓ ${what} · ${progressFigures(progress)}`;
}

/**
 * After Skip, what skipContact (or skipFollowup) did: the contact went back to the pool, for
 * anyone but the volunteer who skipped them.
 */
export function skippedLine(contact: Pick<Contact, "first_name" | "last_name">, what = "back in the pool"): string {
  return `Skipped ${shortName(contact)}: ${what} for someone else (not you again)`;
}

/** The card with a context line on top (one already there stays, under it). */
export function withNotice<T extends { text: string; blocks: KnownBlock[] }>(card: T, notice: string): T {
  return { ...card, blocks: [{ type: "context", elements: [{ type: "mrkdwn", text: notice }] }, ...card.blocks] };
}
