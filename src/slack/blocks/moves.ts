import type { KnownBlock } from "@slack/types";
import type { ConversationView } from "./conversation.ts";
import { escapeText, maskPhone, maskPhonesIn, truncate } from "./text.ts";
import { filterLabel } from "./review.ts";

/**
 * A thread parent whose conversation went to someone else: who and the opening as before, what
 * happened instead of the buttons (none are left, so nothing here can text the contact or record
 * an outcome), and the outcome it had. Sent as a chat.update of the old parent.
 */
export function movedParent(view: ConversationView, note: string): { text: string; blocks: KnownBlock[] } {
  const who = `${escapeText(view.contactName || "(no name)")} ${maskPhone(view.phone)}`;
  return {
    text: `${view.contactName || "A contact"} (${view.campaignTitle}): ${note}`,
    blocks: [
      {
        type: "section",
        text: {
          type: "mrkdwn",
          text: truncate(
            `*${who}* · ${escapeText(view.campaignTitle)}` +
              (view.context ? `\n${escapeText(maskPhonesIn(view.context))}` : ""),
            3000,
          ),
        },
      },
      { type: "context", elements: [{ type: "mrkdwn", text: truncate(`Opening: ${escapeText(view.opening)}`, 3000) }] },
      { type: "section", text: { type: "mrkdwn", text: truncate(note, 3000) } },
      {
        type: "context",
        elements: [
          {
            type: "mrkdwn",
            text: view.currentTag ? `Outcome: *${escapeText(view.currentTag)}*` : "No outcome yet",
          },
        ],
      },
    ],
  };
}

/** What the old parent says once its conversation moved: to whom, why, and that nothing here is texted. */
export function movedNote(input: { to: string; by?: string; staleMinutes?: number }): string {
  const why =
    input.staleMinutes !== undefined
      ? `: this reply waited over ${input.staleMinutes} minutes${input.by ? ` and <@${input.by}> released it` : ""}.`
      : input.by
        ? ` by <@${input.by}>.`
        : ".";
  return (
    `:leftwards_arrow_with_hook: *Moved to <@${input.to}>*${why} ` +
    "It continues in their DM; nothing written here is texted any more."
  );
}

/** "<@A>", "<@A> and <@B>", "<@A>, <@B> and 3 others"; people who had nobody's conversations count as "nobody". */
export function peopleList(ids: readonly (string | null)[]): string {
  const names = ids.map((id) => (id ? `<@${id}>` : "nobody"));
  if (names.length <= 1) return names[0] ?? "nobody";
  if (names.length === 2) return `${names[0]} and ${names[1]}`;
  if (names.length === 3) return `${names[0]}, ${names[1]} and ${names[2]}`;
  return `${names[0]}, ${names[1]} and ${names.length - 2} others`;
}

const conversations = (n: number) => (n === 1 ? "1 conversation" : `${n.toLocaleString("en-US")} conversations`);

/**
 * The one message the new volunteer gets before the threads moved to them (posted first in
 * their DM; the threads follow in this order).
 */
export function moveIntroText(input: {
  count: number;
  from: readonly (string | null)[];
  campaignTitle: string;
  by?: string;
  staleMinutes?: number;
  order: "newest activity first" | "longest waiting first" | "oldest first";
  filterLabel?: string;
}): string {
  const title = escapeText(input.campaignTitle);
  const what = conversations(input.count);
  const follow = input.count === 1 ? "it follows" : `they follow, ${input.order}`;
  const from = peopleList(input.from);
  if (input.staleMinutes !== undefined)
    return (
      `:inbox_tray: ${what} in *${title}* waited over ${input.staleMinutes} minutes for an answer from ${from}, ` +
      `so ${input.count === 1 ? "it" : "they"} came to you${input.by ? ` (released by <@${input.by}>)` : ""}: ` +
      `${follow}. Reply in each thread to text them.`
    );
  const matching = input.filterLabel ? ` matching ${filterLabel(input.filterLabel)}` : "";
  return (
    `:inbox_tray: ${input.by ? `<@${input.by}>` : "An organizer"} moved ${what}${matching} to you from ${from} ` +
    `in *${title}*: ${follow}. Reply in each thread to text them.`
  );
}
