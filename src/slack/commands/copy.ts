import { slugProblem } from "../../campaigns/campaigns.ts";
import { copyCampaign, fieldsToUpload, MAX_TITLE_LENGTH } from "../../campaigns/copy.ts";
import type { Campaign } from "../../db/schema.ts";
import { checklistNote, postChecklist } from "../checklist.ts";
import { reply, usageReply, type CommandSpec } from "./types.ts";

const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** What came along, in the words of the other subcommands. */
function copiedParts(campaign: Campaign): string[] {
  const questions = (campaign.survey_questions ?? []).length;
  return [
    campaign.opening_message ? "the opening message" : "no opening message (there was none)",
    count((campaign.canned_replies ?? []).length, "canned reply", "canned replies"),
    count((campaign.outcome_tags ?? []).length, "outcome tag"),
    count(questions, "survey question"),
    `texting hours from ${campaign.hours_start}:00 to ${campaign.hours_end}:00`,
    `replies stale after ${campaign.stale_reply_minutes} minutes, ` +
      `moving ${campaign.auto_release_stale ? "by themselves" : "with `/campaign release`"}`,
  ];
}

export const copy: CommandSpec = {
  name: "copy",
  usage: "copy <from-slug> <new-slug> [title…]",
  summary: "new draft with another campaign's script, tags, survey and hours (no contacts)",
  audience: "organizer",
  async run({ services, args, rest, userId }) {
    const [from, slug] = args;
    if (!from || !slug) return usageReply(copy, "Name the campaign to copy and a handle for the new one.");
    const problem = slugProblem(slug);
    if (problem) return usageReply(copy, problem);
    const title = rest.replace(/^\S+\s+\S+/, "").trim() || undefined;
    if (title && title.length > MAX_TITLE_LENGTH)
      return usageReply(copy, `The title is ${title.length} characters; keep it to ${MAX_TITLE_LENGTH}.`);
    const result = await copyCampaign(services.db, { from: from.toLowerCase(), slug, title, createdBy: userId });
    if (!result.ok && result.reason === "unknown")
      return reply(`There is no campaign \`${from}\` to copy. See \`/campaign list\`.`);
    if (!result.ok)
      return reply(`\`${slug}\` is taken by another campaign: pick another handle, or see \`/campaign list\`.`);
    const { source, campaign } = result;
    const parts = copiedParts(campaign);
    const fields = fieldsToUpload(campaign);
    const needs = fields.length
      ? ` The script uses ${fields.map((f) => `\`{${f}}\``).join(", ")}: the contacts file needs ` +
        `${fields.length === 1 ? "that column" : "those columns"}.`
      : "";
    return reply(
      `Created *${campaign.title}* (\`${slug}\`) as a draft copy of *${source.title}* (\`${source.slug}\`), with ` +
        `${parts.slice(0, -1).join(", ")} and ${parts.at(-1)}. No contacts, volunteers or conversations were copied.` +
        `${needs} Next: \`/campaign upload ${slug}\` for contacts, \`/campaign script ${slug}\` to check the script, ` +
        `then \`/campaign launch ${slug}\`.\n${checklistNote(await postChecklist(services, campaign, userId))}`,
    );
  },
};
