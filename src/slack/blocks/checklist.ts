import type { KnownBlock } from "@slack/types";
import type { ChecklistState } from "../../campaigns/checklist.ts";
import { escapeText, MAX_SECTION_TEXT, truncate } from "./text.ts";

export const CHECKLIST_ACTIONS = { launch: "checklist_launch" } as const;

const DONE = "✓";
const TODO = "☐";
const n = (value: number) => value.toLocaleString("en-US");

/** Ready to launch: a draft or paused campaign with nothing missing. */
export function checklistReady(s: ChecklistState): boolean {
  return (s.state === "draft" || s.state === "paused") && s.problems.length === 0;
}

/** The three items, each ✓ or ☐ with what to type when it is not done. */
function items(s: ChecklistState): string[] {
  const defaultHours = s.hours.start === 9 && s.hours.end === 20;
  return [
    s.contacts > 0
      ? `${DONE} Contacts uploaded: ${n(s.contacts)}`
      : `${TODO} Contacts uploaded: none yet — \`/campaign upload ${s.slug}\``,
    s.scriptWritten
      ? `${DONE} Script written`
      : `${TODO} Script written: no opening message yet — \`/campaign script ${s.slug}\``,
    `${DONE} Texting hours: ${s.hours.start}:00 to ${s.hours.end}:00 in each contact's time zone` +
      `${defaultHours ? " (the default)" : ""} — change with \`/campaign hours ${s.slug} <start>-<end>\``,
  ];
}

/** The checklist message: the notification text and its blocks. */
export function checklistMessage(s: ChecklistState): { text: string; blocks: KnownBlock[] } {
  const title = escapeText(s.title);
  const heading = `*Setup checklist: ${title}* (\`${s.slug}\`)`;
  const section = (text: string): KnownBlock => ({
    type: "section",
    text: { type: "mrkdwn", text: truncate(text, MAX_SECTION_TEXT) },
  });
  const context = (text: string): KnownBlock => ({
    type: "context",
    elements: [{ type: "mrkdwn", text: truncate(text, MAX_SECTION_TEXT) }],
  });
  const blocks: KnownBlock[] = [section(`${heading}\n${items(s).join("\n")}`)];
  let text: string;
  if (s.state === "active") {
    text = `${s.title} is launched.`;
    blocks.push(
      section(
        `*Launched ${DONE}* Volunteers can text now.\n` +
          `Start texting yourself: \`/campaign shift ${s.slug}\`\n` +
          `Share this with your volunteers: \`/campaign join ${s.slug}\``,
      ),
    );
  } else if (s.state === "archived") {
    text = `${s.title} is archived.`;
    blocks.push(context("Archived: nobody texts it any more. `/campaign stats` and `/campaign export` still work."));
  } else if (checklistReady(s)) {
    text = `${s.title} is ready to launch.`;
    blocks.push(
      section(
        s.state === "paused"
          ? "*Paused.* Press *Launch* to open it to volunteers again."
          : "*Ready to launch.* Launching opens it to volunteers.",
      ),
      {
        type: "actions",
        elements: [
          {
            type: "button",
            action_id: CHECKLIST_ACTIONS.launch,
            style: "primary",
            text: { type: "plain_text", text: "Launch" },
            value: String(s.campaignId),
          },
        ],
      },
    );
  } else {
    const done = items(s).filter((item) => item.startsWith(DONE)).length;
    text = `Setup checklist for ${s.title}: ${done} of 3 done.`;
    const missing =
      s.contacts > 0 && s.scriptWritten
        ? `Before it can launch: ${s.problems.map((p) => escapeText(p)).join("; ")}.`
        : "The *Launch* button appears here once contacts are uploaded and the script is written.";
    blocks.push(context(`${s.state === "paused" ? "Paused. " : ""}${missing}`));
  }
  return { text, blocks };
}
