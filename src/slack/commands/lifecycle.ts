import { changeState, launchProblems } from "../../campaigns/lifecycle.ts";
import { campaignFromArgs, reply, type CommandContext, type CommandSpec } from "./types.ts";

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
      // Readiness matters only where a launch is possible; an archived campaign hears that it is archived.
      if (name === "launch" && (campaign.state === "draft" || campaign.state === "paused")) {
        const problems = await launchProblems(ctx.services.db, campaign);
        if (problems.length)
          return reply(`*${campaign.title}* can't launch yet:\n${problems.map((p) => `• ${p}`).join("\n")}`);
      }
      const result = await changeState(ctx.services.db, campaign, name);
      if (!result.ok)
        return reply(
          `*${campaign.title}* is ${STATE_WORDS[result.state]}, ` +
            `so it can't ${name === "archive" ? "be archived again" : name}.`,
        );
      const done = {
        launch:
          `*${campaign.title}* is live. Volunteers join with \`/campaign join ${campaign.slug}\` ` +
          `and text with \`/campaign shift ${campaign.slug}\`.`,
        pause:
          `*${campaign.title}* is paused: no card hands out a contact until \`/campaign launch ${campaign.slug}\`. ` +
          `Replies still arrive.`,
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
