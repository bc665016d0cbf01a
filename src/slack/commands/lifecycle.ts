import { changeState, launchProblems } from "../../campaigns/lifecycle.ts";
import type { Campaign } from "../../db/schema.ts";
import { refreshChecklist } from "../checklist.ts";
import type { SlackDeps } from "../deps.ts";
import { shareJoinBlocks } from "../blocks/shift-buttons.ts";
import { campaignFromArgs, reply, type CommandContext, type CommandSpec } from "./types.ts";

const STATE_WORDS = { draft: "a draft", active: "active", paused: "paused", archived: "archived" } as const;

/**
 * Launch, pause or archive, and what to tell the organizer: the same for `/campaign launch`, the
 * checklist's Launch button and the App Home's buttons. A change refreshes the setup checklist.
 */
export async function applyStateChange(
  services: SlackDeps,
  campaign: Campaign,
  name: "launch" | "pause" | "archive",
): Promise<{ ok: boolean; text: string }> {
  // Readiness matters only where a launch is possible; an archived campaign hears that it is archived.
  if (name === "launch" && (campaign.state === "draft" || campaign.state === "paused")) {
    const problems = await launchProblems(services.db, campaign);
    if (problems.length)
      return { ok: false, text: `*${campaign.title}* can't launch yet:\n${problems.map((p) => `• ${p}`).join("\n")}` };
  }
  const result = await changeState(services.db, campaign, name);
  if (!result.ok)
    return {
      ok: false,
      text:
        `*${campaign.title}* is ${STATE_WORDS[result.state]}, ` +
        `so it can't ${name === "archive" ? "be archived again" : name}.`,
    };
  await refreshChecklist(services, campaign.id);
  const done = {
    launch:
      `*${campaign.title}* is live. Volunteers join with \`/campaign join ${campaign.slug}\` ` +
      `and text with \`/campaign shift ${campaign.slug}\`.`,
    pause:
      `*${campaign.title}* is paused: no card hands out a contact until \`/campaign launch ${campaign.slug}\`. ` +
      `Replies still arrive.`,
    archive: `*${campaign.title}* is archived; its data stays for \`/campaign stats\` and \`/campaign export\`.`,
  }[name];
  return { ok: true, text: done };
}

function stateCommand(name: "launch" | "pause" | "archive", summary: string): CommandSpec {
  const spec: CommandSpec = {
    name,
    usage: `${name} <slug>`,
    summary,
    audience: "organizer",
    async run(ctx: CommandContext) {
      const { campaign, problem } = await campaignFromArgs(ctx, spec);
      if (!campaign) return problem;
      const { ok, text } = await applyStateChange(ctx.services, campaign, name);
      // After a launch, the organizer can post a Join button where the volunteers are.
      if (!ok || name !== "launch") return reply(text);
      return reply(text, [{ type: "section", text: { type: "mrkdwn", text } }, ...shareJoinBlocks(campaign)]);
    },
  };
  return spec;
}

export const launch = stateCommand("launch", "open the campaign to volunteers (needs contacts and an opening message)");
export const pause = stateCommand("pause", "stop handing out contacts for now");
export const archive = stateCommand("archive", "close the campaign for good");
