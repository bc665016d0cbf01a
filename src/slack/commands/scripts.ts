import { setHours } from "../../campaigns/lifecycle.ts";
import { parseHoursArgument } from "../../campaigns/hours/window.ts";
import { openScriptModal } from "../views/script-modal.ts";
import { refreshChecklist } from "../checklist.ts";
import { campaignFromArgs, reply, usageReply, type CommandSpec } from "./types.ts";

export const script: CommandSpec = {
  name: "script",
  usage: "script <slug>",
  summary: "opening message, canned replies, outcome tags and survey questions (a modal)",
  audience: "organizer",
  async run(ctx) {
    const { campaign, problem } = await campaignFromArgs(ctx, script);
    if (!campaign) return problem;
    if (campaign.state === "archived")
      return reply(`*${campaign.title}* is archived, so its script can no longer change.`);
    try {
      await openScriptModal(ctx.services, { triggerId: ctx.triggerId, campaign, userId: ctx.userId });
    } catch (error) {
      // Slack gives 3 s to open a modal; past that, only running the command again helps.
      if ((error as { data?: { error?: string } }).data?.error !== "expired_trigger_id") throw error;
      return reply(
        `Slack's moment to open the form passed before it opened. Run \`/campaign script ${campaign.slug}\` again.`,
      );
    }
    return undefined;
  },
};

const window = (start: number, end: number) => `from ${start}:00 to ${end}:00`;

export const hours: CommandSpec = {
  name: "hours",
  usage: "hours <slug> <start>-<end>",
  summary: "texting window in each contact's local time, whole hours 0–24 (default 9-20)",
  audience: "organizer",
  async run(ctx) {
    const { campaign, problem } = await campaignFromArgs(ctx, hours);
    if (!campaign) return problem;
    const text = ctx.args.slice(1).join(" ");
    if (!text)
      return reply(
        `*${campaign.title}* texts ${window(campaign.hours_start, campaign.hours_end)} ` +
          `in each contact's own time zone. Change it with \`/campaign hours ${campaign.slug} 9-20\`.`,
      );
    if (campaign.state === "archived")
      return reply(`*${campaign.title}* is archived; its texting hours no longer matter.`);
    const parsed = parseHoursArgument(text);
    if (!parsed.ok) return usageReply(hours, parsed.error);
    await setHours(ctx.services.db, campaign.id, parsed.window);
    await refreshChecklist(ctx.services, campaign.id);
    const { start, end } = parsed.window;
    return reply(
      `*${campaign.title}* now texts ${window(start, end)} in each contact's own time zone ` +
        `(texts go out until ${end}:00, not after).`,
    );
  },
};
