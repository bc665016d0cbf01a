import type { ActionsBlock, Button, KnownBlock } from "@slack/types";
import type { Campaign } from "../../db/schema.ts";
import { RENAME } from "../views/rename-modal.ts";
import { listCampaigns } from "../../campaigns/campaigns.ts";
import { touchVolunteer } from "../../campaigns/volunteers.ts";
import { nextCardMessage } from "../cards.ts";
import type { SlackDeps } from "../deps.ts";
import { joinButton, startShiftButton, textWithButton } from "../blocks/shift-buttons.ts";
import { escapeText, MAX_MESSAGE_BLOCKS } from "../blocks/text.ts";
import { ensureVolunteer } from "../volunteers.ts";
import { campaignFromArgs, reply, type CommandContext, type CommandSpec, type Reply } from "./types.ts";

/** Why a campaign can't be texted now, or nothing when it is active. */
export function notActiveReason(campaign: Campaign): string | undefined {
  if (campaign.state === "active") return undefined;
  const why =
    campaign.state === "draft" ? "has not launched yet" : campaign.state === "paused" ? "is paused" : "is archived";
  return `*${campaign.title}* (\`${campaign.slug}\`) ${why}, so there is nothing to text right now.`;
}

async function activeCampaign(ctx: CommandContext, spec: CommandSpec) {
  const { campaign, problem } = await campaignFromArgs(ctx, spec);
  if (!campaign) return { problem };
  const why = notActiveReason(campaign);
  return why ? { problem: reply(why) } : { campaign };
}

/** Joins (idempotent) and answers with a Start shift button, from the command or a Join button. */
export async function joinAndAnswer(services: SlackDeps, campaign: Campaign, userId: string): Promise<Reply> {
  const { joined, displayName } = await ensureVolunteer(services, campaign.id, userId);
  const text =
    `${joined ? "You joined" : "You are already on"} *${escapeText(campaign.title)}*. ` +
    `Start texting now, or later with \`/campaign shift ${campaign.slug}\`.\n` +
    `Your texts will say your name is *${escapeText(displayName)}*.`;
  const rename: Button = {
    type: "button",
    action_id: RENAME.button,
    text: { type: "plain_text", text: "Change name" },
    value: String(campaign.id),
  };
  const [section, actions] = textWithButton(text, startShiftButton(campaign)) as [KnownBlock, ActionsBlock];
  return reply(text.replace(/\*/g, ""), [section, { ...actions, elements: [...actions.elements, rename] }]);
}

/**
 * Starts a shift: the first card is posted in the volunteer's DM with the app (posting to the
 * user ID opens or finds that DM and answers with its D… id). From the command or a Start shift button.
 */
export async function startShiftInDm(services: SlackDeps, campaign: Campaign, userId: string): Promise<string> {
  const card = await nextCardMessage(services, campaign, userId);
  const posted = await services.slack.chat.postMessage({ channel: userId, text: card.text, blocks: card.blocks });
  await touchVolunteer(services.db, campaign.id, userId, { onShift: true, dmChannel: posted.channel });
  return `Your shift on *${campaign.title}* has started: your first contact is in your DM with Textbank.`;
}

/** `/campaign join` alone: the active campaigns, each with a Join button. */
async function activeCampaignList(services: SlackDeps): Promise<Reply> {
  const campaigns = await listCampaigns(services.db, ["active"]);
  if (campaigns.length === 0)
    return reply(
      "No campaign is active right now. When an organizer launches one, join it here with `/campaign join`.",
    );
  const shown = campaigns.slice(0, MAX_MESSAGE_BLOCKS - 2);
  const blocks = [
    {
      type: "section" as const,
      text: { type: "mrkdwn" as const, text: "*Active campaigns* — press Join to volunteer on one:" },
    },
    ...shown.map((c) => ({
      type: "section" as const,
      text: { type: "mrkdwn" as const, text: `*${escapeText(c.title)}* \`${c.slug}\`` },
      accessory: joinButton(c),
    })),
  ];
  if (campaigns.length > shown.length)
    blocks.push({
      type: "section",
      text: {
        type: "mrkdwn",
        text: `…and ${campaigns.length - shown.length} more: join with \`/campaign join <slug>\``,
      },
    });
  return reply(`${campaigns.length} active campaign${campaigns.length === 1 ? "" : "s"}`, blocks);
}

export const join: CommandSpec = {
  name: "join",
  usage: "join [slug]",
  summary: "become a volunteer on an active campaign (alone: the active campaigns, each with Join)",
  audience: "anyone",
  async run(ctx) {
    if (ctx.args.length === 0) return activeCampaignList(ctx.services);
    const { campaign, problem } = await activeCampaign(ctx, join);
    if (!campaign) return problem;
    return joinAndAnswer(ctx.services, campaign, ctx.userId);
  },
};

export const shift: CommandSpec = {
  name: "shift",
  usage: "shift <slug>",
  summary: "start texting: your next contact appears in your DM with the app",
  audience: "anyone",
  async run(ctx) {
    const { campaign, problem } = await activeCampaign(ctx, shift);
    if (!campaign) return problem;
    return reply(await startShiftInDm(ctx.services, campaign, ctx.userId));
  },
};
