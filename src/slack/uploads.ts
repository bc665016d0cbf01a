import { Readable } from "node:stream";
import { findCampaign } from "../campaigns/campaigns.ts";
import { importContacts, type ImportSummary } from "../campaigns/contacts/import.ts";
import type { Campaign } from "../db/schema.ts";
import type { SlackDeps } from "./deps.ts";
import { escapeText } from "./blocks/text.ts";
import { refreshChecklist } from "./checklist.ts";

/**
 * The bot token goes only to Slack's own file hosts (or the configured Web API host): a file
 * object's URL can point anywhere, and a token sent there would leak.
 */
export function isSlackFileUrl(url: string, slackApiUrl: string): boolean {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return false;
  }
  const api = new URL(slackApiUrl);
  if (target.host === api.host && target.protocol === api.protocol) return true;
  return (
    target.protocol === "https:" &&
    (target.hostname === "slack.com" ||
      target.hostname.endsWith(".slack.com") ||
      target.hostname === "slack-files.com" ||
      target.hostname.endsWith(".slack-files.com"))
  );
}

export function summaryText(campaign: Pick<Campaign, "title" | "slug">, s: ImportSummary): string {
  const n = (value: number) => value.toLocaleString("en-US");
  const lines = [
    `*Upload to ${campaign.title}* finished: *${n(s.imported)} imported* from ${n(s.rows)} rows.`,
    `• Duplicates: ${n(s.duplicatesInFile + s.duplicatesInCampaign)} ` +
      `(${n(s.duplicatesInFile)} repeated in the file, ${n(s.duplicatesInCampaign)} already in the campaign)`,
    `• Invalid: ${n(s.invalid)}${s.invalidRows.length ? "" : ""}`,
    ...s.invalidRows.map(
      (r) => `    row ${r.rowNumber}${r.name ? ` (${escapeText(r.name)})` : ""}: ${escapeText(r.reason)}`,
    ),
    ...(s.invalid > s.invalidRows.length ? [`    …and ${n(s.invalid - s.invalidRows.length)} more`] : []),
    `• Opted out earlier (kept, never texted): ${n(s.optedOut)}`,
    s.customColumns.length
      ? `• Custom fields for scripts: ${s.customColumns.map((h) => `\`{${h.replace(/[{}|]/g, "")}}\``).join(", ")}`
      : "• No custom columns.",
    `Next: \`/campaign script ${campaign.slug}\`.`,
  ];
  return lines.join("\n");
}

/**
 * Fetches a Slack file and imports it, telling the organizer in their DM: one message,
 * updated at least every 10% or 5 seconds, ending with the summary or the reason it was refused.
 */
export async function importSlackFile(
  services: SlackDeps,
  input: { campaignSlug: string; fileId: string; userId: string },
): Promise<void> {
  const { slack, logger } = services;
  const dm = await slack.chat.postMessage({ channel: input.userId, text: "Reading your contacts file…" });
  const update = (text: string) =>
    slack.chat
      .update({ channel: dm.channel!, ts: dm.ts!, text })
      .catch((error: unknown) => logger.warn("progress update failed", error));
  try {
    const campaign = await findCampaign(services.db, input.campaignSlug);
    if (!campaign) return void (await update(`There is no campaign \`${input.campaignSlug}\`; nothing was imported.`));
    if (campaign.state === "archived")
      return void (await update(`*${campaign.title}* is archived; nothing was imported.`));
    const info = await slack.files.info({ file: input.fileId });
    const file = info.file;
    const url = file?.url_private_download ?? file?.url_private;
    if (!file || !url) return void (await update("Slack did not give me that file; share it again."));
    if (!isSlackFileUrl(url, services.settings.SLACK_API_URL!)) {
      return void (await update(
        "That file is not stored on Slack (it links elsewhere), so I won't fetch it. Upload the CSV itself.",
      ));
    }
    const res = await fetch(url, { headers: { authorization: `Bearer ${services.settings.SLACK_BOT_TOKEN}` } });
    if (!res.ok || !res.body)
      return void (await update(`Slack answered ${res.status} for that file; nothing was imported. Share it again.`));
    if ((res.headers.get("content-type") ?? "").includes("text/html")) {
      return void (await update(
        "Slack sent a web page instead of the file (a sign-in page?); nothing was imported. " +
          "Check the app has files:read and share again.",
      ));
    }
    const size = file.size ?? 0;
    let lastUpdate = Date.now();
    let lastPercent = 0;
    const result = await importContacts(services.db, {
      campaignId: campaign.id,
      startedBy: input.userId,
      fileName: file.name ?? null,
      input: Readable.fromWeb(res.body as import("node:stream/web").ReadableStream),
      defaultCountry: services.settings.DEFAULT_COUNTRY,
      pool: services.pgPool,
      onProgress: (bytes, rows) => {
        const percent = size ? Math.floor((bytes / size) * 100) : 0;
        if (percent - lastPercent >= 10 || Date.now() - lastUpdate >= 5000) {
          lastPercent = percent;
          lastUpdate = Date.now();
          void update(
            `Importing *${file.name}* into *${campaign.title}*: ` +
              `${size ? `${percent}%` : `${(bytes / 1e6).toFixed(1)} MB`} read, ` +
              `${rows.toLocaleString("en-US")} rows so far…`,
          );
        }
      },
    });
    await update(
      result.ok
        ? summaryText(campaign, result.summary)
        : `:warning: *${file.name}* was not imported into *${campaign.title}*: ${result.reason}\nNothing was changed.`,
    );
    if (result.ok) await refreshChecklist(services, campaign.id);
  } catch (error) {
    logger.error("import failed", error);
    await update("The upload failed on our side and nothing was imported; try again in a moment.");
  }
}
