import { changeState, launchProblems, setHours } from "../../campaigns/lifecycle.ts";
import { parseHoursArgument } from "../../campaigns/hours/window.ts";
import { campaignFromArgs, reply, usageReply, type CommandContext, type CommandSpec } from "./types.ts";

const STATE_WORDS = { draft: "a draft", active: "active", paused: "paused", archived: "archived" } as const;

function stateCommand(name: "launch" | "pause" | "archive", summary: string): CommandSpec {
  const spec: CommandSpec = {
    name,
    usage: `${name} <slug>`,
    summary,
    audience: "organizer",
    async run(ctx: CommandContext) {
      const { campaign, problem } = await campaignFromArgs(ctx, spec);
      if (!campaign) return problem;
      if (name === "launch") {
        const problems = await launchProblems(ctx.services.db, campaign);
        if (problems.length) return reply(`*${campaign.title}* can't launch yet:\n${problems.map((p) => `• ${p}`).join("\n")}`);
      }
      const result = await changeState(ctx.services.db, campaign, name);
      if (!result.ok) return reply(`*${campaign.title}* is ${STATE_WORDS[result.state]}, so it can't ${name === "archive" ? "be archived again" : name}.`);
      const done = {
        launch: `*${campaign.title}* is live. Volunteers join with \`/campaign join ${campaign.slug}\` and text with \`/campaign shift ${campaign.slug}\`.`,
        pause: `*${campaign.title}* is paused: no card hands out a contact until \`/campaign launch ${campaign.slug}\`. Replies still arrive.`,
        archive: `*${campaign.title}* is archived; its data stays for \`/campaign stats\` and \`/campaign export\`.`,
      }[name];
      return reply(done);
    },
  };
  return spec;
}

export const launch = stateCommand("launch", "open the campaign to volunteers (needs contacts and an opening message)");
export const pause = stateCommand("pause", "stop handing out contacts for now");
export const archive = stateCommand("archive", "close the campaign for good");

export const hours: CommandSpec = {
  name: "hours",
  usage: "hours <slug> <start>-<end>",
  summary: "texting window in each contact's local time, whole hours 0–24 (default 9-20)",
  audience: "organizer",
  async run(ctx) {
    const { campaign, problem } = await campaignFromArgs(ctx, hours);
    if (!campaign) return problem;
    const text = ctx.args.slice(1).join(" ");
    if (!text) return reply(`*${campaign.title}* texts from ${campaign.hours_start}:00 to ${campaign.hours_end}:00 in each contact's own time zone.`);
    const parsed = parseHoursArgument(text);
    if (!parsed.ok) return usageReply(hours, parsed.error);
    await setHours(ctx.services.db, campaign.id, parsed.window);
    return reply(`*${campaign.title}* now texts from ${parsed.window.start}:00 to ${parsed.window.end}:00 in each contact's own time zone (the end hour is not included).`);
  },
};
