import { AUDIENCE_FORMS, parseAudience } from "../../campaigns/followups/audience.ts";
import { countAudience, resolveAudience, textedContacts } from "../../campaigns/followups/rounds.ts";
import { openFollowupModal } from "../views/followup-modal.ts";
import { campaignFromArgs, reply, usageReply, type CommandSpec } from "./types.ts";

/**
 * `/campaign followup <slug> <audience>`: every check that needs no message is made here, so a bad
 * audience is answered at once and changes nothing; the form (views/followup-modal.ts) then takes
 * the message, checks it and creates the round.
 */
export const followup: CommandSpec = {
  name: "followup",
  usage: "followup <slug> no-reply|tag:<tag>|answer:<question>=<answer>",
  summary: "a follow-up round to contacts already texted, by who replied, their tag or survey answer (a modal)",
  audience: "organizer",
  async run(ctx) {
    const { campaign, problem } = await campaignFromArgs(ctx, followup);
    if (!campaign) return problem;
    if (campaign.state === "archived") return reply(`*${campaign.title}* is archived, so it sends no more texts.`);
    // The audience is the rest of the line after the handle: a tag or an answer may hold spaces.
    const typed = ctx.rest.slice(ctx.rest.indexOf(ctx.args[0]!) + ctx.args[0]!.length).trim();
    if (!typed) return usageReply(followup, `Name the audience: ${AUDIENCE_FORMS}.`);
    const parsed = parseAudience(typed);
    if (!parsed.ok) return usageReply(followup, parsed.problem);
    const { db } = ctx.services;
    if ((await textedContacts(db, campaign.id)) === 0)
      return reply(
        `Nobody in *${campaign.title}* has been texted yet, so there is no one to follow up. ` +
          `Follow-ups go to contacts who got the opening message.`,
      );
    const resolved = await resolveAudience(db, campaign, parsed.audience);
    if (!resolved.ok) return reply(resolved.problem);
    const covered = await countAudience(db, campaign.id, resolved.audience);
    if (covered === 0)
      return reply(
        `\`${resolved.label}\` matches no contact of *${campaign.title}* to follow up ` +
          `(opted-out numbers and contacts whose opening failed are left out). Nothing was created.`,
      );
    try {
      await openFollowupModal(ctx.services, {
        triggerId: ctx.triggerId,
        campaign,
        userId: ctx.userId,
        audience: resolved.label,
        covered,
      });
    } catch (error) {
      if ((error as { data?: { error?: string } }).data?.error !== "expired_trigger_id") throw error;
      return reply(
        `Slack's moment to open the form passed before it opened. Run \`/campaign followup ${campaign.slug} ` +
          `${resolved.label}\` again.`,
      );
    }
    return undefined;
  },
};
