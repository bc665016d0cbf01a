import type { KnownBlock } from "@slack/types";
import type { CampaignStats } from "../../campaigns/stats.ts";
import { explainDeliveryError } from "../../campaigns/messages/delivery-errors.ts";
import { escapeText, truncate } from "./text.ts";

const n = (value: number) => value.toLocaleString("en-US");
const pct = (value: number) => `${(value * 100).toFixed(1)}%`;
/** "1 reply", "2 replies": the count and its noun, plural right. */
export const counted = (value: number, one: string, many = `${one}s`) => `${n(value)} ${value === 1 ? one : many}`;

export function statsBlocks(title: string, stats: CampaignStats, now: Date): { text: string; blocks: KnownBlock[] } {
  const wait = stats.oldestWaitSince ? Math.round((now.getTime() - stats.oldestWaitSince.getTime()) / 60_000) : 0;
  const lines = [
    `*Contacts:* ${n(stats.contacts)} · *handed out:* ${n(stats.handedOut)}`,
    `*Sent:* ${n(stats.sent)} · *delivered:* ${n(stats.delivered)} · *failed:* ${n(stats.failed)}`,
    // An opt-out is not a reply: replies and the rate leave STOP (and START) texts out.
    `*Replies:* ${counted(stats.replies, "reply", "replies")} (${pct(stats.replyRate)}) ` +
      `from ${counted(stats.repliedContacts, "contact")} · ${counted(stats.optOuts, "opt-out")}`,
    `*Waiting for an answer:* ${n(stats.waiting)}${stats.waiting ? ` (oldest ${wait} min)` : ""}`,
  ];
  const failures = stats.failedByCode
    .map((f) => `${f.code ?? "?"} ${explainDeliveryError(f.code)}: ${n(f.count)}`)
    .join("\n");
  const tags = stats.tags.map((t) => `${escapeText(t.tag)}: ${n(t.count)}`).join(" · ");
  const volunteers = stats.volunteers
    .slice(0, 25)
    .map(
      (v) =>
        `<@${v.userId}> sent ${n(v.sent)} · ${counted(v.replies, "reply", "replies")} · ` +
        `${counted(v.optOuts, "opt-out")} · tagged ${n(v.tagged)}`,
    )
    .join("\n");
  const blocks: KnownBlock[] = [
    { type: "header", text: { type: "plain_text", text: truncate(`Stats: ${title}`, 150) } },
    { type: "section", text: { type: "mrkdwn", text: lines.join("\n") } },
  ];
  if (failures)
    blocks.push({
      type: "section",
      text: { type: "mrkdwn", text: truncate(`*Failed by error code*\n${failures}`, 3000) },
    });
  blocks.push({
    type: "section",
    text: { type: "mrkdwn", text: truncate(`*Outcome tags*\n${tags || "none yet"}`, 3000) },
  });
  blocks.push(...surveySections(stats));
  if (stats.rounds?.length) blocks.push(roundsSection(stats));
  blocks.push({
    type: "section",
    text: { type: "mrkdwn", text: truncate(`*Volunteers*\n${volunteers || "none yet"}`, 3000) },
  });
  return {
    text:
      `Stats for ${title}: ${n(stats.sent)} sent, ${counted(stats.replies, "reply", "replies")}, ` +
      `${counted(stats.optOuts, "opt-out")}`,
    blocks,
  };
}

/** Slack takes 50 blocks a message: the survey gets at most this many, one per question. */
const MAX_SURVEY_SECTIONS = 20;

/**
 * One section per survey question: how many texted contacts answered it (and what share), then
 * each answer's count. Answers no longer offered and removed questions still count, marked so.
 */
function surveySections(stats: CampaignStats): KnownBlock[] {
  const shown = stats.survey.slice(0, MAX_SURVEY_SECTIONS);
  const sections = shown.map((question): KnownBlock => {
    const share = stats.sent ? pct(question.answered / stats.sent) : pct(0);
    const answers = question.answers
      .map((a) => `${escapeText(a.answer)}${a.offered ? "" : " (no longer offered)"}: ${n(a.count)}`)
      .join(" · ");
    const heading =
      `*${escapeText(question.label)}*${question.removed ? " (removed from the survey)" : ""} · ` +
      `answered by ${n(question.answered)} of ${counted(stats.sent, "texted contact")} (${share})`;
    return { type: "section", text: { type: "mrkdwn", text: truncate(`${heading}\n${answers}`, 3000) } };
  });
  if (stats.survey.length > shown.length)
    sections.push({
      type: "context",
      elements: [
        { type: "mrkdwn", text: `…and ${counted(stats.survey.length - shown.length, "more question")} in the export.` },
      ],
    });
  return sections;
}

/** One line per follow-up round: who it covers, how many were sent, how many replied after it. */
function roundsSection(stats: CampaignStats): KnownBlock {
  const lines = stats.rounds.map(
    (r) =>
      `Follow-up ${r.round} (\`${escapeText(r.audience)}\`): covered ${n(r.covered)} · sent ${n(r.sent)} · ` +
      `replies ${n(r.replies)}`,
  );
  return { type: "section", text: { type: "mrkdwn", text: truncate(`*Follow-up rounds*\n${lines.join("\n")}`, 3000) } };
}
