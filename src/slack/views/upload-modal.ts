import type { View } from "@slack/types";
import { isOrganizer } from "../../campaigns/organizers.ts";
import type { Campaign } from "../../db/schema.ts";
import type { SlackDeps } from "../deps.ts";
import { escapeText, truncate } from "../blocks/text.ts";
import { csvFileBlocks, importSlackFile, onFileSharedInDm, submittedFile } from "../uploads.ts";
import { campaignFromArgs, reply, type CommandSpec } from "../commands/types.ts";
import type { SlackRouter } from "../router.ts";

export const UPLOAD_CALLBACK = "upload_contacts";

export function uploadModal(campaign: Pick<Campaign, "id" | "slug" | "title">): View {
  return {
    type: "modal",
    callback_id: UPLOAD_CALLBACK,
    private_metadata: JSON.stringify({ slug: campaign.slug }),
    title: { type: "plain_text", text: "Upload contacts" },
    submit: { type: "plain_text", text: "Import" },
    close: { type: "plain_text", text: "Cancel" },
    blocks: [
      {
        type: "section",
        text: {
          type: "mrkdwn",
          text: truncate(
            `Contacts for *${escapeText(campaign.title)}*. ` +
              `A header row and a phone column (\`phone\`, \`cell\`, \`mobile\`…) are needed; ` +
              `names, \`zip\`, \`timezone\`, \`external_id\` and any other column are kept.`,
            3000,
          ),
        },
      },
      ...csvFileBlocks("Contacts CSV", `upload ${campaign.slug}`),
    ],
  };
}

export const upload: CommandSpec = {
  name: "upload",
  usage: "upload <slug>",
  summary: "import contacts from a CSV (modal; larger files in the DM with `upload <slug>`)",
  audience: "organizer",
  async run(ctx) {
    const { campaign, problem } = await campaignFromArgs(ctx, upload);
    if (!campaign) return problem;
    const { services, triggerId } = ctx;
    if (campaign.state === "archived") return reply(`*${campaign.title}* is archived; it takes no more contacts.`);
    await services.slack.views.open({ trigger_id: triggerId, view: uploadModal(campaign) });
    return undefined;
  },
};

export function registerUploadViews(app: SlackRouter, services: SlackDeps): void {
  app.view(UPLOAD_CALLBACK, async ({ ack, body }) => {
    const submitted = submittedFile(body);
    let slug: string | undefined;
    try {
      slug = submitted ? (JSON.parse(submitted.privateMetadata) as { slug?: string }).slug : undefined;
    } catch {
      slug = undefined;
    }
    const fileId = submitted?.fileId;
    if (!submitted || !fileId) {
      await ack({ response_action: "errors", errors: { csv: "Choose a CSV file to import." } });
      return;
    }
    if (!slug || !(await isOrganizer(services.db, services.settings.ORGANIZER_IDS, submitted.userId))) {
      await ack({
        response_action: "errors",
        errors: { csv: "Only organizers can upload contacts, to a campaign that exists." },
      });
      return;
    }
    // The modal closes at once; progress and the summary arrive in the organizer's DM.
    await ack();
    // Its first DM is outside its own catch: a Slack that is busy then must not become an
    // unhandled rejection, which would end the process.
    void importSlackFile(services, { campaignSlug: slug, fileId, userId: submitted.userId }).catch((error: unknown) =>
      services.logger.error("the upload could not start", error),
    );
  });

  // Files over the modal's 10 MB: shared in the DM with the message `upload <slug>`.
  onFileSharedInDm(app, services, {
    command: /^\s*upload\s+(\S+)\s*$/i,
    refusal: "Only organizers can upload contacts.",
    run: ({ match, fileId, userId }) =>
      importSlackFile(services, { campaignSlug: match[1]!.toLowerCase(), fileId, userId }),
  });
}
