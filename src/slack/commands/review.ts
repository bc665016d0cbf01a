import { parseReviewFilter, REVIEW_FILTER_FORMS } from "../../campaigns/review/filter.ts";
import { resolveReviewFilter } from "../../campaigns/review/review.ts";
import { openReviewModal } from "../views/review-modal.ts";
import { campaignFromArgs, reply, usageReply, type CommandSpec } from "./types.ts";

/**
 * `/campaign review <slug> [filter…]`: the campaign's conversations, latest activity first, in a
 * modal (views/review-modal.ts). A filter that is not one of the forms, or names a tag or survey
 * answer the campaign does not have, is answered here and nothing opens.
 */
export const review: CommandSpec = {
  name: "review",
  usage: 'review <slug> [waiting] [opted-out] [escalated] [tag:<tag>] [answer:<question>=<answer>] [@person] ["words"]',
  summary: "the campaign's conversations, latest first, filtered; open or reassign them (a modal)",
  audience: "organizer",
  async run(ctx) {
    const { campaign, problem } = await campaignFromArgs(ctx, review);
    if (!campaign) return problem;
    const typed = ctx.rest.slice(ctx.rest.indexOf(ctx.args[0]!) + ctx.args[0]!.length).trim();
    const parsed = parseReviewFilter(typed);
    if (!parsed.ok) return usageReply(review, `${parsed.problem}\nFilters: ${REVIEW_FILTER_FORMS}.`);
    const resolved = await resolveReviewFilter(ctx.services.db, campaign, parsed.filter);
    if (!resolved.ok) return reply(`${resolved.problem} Nothing was opened.`);
    try {
      await openReviewModal(ctx.services, { triggerId: ctx.triggerId, campaign, filter: resolved.filter });
    } catch (error) {
      if ((error as { data?: { error?: string } }).data?.error !== "expired_trigger_id") throw error;
      return reply(
        `Slack's moment to open the review passed before it opened. Run \`/campaign review ${campaign.slug}` +
          `${typed ? ` ${typed}` : ""}\` again.`,
      );
    }
    return undefined;
  },
};
