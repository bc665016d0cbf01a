import { nextCardMessage } from "../cards.ts";
import { touchVolunteer } from "../../campaigns/volunteers.ts";
import { ensureVolunteer } from "../volunteers.ts";
import { campaignFromArgs, reply, type CommandContext, type CommandSpec } from "./types.ts";

async function activeCampaign(ctx: CommandContext, spec: CommandSpec) {
  const { campaign, problem } = await campaignFromArgs(ctx, spec);
  if (!campaign) return { problem };
  if (campaign.state !== "active") {
    const why =
      campaign.state === "draft" ? "has not launched yet" : campaign.state === "paused" ? "is paused" : "is archived";
    return {
      problem: reply(`*${campaign.title}* (\`${campaign.slug}\`) ${why}, so there is nothing to text right now.`),
    };
  }
  return { campaign };
}

export const join: CommandSpec = {
  name: "join",
  usage: "join <slug>",
  summary: "become a volunteer on an active campaign",
  audience: "anyone",
  async run(ctx) {
    const { campaign, problem } = await activeCampaign(ctx, join);
    if (!campaign) return problem;
    const { joined } = await ensureVolunteer(ctx.services, campaign.id, ctx.userId);
    return reply(
      `${joined ? "You joined" : "You are already on"} *${campaign.title}*. ` +
        `Start texting with \`/campaign shift ${campaign.slug}\`.`,
    );
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
    const card = await nextCardMessage(ctx.services, campaign, ctx.userId);
    // Posting to the user ID opens (or finds) the DM with the app and answers with its D… id.
    const posted = await ctx.services.slack.chat.postMessage({
      channel: ctx.userId,
      text: card.text,
      blocks: card.blocks,
    });
    await touchVolunteer(ctx.services.db, campaign.id, ctx.userId, { onShift: true, dmChannel: posted.channel });
    return reply(`Your shift on *${campaign.title}* has started: your first contact is in your DM with Textbank.`);
  },
};
