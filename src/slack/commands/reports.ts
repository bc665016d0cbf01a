import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exportContacts, exportMessages } from "../../campaigns/export.ts";
import { campaignStats } from "../../campaigns/stats.ts";
import { statsBlocks } from "../blocks/stats.ts";
import { uploadFile } from "../files.ts";
import type { Campaign } from "../../db/schema.ts";
import type { SlackDeps } from "../deps.ts";
import { campaignFromArgs, reply, type CommandSpec } from "./types.ts";

export const stats: CommandSpec = {
  name: "stats",
  usage: "stats <slug>",
  summary: "sent, delivered, failed, replies, reply rate, opt-outs, tags, survey answers, per volunteer",
  audience: "organizer",
  async run(ctx) {
    const { services } = ctx;
    const { campaign, problem } = await campaignFromArgs(ctx, stats);
    if (!campaign) return problem;
    const figures = await campaignStats(services.db, campaign.id);
    const message = statsBlocks(campaign.title, figures, services.now());
    return reply(message.text, message.blocks);
  },
};

/**
 * Writes the campaign's two CSVs to disk page by page and uploads them to `userId`'s DM: flat
 * memory at any size. The same for `/campaign export` and the App Home's Export button.
 */
export async function sendExport(services: SlackDeps, campaign: Campaign, userId: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "textbank-export-"));
  try {
    const contactsPath = join(dir, "contacts.csv");
    const messagesPath = join(dir, "messages.csv");
    const contacts = await exportContacts(services.db, campaign.id, contactsPath);
    const messages = await exportMessages(services.db, campaign.id, messagesPath);
    const dm = await services.slack.conversations.open({ users: userId });
    const channelId = dm.channel?.id ?? userId;
    const stamp = services.now().toISOString().slice(0, 10);
    await uploadFile(services.slack, {
      path: contactsPath,
      filename: `${campaign.slug}-contacts-${stamp}.csv`,
      channelId,
      initialComment: `Export of *${campaign.title}*: ${contacts.toLocaleString("en-US")} contacts.`,
    });
    await uploadFile(services.slack, {
      path: messagesPath,
      filename: `${campaign.slug}-messages-${stamp}.csv`,
      channelId,
      initialComment: `${messages.toLocaleString("en-US")} messages.`,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const exportPreparing = (campaign: Pick<Campaign, "title">) =>
  `Preparing the export of *${campaign.title}*; the CSV files will arrive in your DM with Textbank.`;
export const exportFailed = (campaign: Pick<Campaign, "title">) =>
  `The export of *${campaign.title}* failed on our side; try again in a moment.`;

export const exportCsv: CommandSpec = {
  name: "export",
  usage: "export <slug>",
  summary: "CSV of contacts and of messages, uploaded to your DM",
  audience: "organizer",
  async run(ctx) {
    const { services, userId, respondLater } = ctx;
    const { campaign, problem } = await campaignFromArgs(ctx, exportCsv);
    if (!campaign) return problem;
    void sendExport(services, campaign, userId).catch(async (error: unknown) => {
      services.logger.error(`export of ${campaign.slug} failed`, error);
      await respondLater(reply(exportFailed(campaign))).catch(() => undefined);
    });
    return reply(exportPreparing(campaign));
  },
};
