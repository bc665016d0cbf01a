import { scheduleShift, zonedTimeToUtc } from "../../campaigns/shifts.ts";
import { campaignFromArgs, reply, usageReply, type CommandSpec } from "./types.ts";
import { busyReason } from "../failures.ts";

function parseChannel(word: string | undefined): string | undefined {
  return word ? /^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$/.exec(word)?.[1] : undefined;
}

export const schedule: CommandSpec = {
  name: "schedule",
  usage: "schedule <slug> <YYYY-MM-DD HH:MM> <minutes> [#channel]",
  summary: "a shift: kickoff post with Join shift at the start, recap at the end",
  audience: "organizer",
  async run(ctx) {
    const { services, args, userId, channelId } = ctx;
    const [slug, date, time, minutesWord, channelWord] = args;
    if (!slug || !date || !time || !minutesWord)
      return usageReply(schedule, "Give the campaign, the start date and time, and the length in minutes.");
    const { campaign, problem } = await campaignFromArgs(ctx, schedule);
    if (!campaign) return problem;
    if (campaign.state === "archived")
      return reply(`*${campaign.title}* is archived; shifts can only be scheduled for a live campaign.`);
    const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
    const t = /^(\d{1,2}):(\d{2})$/.exec(time);
    if (
      !d ||
      !t ||
      Number(t[1]) > 23 ||
      Number(t[2]) > 59 ||
      Number(d[2]) < 1 ||
      Number(d[2]) > 12 ||
      Number(d[3]) < 1 ||
      Number(d[3]) > 31
    ) {
      return usageReply(
        schedule,
        `\`${date} ${time}\` is not a date and time like \`2026-11-24 18:00\` (24-hour clock, your time zone).`,
      );
    }
    const minutes = Number(minutesWord);
    if (!Number.isInteger(minutes) || minutes < 15 || minutes > 720)
      return usageReply(schedule, `\`${minutesWord}\` is not a length from 15 to 720 minutes.`);
    const channel = channelWord === undefined ? channelId : parseChannel(channelWord);
    if (!channel) return usageReply(schedule, `\`${channelWord}\` is not a channel: pick it from the #-list.`);
    // A rate limit or timeout is not "no such channel": it goes on to the command's failure answer.
    const info = await services.slack.conversations.info({ channel }).catch((error: { data?: { error?: string } }) => {
      if (busyReason(error)) throw error;
      return { ok: false as const, error: error.data?.error ?? "unknown" };
    });
    if (!("channel" in info) || !info.channel)
      return reply(`I can't find <#${channel}>; pick a channel from the #-list.`);
    if (info.channel.is_member === false)
      return reply(
        `Textbank is not in <#${channel}>: invite it with \`/invite @Textbank\` there, then schedule again.`,
      );

    // Without the organizer's time zone the shift would start at another hour: busy Slack is a failure here too.
    const user = await services.slack.users.info({ user: userId }).catch((error: unknown) => {
      if (busyReason(error)) throw error;
      return undefined;
    });
    const zone = user?.user?.tz ?? "America/New_York";
    const startsAt = zonedTimeToUtc(
      { year: Number(d[1]), month: Number(d[2]), day: Number(d[3]), hour: Number(t[1]), minute: Number(t[2]) },
      zone,
    );
    if (Number.isNaN(startsAt.getTime())) return usageReply(schedule, `\`${date} ${time}\` is not a real date.`);
    if (startsAt.getTime() <= services.now().getTime())
      return reply(`${date} ${time} (${zone}) is in the past; pick a time ahead.`);
    const endsAt = new Date(startsAt.getTime() + minutes * 60_000);
    const result = await scheduleShift(services.db, {
      campaignId: campaign.id,
      startsAt,
      endsAt,
      channelId: channel,
      createdBy: userId,
    });
    const words = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      weekday: "long",
      month: "long",
      day: "numeric",
      hour: "numeric",
      minute: "2-digit",
      timeZoneName: "short",
    });
    if (!result.ok)
      return reply(
        `That overlaps the shift of *${campaign.title}* starting ${words.format(result.overlapsWith)}; ` +
          `pick another time.`,
      );
    return reply(
      `Scheduled a ${minutes}-minute shift of *${campaign.title}* on ${words.format(startsAt)} (${zone}) ` +
        `in <#${channel}>: a kickoff with *Join shift* at the start, a recap at the end.`,
    );
  },
};
