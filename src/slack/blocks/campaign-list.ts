import type { KnownBlock } from "@slack/types";
import type { CampaignProgress } from "../../campaigns/campaigns.ts";
import { escapeText, MAX_MESSAGE_BLOCKS } from "./text.ts";

const STATE_LABEL = { draft: "draft", active: "active", paused: "paused", archived: "archived" } as const;

export function progressLine(c: CampaignProgress): string {
  const percent = c.contacts ? Math.floor((c.sent / c.contacts) * 100) : 0;
  return `${c.sent.toLocaleString("en-US")} of ${c.contacts.toLocaleString("en-US")} texted (${percent}%)`;
}

/** One section per campaign, within Slack's 50-block message limit. */
export function campaignListBlocks(
  campaigns: CampaignProgress[],
  { isOrganizer }: { isOrganizer: boolean },
): KnownBlock[] {
  const shown = campaigns.slice(0, MAX_MESSAGE_BLOCKS - 1);
  const blocks: KnownBlock[] = shown.map((c) => ({
    type: "section",
    text: {
      type: "mrkdwn",
      text: `*${escapeText(c.title)}* \`${c.slug}\` · ${STATE_LABEL[c.state]}\n${progressLine(c)}${
        !isOrganizer ? ` · join with \`/campaign join ${c.slug}\`` : ""
      }`,
    },
  }));
  if (campaigns.length > shown.length) {
    blocks.push({
      type: "context",
      elements: [{ type: "mrkdwn", text: `…and ${campaigns.length - shown.length} more` }],
    });
  }
  return blocks;
}
