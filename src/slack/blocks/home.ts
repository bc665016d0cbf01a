import type { KnownBlock, View } from "@slack/types";
import type { CampaignSummary, VolunteerHome } from "../../campaigns/dashboard.ts";
import { counted } from "./stats.ts";
import { escapeText, MAX_VIEW_BLOCKS, truncate } from "./text.ts";

export const HOME_ACTIONS = {
  startShift: "home_start_shift",
  stats: "home_stats",
  upload: "home_upload",
  script: "home_script",
  launch: "home_launch",
  pause: "home_pause",
  export: "home_export",
} as const;

const button = (actionId: string, text: string, campaignId: number, style?: "primary") => ({
  type: "button" as const,
  action_id: actionId,
  text: { type: "plain_text" as const, text },
  value: String(campaignId),
  ...(style ? { style } : {}),
});

/** The main actions on one campaign: Upload, Script, Launch or Pause (by state), Stats, Export, Start shift. */
function campaignButtons(c: CampaignSummary) {
  return [
    button(HOME_ACTIONS.upload, "Upload", c.id),
    button(HOME_ACTIONS.script, "Script", c.id),
    c.state === "active"
      ? button(HOME_ACTIONS.pause, "Pause", c.id)
      : button(HOME_ACTIONS.launch, "Launch", c.id, "primary"),
    button(HOME_ACTIONS.stats, "Stats to my DM", c.id),
    button(HOME_ACTIONS.export, "Export", c.id),
    ...(c.state === "active" ? [button(HOME_ACTIONS.startShift, "Start shift", c.id, "primary")] : []),
  ];
}

function progressBar(done: number, total: number): string {
  const width = 20;
  const filled = total ? Math.round((done / total) * width) : 0;
  return "█".repeat(filled) + "░".repeat(width - filled);
}

/** The survey's first question on one line: each answer's count and how many answered. */
function firstQuestionLine(c: CampaignSummary): string {
  const q = c.firstQuestion;
  if (!q) return "";
  const answers = q.answers.map((a) => `${escapeText(a.answer)} ${a.count.toLocaleString("en-US")}`).join(" · ");
  return `\n*${escapeText(q.label)}:* ${answers} (${q.answered.toLocaleString("en-US")} answered)`;
}

/** Every campaign (up to what 100 blocks hold) with progress, reply rate, opt-outs and actions. */
export function organizerHome(campaigns: CampaignSummary[], total: number): View {
  const blocks: KnownBlock[] = [{ type: "header", text: { type: "plain_text", text: "Campaigns" } }];
  const room = Math.floor((MAX_VIEW_BLOCKS - 3) / 2);
  for (const c of campaigns.slice(0, room)) {
    const rate = c.sent ? ((c.replied / c.sent) * 100).toFixed(1) : "0.0";
    blocks.push({
      type: "section",
      text: {
        type: "mrkdwn",
        text: truncate(
          `*${escapeText(c.title)}* \`${c.slug}\` · ${c.state}\n` +
            `\`${progressBar(c.sent, c.contacts)}\` ` +
            `${c.sent.toLocaleString("en-US")} / ${c.contacts.toLocaleString("en-US")} texted\n` +
            // An opt-out is not a reply (0023): replies and the rate leave STOP texts out.
            `${counted(c.replies, "reply", "replies")} (${rate}%) · ${counted(c.optOuts, "opt-out")} · ` +
            `${c.waiting.toLocaleString("en-US")} waiting for an answer` +
            firstQuestionLine(c),
          3000,
        ),
      },
    });
    blocks.push({ type: "actions", elements: campaignButtons(c) });
  }
  if (total > Math.min(campaigns.length, room)) {
    blocks.push({
      type: "context",
      elements: [
        { type: "mrkdwn", text: `…and ${total - Math.min(campaigns.length, room)} more; see \`/campaign list\`.` },
      ],
    });
  }
  if (campaigns.length === 0)
    blocks.push({
      type: "section",
      text: { type: "mrkdwn", text: "No campaigns yet: start one with `/campaign create <slug> [title]`." },
    });
  return { type: "home", blocks };
}

export function volunteerHomeView(home: VolunteerHome): View {
  const blocks: KnownBlock[] = [
    { type: "header", text: { type: "plain_text", text: "Your texting" } },
    {
      type: "section",
      text: {
        type: "mrkdwn",
        text: `You sent *${home.sentToday}* text${home.sentToday === 1 ? "" : "s"} today. Thank you!`,
      },
    },
  ];
  for (const c of home.campaigns.slice(0, 20)) {
    blocks.push({
      type: "section",
      text: { type: "mrkdwn", text: `*${escapeText(c.title)}* \`${c.slug}\`` },
      accessory: {
        type: "button",
        action_id: HOME_ACTIONS.startShift,
        style: "primary",
        text: { type: "plain_text", text: "Start shift" },
        value: String(c.id),
      },
    });
  }
  if (home.campaigns.length === 0)
    blocks.push({ type: "section", text: { type: "mrkdwn", text: "No campaign is active right now." } });
  blocks.push({ type: "divider" });
  const waiting = home.waiting.map(
    (w) =>
      `• ${escapeText(w.firstName ?? "Someone")} (${escapeText(w.campaignTitle)}) ` +
      `since <!date^${Math.floor(w.since.getTime() / 1000)}^{time}|${w.since.toISOString()}>`,
  );
  blocks.push({
    type: "section",
    text: {
      type: "mrkdwn",
      text: truncate(`*Waiting for your answer*\n${waiting.join("\n") || "Nobody: you're all caught up."}`, 3000),
    },
  });
  const board = home.leaderboard.map((l, i) => `${i + 1}. <@${l.userId}> — ${l.sent}`);
  blocks.push({
    type: "section",
    text: { type: "mrkdwn", text: `*Today's leaderboard*\n${board.join("\n") || "No texts yet today: be the first!"}` },
  });
  return { type: "home", blocks };
}
