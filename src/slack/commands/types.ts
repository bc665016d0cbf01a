import type { KnownBlock } from "@slack/types";
import type { SlackDeps } from "../deps.ts";
import { findCampaign } from "../../campaigns/campaigns.ts";
import type { Campaign } from "../../db/schema.ts";

export type Audience = "anyone" | "organizer";

/** What a subcommand answers with: shown to the caller only, unless `inChannel`. */
export interface Reply {
  text: string;
  blocks?: KnownBlock[];
  inChannel?: boolean;
}

export interface CommandContext {
  services: SlackDeps;
  userId: string;
  channelId: string;
  triggerId: string;
  /** Words after the subcommand. */
  args: string[];
  /** The text after the subcommand, as typed. */
  rest: string;
  isOrganizer: boolean;
  /** Posts a later answer through the command's response_url. */
  respondLater: (reply: Reply) => Promise<void>;
}

export interface CommandSpec {
  name: string;
  /** `organizers add|remove @user` → shown in help and usage answers. */
  usage: string;
  summary: string;
  audience: Audience;
  run: (ctx: CommandContext) => Promise<Reply | undefined>;
}

export const reply = (text: string, blocks?: KnownBlock[]): Reply => ({ text, blocks });

/** Usage answer for a subcommand called with bad arguments. */
export function usageReply(spec: CommandSpec, problem?: string): Reply {
  return reply(`${problem ? problem + "\n" : ""}Usage: \`/campaign ${spec.usage}\` — ${spec.summary}`);
}

/** `<@U123|name>` or `<@U123>` (Slack escapes mentions for commands with should_escape). */
export function parseUserMention(word: string | undefined): string | undefined {
  return word ? /^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$/.exec(word)?.[1] : undefined;
}

/**
 * The campaign named by the first argument, or the answer to give: a usage line when none is
 * named, "no such campaign" when the handle is unknown.
 */
export async function campaignFromArgs(
  ctx: CommandContext,
  spec: CommandSpec,
): Promise<{ campaign: Campaign; problem?: undefined } | { campaign?: undefined; problem: Reply }> {
  const slug = ctx.args[0];
  if (!slug) return { problem: usageReply(spec, "Name the campaign.") };
  const campaign = await findCampaign(ctx.services.db, slug.toLowerCase());
  if (!campaign) return { problem: reply(`There is no campaign \`${slug}\`. See \`/campaign list\`.`) };
  return { campaign };
}
