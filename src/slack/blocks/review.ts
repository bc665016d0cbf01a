import type { KnownBlock, View } from "@slack/types";
import type { ReviewKey, ReviewRow } from "../../campaigns/review/review.ts";
import type { ReviewJobSummary } from "../../campaigns/review/review.ts";
import { cutText, escapeText, maskPhone, maskPhonesIn, MAX_SECTION_TEXT, MAX_VIEW_BLOCKS, truncate } from "./text.ts";

export const REVIEW_CALLBACK = "campaign_review";
export const REVIEW_ALL_CALLBACK = "campaign_review_all";
export const REVIEW_ACTIONS = {
  /** Handled elsewhere (the conversation posted to the organizer's DM); value {"c": conversation id}. */
  open: "review_open",
  /** A users_select per row; the row's block_id names the conversation. */
  reassign: "review_reassign",
  next: "review_next",
  previous: "review_previous",
  /** Opens the "Reassign all matching" view on top of the list. */
  all: "review_all",
  allTarget: "review_all_target",
} as const;
export const REVIEW_BLOCKS = { rowPrefix: "review_row:", allTarget: "review_all_target" } as const;

/** What the review modal carries: campaign (c), filter as typed again (f), page number (p), where it starts (a). */
export interface ReviewMetadata {
  c: number;
  f: string;
  p: number;
  a?: ReviewKey;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;

/** "just now", "5 min ago", "3 h ago", "2 d ago". */
export function ago(at: Date, now: Date): string {
  const minutes = Math.floor((now.getTime() - at.getTime()) / 60_000);
  if (minutes < 1) return "just now";
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} d ago`;
}

const mrkdwn = (text: string) => ({ type: "mrkdwn" as const, text: truncate(text, MAX_SECTION_TEXT) });
const plain = (text: string, limit = 75) => ({ type: "plain_text" as const, text: truncate(text, limit) });
const context = (text: string): KnownBlock => ({ type: "context", elements: [mrkdwn(text)] });

/** A contact's name as a volunteer may see it: any number in it masked, mrkdwn escaped. */
export function contactLabel(row: Pick<ReviewRow, "firstName" | "lastName" | "phone">): string {
  const name = [row.firstName, row.lastName].filter(Boolean).join(" ").trim();
  const shown = name ? escapeText(cutText(maskPhonesIn(name), 80)) : "(no name)";
  return `*${shown}* ${maskPhone(row.phone)}`;
}

/** The last message, shortened at a character boundary; numbers in it masked. */
export function lastMessageLine(row: ReviewRow): string {
  if (!row.last) return "_No messages yet._";
  const who = row.last.direction === "in" ? "Them" : "Us";
  const body = truncate(maskPhonesIn(row.last.body).replace(/\s+/g, " ").trim(), 150);
  return `_${who}:_ ${escapeText(body) || "(no text)"}`;
}

function rowBlocks(row: ReviewRow, now: Date): KnownBlock[] {
  const flags = [
    row.waiting ? "⏳ waiting" : "",
    row.escalated ? "🚩 escalated" : "",
    row.optedOut ? "⛔ opted out" : "",
    row.tag ? `🏷 ${escapeText(cutText(row.tag, 75))}` : "",
  ].filter(Boolean);
  const head =
    `${contactLabel(row)} · ${row.volunteerId ? `<@${row.volunteerId}>` : "nobody"} · ` +
    `${ago(row.last?.at ?? row.activityAt, now)}${flags.length ? ` · ${flags.join(" · ")}` : ""}`;
  return [
    { type: "section", text: mrkdwn(`${head}\n${lastMessageLine(row)}`) },
    {
      type: "actions",
      block_id: `${REVIEW_BLOCKS.rowPrefix}${row.id}`,
      elements: [
        {
          type: "button",
          action_id: REVIEW_ACTIONS.open,
          text: plain("Open"),
          value: JSON.stringify({ c: row.id }),
        },
        {
          type: "users_select",
          action_id: REVIEW_ACTIONS.reassign,
          placeholder: plain("Reassign to…"),
        },
      ],
    },
  ];
}

/** The review modal: one page of conversations, latest activity first, with paging and reassigning. */
export function reviewModal(input: {
  campaignTitle: string;
  label: string;
  meta: ReviewMetadata;
  rows: ReviewRow[];
  more: boolean;
  now: Date;
  notice?: string;
}): View {
  const { meta, rows } = input;
  const filterText = input.label ? filterLabel(input.label) : "all conversations";
  const blocks: KnownBlock[] = [
    {
      type: "section",
      text: mrkdwn(`*${escapeText(input.campaignTitle)}* · ${filterText}\nLatest activity first · page ${meta.p}`),
    },
  ];
  if (input.notice) blocks.push(context(input.notice));
  if (rows.length)
    blocks.push({
      type: "actions",
      block_id: "review_all",
      elements: [
        { type: "button", action_id: REVIEW_ACTIONS.all, text: plain("Reassign all matching…"), value: "all" },
      ],
    });
  blocks.push({ type: "divider" });
  if (!rows.length)
    blocks.push({
      type: "section",
      text: mrkdwn(meta.p > 1 ? "No more conversations match." : "No conversation matches."),
    });
  for (const row of rows) blocks.push(...rowBlocks(row, input.now));
  const paging = [];
  if (meta.p > 1 && rows[0])
    paging.push({
      type: "button" as const,
      action_id: REVIEW_ACTIONS.previous,
      text: plain("Previous"),
      value: JSON.stringify({ b: rows[0].key }),
    });
  if (input.more && rows.length)
    paging.push({
      type: "button" as const,
      action_id: REVIEW_ACTIONS.next,
      text: plain("Next"),
      value: JSON.stringify({ a: rows.at(-1)!.key }),
    });
  if (paging.length) blocks.push({ type: "divider" }, { type: "actions", block_id: "review_paging", elements: paging });
  return {
    type: "modal",
    callback_id: REVIEW_CALLBACK,
    title: plain("Review", 24),
    close: plain("Close", 24),
    private_metadata: JSON.stringify(meta),
    blocks: blocks.slice(0, MAX_VIEW_BLOCKS),
  };
}

/** Pushed over the list: who gets every matching conversation. */
export function reviewAllView(input: { campaignTitle: string; label: string; meta: ReviewMetadata }): View {
  const filterText = input.label ? `matching ${filterLabel(input.label)}` : "";
  return {
    type: "modal",
    callback_id: REVIEW_ALL_CALLBACK,
    title: plain("Reassign all", 24),
    submit: plain("Move all", 24),
    close: plain("Back", 24),
    private_metadata: JSON.stringify({ c: input.meta.c, f: input.meta.f }),
    blocks: [
      {
        type: "section",
        text: mrkdwn(
          `Move *every* conversation of *${escapeText(input.campaignTitle)}* ${filterText} — on every page, ` +
            `not only the one shown — to:`,
        ),
      },
      {
        type: "input",
        block_id: REVIEW_BLOCKS.allTarget,
        label: plain("New volunteer", 2000),
        element: { type: "users_select", action_id: REVIEW_ACTIONS.allTarget, placeholder: plain("Pick someone") },
      },
      context(
        "Opted-out conversations stay where they are. Each history is posted to the new volunteer, each " +
          "previous volunteer is told, and a summary comes to your DM when it is done.",
      ),
    ],
  };
}

/** Told to the volunteer who had the conversation, in its old thread (or their DM). */
export function movedAwayText(input: {
  organizer: string;
  to: string;
  inThread: boolean;
  contact: string;
  campaignTitle: string;
}): string {
  const who = `<@${input.organizer}>`;
  const title = escapeText(input.campaignTitle);
  return input.inThread
    ? `↪️ ${who} moved this conversation to <@${input.to}>; it continues in their DM. Nothing more to do here.`
    : `↪️ ${who} moved your conversation with ${input.contact} in *${title}* to <@${input.to}>; ` +
        `it continues in their DM.`;
}

/** Told once per job to each volunteer whose conversations it moved. */
export function movedManyAwayText(input: {
  organizer: string;
  to: string;
  count: number;
  campaignTitle: string;
}): string {
  const one = input.count === 1;
  const what = one ? "one of your conversations" : `${input.count.toLocaleString("en-US")} of your conversations`;
  return (
    `↪️ <@${input.organizer}> moved ${what} in *${escapeText(input.campaignTitle)}* to <@${input.to}>; ` +
    `${one ? "it continues" : "they continue"} in their DM with ${one ? "its" : "their"} history.`
  );
}

/** The organizer's summary of a "reassign all matching". */
/**
 * A filter as the organizer typed it, for mrkdwn: a volunteer named in it (`<@U…>`, as Slack
 * sends mentions) shows as that person; the rest is escaped and kept in quotes.
 */
export function filterLabel(label: string): string {
  const parts = label.split(/(<@[UW][A-Z0-9]+(?:\|[^>]*)?>)/);
  const shown = parts
    .map((part) => {
      const mention = /^<@([UW][A-Z0-9]+)/.exec(part);
      return mention ? `<@${mention[1]}>` : escapeText(part);
    })
    .join("");
  return `“${shown}”`;
}

export function reviewJobSummaryText(input: {
  campaignTitle: string;
  label: string;
  to: string;
  summary: Pick<ReviewJobSummary, "moved" | "already" | "optedOut">;
  error?: string;
}): string {
  const { summary } = input;
  const filter = input.label ? filterLabel(input.label) : "(every conversation)";
  const what = `Reassign all matching ${filter} in *${escapeText(input.campaignTitle)}*`;
  const moved = plural(summary.moved, "conversation");
  if (input.error) return `⚠️ ${what} stopped: ${input.error} ${moved} had moved to <@${input.to}> by then.`;
  const parts = [`✅ ${what}: moved ${moved} to <@${input.to}>, each with its history.`];
  if (summary.already) parts.push(`${plural(summary.already, "was", "were")} already theirs.`);
  if (summary.optedOut) {
    const where = summary.optedOut === 1 ? "it was" : "they were";
    parts.push(`${plural(summary.optedOut, "opted-out conversation")} stayed where ${where}.`);
  }
  return parts.join(" ");
}
