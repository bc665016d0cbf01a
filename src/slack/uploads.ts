import { Readable } from "node:stream";
import type { KnownBlock } from "@slack/types";
import { z } from "zod";
import { isOrganizer } from "../campaigns/organizers.ts";
import { firstDelivery } from "../campaigns/slack-events.ts";
import { findCampaign } from "../campaigns/campaigns.ts";
import { importContacts, type ImportSummary } from "../campaigns/contacts/import.ts";
import type { Campaign } from "../db/schema.ts";
import type { SlackDeps } from "./deps.ts";
import { escapeText } from "./blocks/text.ts";
import { refreshChecklist } from "./checklist.ts";
import type { SlackRouter } from "./router.ts";

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

/** A message in the user's DM with the app, and how to rewrite it (a failed rewrite is only logged). */
export async function progressInDm(
  services: Pick<SlackDeps, "slack" | "logger">,
  userId: string,
  first: string,
): Promise<(text: string) => Promise<void>> {
  const dm = await services.slack.chat.postMessage({ channel: userId, text: first });
  return (text) =>
    services.slack.chat
      .update({ channel: dm.channel!, ts: dm.ts!, text })
      .then(() => undefined)
      .catch((error: unknown) => services.logger.warn("progress update failed", error));
}

/**
 * A file shared in Slack, fetched for an import with the bot token (only from Slack's own
 * hosts), or, in words for the person who shared it, why it can't be read.
 */
export async function fetchSharedFile(
  services: Pick<SlackDeps, "slack" | "settings">,
  fileId: string,
): Promise<{ ok: true; name: string; size: number; input: Readable } | { ok: false; problem: string }> {
  const info = await services.slack.files.info({ file: fileId });
  const file = info.file;
  const url = file?.url_private_download ?? file?.url_private;
  if (!file || !url) return { ok: false, problem: "Slack did not give me that file; share it again." };
  if (!isSlackFileUrl(url, services.settings.SLACK_API_URL!))
    return {
      ok: false,
      problem: "That file is not stored on Slack (it links elsewhere), so I won't fetch it. Upload the CSV itself.",
    };
  const res = await fetch(url, { headers: { authorization: `Bearer ${services.settings.SLACK_BOT_TOKEN}` } });
  if (!res.ok || !res.body)
    return { ok: false, problem: `Slack answered ${res.status} for that file; nothing was imported. Share it again.` };
  if ((res.headers.get("content-type") ?? "").includes("text/html"))
    return {
      ok: false,
      problem:
        "Slack sent a web page instead of the file (a sign-in page?); nothing was imported. " +
        "Check the app has files:read and share again.",
    };
  return {
    ok: true,
    name: file.name ?? "your file",
    size: file.size ?? 0,
    input: Readable.fromWeb(res.body as import("node:stream/web").ReadableStream),
  };
}

/**
 * An import's onProgress that tells the person at least every 10% of the file or 5 seconds:
 * `say` gets how much was read ("40%", or "3.2 MB" when Slack gave no size) and the rows so far.
 */
export function importProgress(size: number, say: (read: string, rows: number) => void) {
  let lastUpdate = Date.now();
  let lastPercent = 0;
  return (bytes: number, rows: number) => {
    const percent = size ? Math.floor((bytes / size) * 100) : 0;
    if (percent - lastPercent < 10 && Date.now() - lastUpdate < 5000) return;
    lastPercent = percent;
    lastUpdate = Date.now();
    say(size ? `${percent}%` : `${(bytes / 1e6).toFixed(1)} MB`, rows);
  };
}

/**
 * Fetches a Slack file and imports it, telling the organizer in their DM: one message,
 * updated at least every 10% or 5 seconds, ending with the summary or the reason it was refused.
 */
export async function importSlackFile(
  services: SlackDeps,
  input: { campaignSlug: string; fileId: string; userId: string },
): Promise<void> {
  const update = await progressInDm(services, input.userId, "Reading your contacts file…");
  try {
    const campaign = await findCampaign(services.db, input.campaignSlug);
    if (!campaign) return void (await update(`There is no campaign \`${input.campaignSlug}\`; nothing was imported.`));
    if (campaign.state === "archived")
      return void (await update(`*${campaign.title}* is archived; nothing was imported.`));
    const file = await fetchSharedFile(services, input.fileId);
    if (!file.ok) return void (await update(file.problem));
    const result = await importContacts(services.db, {
      campaignId: campaign.id,
      startedBy: input.userId,
      fileName: file.name,
      input: file.input,
      defaultCountry: services.settings.DEFAULT_COUNTRY,
      pool: services.pgPool,
      onProgress: importProgress(file.size, (read, rows) => {
        void update(
          `Importing *${file.name}* into *${campaign.title}*: ` +
            `${read} read, ${rows.toLocaleString("en-US")} rows so far…`,
        );
      }),
    });
    await update(
      result.ok
        ? summaryText(campaign, result.summary)
        : `:warning: *${file.name}* was not imported into *${campaign.title}*: ${result.reason}\nNothing was changed.`,
    );
    if (result.ok) await refreshChecklist(services, campaign.id);
  } catch (error) {
    services.logger.error("import failed", error);
    await update("The upload failed on our side and nothing was imported; try again in a moment.");
  }
}

const fileSubmission = z.object({
  user: z.object({ id: z.string() }),
  view: z.object({
    private_metadata: z.string().optional(),
    state: z.object({
      values: z.record(
        z.string(),
        z.record(z.string(), z.object({ files: z.array(z.object({ id: z.string() })).optional() }).loose()),
      ),
    }),
  }),
});

/**
 * An upload modal's file blocks: the `csv` file input submittedFile reads, and the way round
 * Slack's 10 MB limit (share the file in the DM with `dmMessage`, which onFileSharedInDm matches).
 */
export function csvFileBlocks(label: string, dmMessage: string): KnownBlock[] {
  return [
    {
      type: "input",
      block_id: "csv",
      label: { type: "plain_text", text: label },
      element: { type: "file_input", action_id: "file", filetypes: ["csv", "txt", "tsv"], max_files: 1 },
    },
    {
      type: "context",
      elements: [
        {
          type: "mrkdwn",
          text: `Larger than 10 MB? Share the file in your DM with Textbank with the message \`${dmMessage}\`.`,
        },
      ],
    },
  ];
}

/**
 * An upload modal's submission: who sent it, the file chosen in its `csv` block (none when the
 * form came without one) and the modal's private_metadata; undefined when it is not such a form.
 */
export function submittedFile(
  body: unknown,
): { userId: string; fileId: string | undefined; privateMetadata: string } | undefined {
  const parsed = fileSubmission.safeParse(body);
  if (!parsed.success) return undefined;
  return {
    userId: parsed.data.user.id,
    fileId: parsed.data.view.state.values.csv?.file?.files?.[0]?.id,
    privateMetadata: parsed.data.view.private_metadata ?? "",
  };
}

/**
 * Files over a modal's 10 MB limit come as a file shared in the DM with the app, with a message
 * (`command`, matched whole). Each delivery runs once; someone who is not an organizer hears
 * `refusal`; `run` gets the match, the first file and who shared it.
 */
export function onFileSharedInDm(
  app: SlackRouter,
  services: SlackDeps,
  input: {
    command: RegExp;
    refusal: string;
    run: (share: { match: RegExpExecArray; fileId: string; userId: string }) => Promise<void>;
  },
): void {
  app.event("message", async ({ event, body }) => {
    const message = event as unknown as {
      subtype?: string;
      channel_type?: string;
      user?: string;
      text?: string;
      files?: { id: string }[];
    };
    if (message.subtype !== "file_share" || message.channel_type !== "im" || !message.user) return;
    const match = input.command.exec(message.text ?? "");
    if (!match) return;
    if (!(await firstDelivery(services.db, (body as { event_id?: string }).event_id))) return;
    if (!(await isOrganizer(services.db, services.settings.ORGANIZER_IDS, message.user))) {
      await services.slack.chat.postMessage({ channel: message.user, text: input.refusal });
      return;
    }
    const file = message.files?.[0];
    if (!file) return;
    await input.run({ match, fileId: file.id, userId: message.user });
  });
}
