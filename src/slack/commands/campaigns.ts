import { createCampaign, listCampaigns, slugProblem } from "../../campaigns/campaigns.ts";
import { campaignListBlocks } from "../blocks/campaign-list.ts";
import { checklistNote, postChecklist } from "../checklist.ts";
import { reply, usageReply, type CommandSpec } from "./types.ts";

export const create: CommandSpec = {
  name: "create",
  usage: "create <slug> [title…]",
  summary: "new campaign in draft",
  audience: "organizer",
  async run({ services, args, rest, userId }) {
    const slug = args[0];
    if (!slug) return usageReply(create, "Give the new campaign a handle.");
    const problem = slugProblem(slug);
    if (problem) return usageReply(create, problem);
    const title = rest.slice(rest.indexOf(slug) + slug.length).trim() || slug;
    if (title.length > 150) return usageReply(create, `The title is ${title.length} characters; keep it to 150.`);
    const result = await createCampaign(services.db, { slug, title, createdBy: userId });
    if (!result.ok)
      return reply(`\`${slug}\` is taken by another campaign: pick another handle, or see \`/campaign list\`.`);
    const posted = await postChecklist(services, result.campaign, userId);
    return reply(
      `Created *${result.campaign.title}* (\`${slug}\`) as a draft. Next: \`/campaign upload ${slug}\` for contacts, ` +
        `\`/campaign script ${slug}\` for the opening message, then \`/campaign launch ${slug}\`.\n` +
        checklistNote(posted),
    );
  },
};

export const list: CommandSpec = {
  name: "list",
  usage: "list",
  summary: "campaigns with state and progress",
  audience: "anyone",
  async run({ services, isOrganizer }) {
    const campaigns = await listCampaigns(services.db, isOrganizer ? undefined : ["active"]);
    if (campaigns.length === 0) {
      return reply(
        isOrganizer
          ? "No campaigns yet: start one with `/campaign create <slug> [title]`."
          : "No campaign is active right now.",
      );
    }
    const blocks = campaignListBlocks(campaigns, { isOrganizer });
    return reply(`${campaigns.length} campaign${campaigns.length === 1 ? "" : "s"}`, blocks);
  },
};
