import { setEscalationChannel } from "../../campaigns/supervision/escalations.ts";
import { busyReason } from "../failures.ts";
import { campaignFromArgs, reply, usageReply, type CommandSpec } from "./types.ts";

/** `<#C123|name>` or `<#C123>`, as Slack escapes a channel mention in a command. */
function parseChannel(word: string | undefined): string | undefined {
  return word ? /^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$/.exec(word)?.[1] : undefined;
}

/**
 * `/campaign escalation <slug> #channel|off`: where the campaign's escalations go. The app must
 * be in the channel (it posts there); `off` sends them to the organizers' DMs again.
 */
export const escalation: CommandSpec = {
  name: "escalation",
  usage: "escalation <slug> #channel|off",
  summary: "where volunteers' escalations go (a channel Textbank is in; `off`: the organizers' DMs)",
  audience: "organizer",
  async run(ctx) {
    const { services, args } = ctx;
    const [slug, where] = args;
    if (!slug) return usageReply(escalation, "Name the campaign.");
    const { campaign, problem } = await campaignFromArgs(ctx, escalation);
    if (!campaign) return problem;
    if (!where)
      return reply(
        campaign.escalation_channel
          ? `Escalations of *${campaign.title}* go to <#${campaign.escalation_channel}>.`
          : `Escalations of *${campaign.title}* go to the organizers' DMs (no channel set).`,
      );
    if (where.toLowerCase() === "off") {
      await setEscalationChannel(services.db, campaign.id, null);
      return reply(`Escalations of *${campaign.title}* now go to the organizers' DMs.`);
    }
    const channel = parseChannel(where);
    if (!channel)
      return usageReply(escalation, `\`${where}\` is not a channel: pick it from the #-list, or say \`off\`.`);
    // A rate limit or timeout is not "no such channel": it goes on to the command's failure answer.
    const info = await services.slack.conversations.info({ channel }).catch((error: { data?: { error?: string } }) => {
      if (busyReason(error)) throw error;
      return { ok: false as const, error: error.data?.error ?? "unknown" };
    });
    if (!("channel" in info) || !info.channel)
      return reply(`I can't find <#${channel}>; pick a channel from the #-list. Nothing was changed.`);
    if (info.channel.is_member !== true)
      return reply(
        `Textbank is not in <#${channel}>: invite @Textbank to <#${channel}> first ` +
          `(\`/invite @Textbank\` there), then set it again. Nothing was changed.`,
      );
    await setEscalationChannel(services.db, campaign.id, channel);
    return reply(
      `Escalations of *${campaign.title}* now go to <#${channel}>: each with the contact, the volunteer, ` +
        `the reason, the last messages and *Take it* (organizers only).`,
    );
  },
};
