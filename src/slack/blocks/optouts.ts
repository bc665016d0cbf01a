import type { KnownBlock } from "@slack/types";
import type { OptOutImportSummary, OptOutRecord } from "../../campaigns/opt-outs/manage.ts";
import { escapeText, maskPhone, truncate } from "./text.ts";

/** Buttons of the "remove from the opt-out list?" question. */
export const OPTOUT_ACTIONS = { remove: "optouts_remove", cancel: "optouts_cancel" } as const;

/** Shown wherever a number is asked for. */
export const EXAMPLE_PHONE = "+1 202 555 0143";

/** A moment as Slack shows it in the reader's own time zone (UTC where it can't). */
export function slackTime(at: Date): string {
  const utc = `${at.toISOString().slice(0, 16).replace("T", " ")} UTC`;
  return `<!date^${Math.floor(at.getTime() / 1000)}^{date_short_pretty} at {time}|${utc}>`;
}

/** How a number came onto the list, and who did it when a person in Slack did. */
export function howOptedOut(record: OptOutRecord): string {
  const where = record.campaignTitle ? ` (*${escapeText(record.campaignTitle)}*)` : "";
  const by = record.by ? `<@${record.by}>` : undefined;
  switch (record.how) {
    case "keyword":
      return `they texted ${record.keyword ? `“${escapeText(record.keyword)}”` : "an opt-out word"}${where}`;
    case "button":
      return `${by ?? "a volunteer"} pressed *Opt out* in a conversation thread${where}`;
    case "carrier": {
      const code = record.source.replace(/^twilio_/, "");
      return (
        `the carrier refused a text to it (Twilio error ${escapeText(code)}: the number had replied STOP ` +
        `to our sending number)${where}`
      );
    }
    case "organizer":
      return `${by ?? "an organizer"} added it with \`/campaign optouts add\``;
    case "import":
      return `${by ?? "an organizer"} imported it from an opt-out CSV`;
    default:
      return `recorded as \`${escapeText(record.source)}\`${by ? ` by ${by}` : ""}`;
  }
}

/** "•••0143 has been on the opt-out list since <when>: how." */
export function optOutLine(record: OptOutRecord): string {
  const since = slackTime(record.since);
  return `${maskPhone(record.phone)} has been on the opt-out list since ${since}: ${howOptedOut(record)}.`;
}

/** The question `/campaign optouts remove` asks before anything changes. */
export function removeQuestion(record: OptOutRecord): { text: string; blocks: KnownBlock[] } {
  const text =
    `Take ${maskPhone(record.phone)} off the opt-out list? ${optOutLine(record)}\n` +
    `Once it is off, any campaign may text this number again: its contacts that were never texted ` +
    `go back to their campaigns' pools.`;
  return {
    text,
    blocks: [
      { type: "section", text: { type: "mrkdwn", text: truncate(text, 3000) } },
      {
        type: "actions",
        block_id: "optouts_remove",
        elements: [
          {
            type: "button",
            action_id: OPTOUT_ACTIONS.remove,
            style: "danger",
            text: { type: "plain_text", text: "Remove" },
            value: JSON.stringify({ p: record.phone, s: record.since.getTime() }),
          },
          {
            type: "button",
            action_id: OPTOUT_ACTIONS.cancel,
            text: { type: "plain_text", text: "Cancel" },
            value: JSON.stringify({ p: record.phone }),
          },
        ],
      },
    ],
  };
}

const n = (value: number) => value.toLocaleString("en-US");

function countLines(s: OptOutImportSummary): string[] {
  return [
    `• Added: ${n(s.added)}`,
    `• Already on the list: ${n(s.alreadyListed)}`,
    ...(s.repeatedInFile ? [`• Repeated in the file (counted once): ${n(s.repeatedInFile)}`] : []),
    `• Invalid: ${n(s.invalid)}`,
    ...s.invalidRows.map((r) => `    row ${r.rowNumber}: ${escapeText(r.reason)}`),
    ...(s.invalid > s.invalidRows.length ? [`    …and ${n(s.invalid - s.invalidRows.length)} more`] : []),
  ];
}

const columnsRead = (s: OptOutImportSummary) =>
  s.phoneColumns.length
    ? ` (${s.phoneColumns.length === 1 ? "phone column" : "phone columns"} ` +
      `${s.phoneColumns.map((c) => `"${escapeText(truncate(c, 40))}"`).join(", ")})`
    : "";

/** The organizer's DM once an opt-out import is over. */
export function optOutImportText(
  fileName: string,
  result: { ok: true; summary: OptOutImportSummary } | { ok: false; reason: string; summary: OptOutImportSummary },
): string {
  const file = `*${escapeText(fileName)}*`;
  const s = result.summary;
  if (!result.ok) {
    const head = `:warning: ${file} was not imported into the opt-out list: ${escapeText(result.reason)}`;
    if (s.rows === 0) return `${head}\nNothing was changed.`;
    return [
      head,
      `The ${n(s.rows)} rows before that were read${columnsRead(s)} and their numbers stay on the list:`,
      ...countLines(s),
      "Fix the file and import it again: numbers already added are counted as already on the list.",
    ].join("\n");
  }
  return [
    `*Opt-out import* of ${file} finished: *${n(s.added)} added* to the opt-out list ` +
      `from ${n(s.rows)} rows${columnsRead(s)}.`,
    ...countLines(s),
    s.added
      ? "Contacts with the added numbers left their campaigns' pools: nobody will text them again."
      : "Nothing new to add.",
  ].join("\n");
}
