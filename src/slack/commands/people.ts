import { takeOffShift } from "../../campaigns/volunteers.ts";
import { setStaleReplies } from "../../campaigns/campaigns.ts";
import { releaseHeld } from "../../campaigns/sending/assignment.ts";
import { reassignVolunteer, releaseStaleReplies } from "../handoff.ts";
import { ensureVolunteer } from "../volunteers.ts";
import { campaignFromArgs, parseUserMention, reply, usageReply, type CommandSpec } from "./types.ts";

export const reassign: CommandSpec = {
  name: "reassign",
  usage: "reassign <slug> @from @to",
  summary: "move @from's open conversations to @to",
  audience: "organizer",
  async run(ctx) {
    const { services, args } = ctx;
    const [slug, fromWord, toWord] = args;
    const from = parseUserMention(fromWord);
    const to = parseUserMention(toWord);
    if (!slug || !from || !to) return usageReply(reassign, "Name the campaign and two people with @-mentions.");
    if (from === to) return reply("Those are the same person; nothing to move.");
    const { campaign, problem } = await campaignFromArgs(ctx, reassign);
    if (!campaign) return problem;
    await ensureVolunteer(services, campaign.id, to);
    const { moved, optedOut } = await reassignVolunteer(services, { campaign, from, to, by: ctx.userId });
    const stayed = optedOut
      ? ` ${optedOut} opted-out conversation${optedOut === 1 ? "" : "s"} stayed with <@${from}>.`
      : "";
    return reply(
      moved
        ? `Moved ${moved} conversation${moved === 1 ? "" : "s"} in *${campaign.title}* ` +
            `from <@${from}> to <@${to}>; they continue in <@${to}>'s DM with their history.${stayed}`
        : optedOut
          ? `<@${from}> has only opted-out conversations in *${campaign.title}*, which stay where they are; ` +
            "their held contact, if any, went back to the pool."
          : `<@${from}> has no conversations in *${campaign.title}*; ` +
            "their held contact, if any, went back to the pool.",
    );
  },
};

export const release: CommandSpec = {
  name: "release",
  usage: "release <slug> @user",
  summary: "return @user's unsent contacts to the pool (and hand on their stale replies)",
  audience: "organizer",
  async run(ctx) {
    const { services, args } = ctx;
    const [slug, who] = args;
    const user = parseUserMention(who);
    if (!slug || !user) return usageReply(release, "Name the campaign and the person with an @-mention.");
    const { campaign, problem } = await campaignFromArgs(ctx, release);
    if (!campaign) return problem;
    const released = await releaseHeld(services.db, user, campaign.id);
    // Released volunteers are off shift: nothing more is handed to them until they start again.
    await takeOffShift(services.db, campaign.id, user);
    const handedOff = await releaseStaleReplies(services, campaign, user, ctx.userId);
    const parts = [
      released
        ? `Returned ${released} unsent contact${released === 1 ? "" : "s"} held by <@${user}> ` +
          `in *${campaign.title}* to the pool.`
        : `<@${user}> holds no unsent contacts in *${campaign.title}*.`,
    ];
    if (handedOff)
      parts.push(
        `Handed ${handedOff} conversation${handedOff === 1 ? "" : "s"} ` +
          `waiting over ${campaign.stale_reply_minutes} minutes to volunteers on shift.`,
      );
    return reply(parts.join(" "));
  },
};

export const stale: CommandSpec = {
  name: "stale",
  usage: "stale <slug> <minutes> [auto|manual]",
  summary: "how long a reply may wait before it can go to another volunteer, and whether that happens by itself",
  audience: "organizer",
  async run(ctx) {
    const { campaign, problem } = await campaignFromArgs(ctx, stale);
    if (!campaign) return problem;
    const [, minutesWord, mode] = ctx.args;
    if (!minutesWord)
      return reply(
        `Replies in *${campaign.title}* count as stale after ${campaign.stale_reply_minutes} minutes; ` +
          `they move ${campaign.auto_release_stale ? "by themselves" : "with `/campaign release`"}.`,
      );
    const minutes = Number(minutesWord);
    if (!Number.isInteger(minutes) || minutes < 5 || minutes > 1440)
      return usageReply(stale, `\`${minutesWord}\` is not a whole number of minutes from 5 to 1440.`);
    if (mode !== undefined && mode !== "auto" && mode !== "manual")
      return usageReply(stale, `\`${mode}\` is not \`auto\` or \`manual\`.`);
    const auto = mode === undefined ? campaign.auto_release_stale : mode === "auto";
    await setStaleReplies(ctx.services.db, campaign.id, { minutes, auto });
    return reply(
      `Replies in *${campaign.title}* waiting over ${minutes} minutes ` +
        `${auto ? "now go to a volunteer on shift by themselves" : "can be handed on with `/campaign release`"}.`,
    );
  },
};
