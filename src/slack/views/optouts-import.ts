import type { View } from "@slack/types";
import { isOrganizer } from "../../campaigns/organizers.ts";
import { importOptOuts } from "../../campaigns/opt-outs/manage.ts";
import type { SlackDeps } from "../deps.ts";
import { optOutImportText } from "../blocks/optouts.ts";
import {
  csvFileBlocks,
  fetchSharedFile,
  importProgress,
  onFileSharedInDm,
  progressInDm,
  submittedFile,
} from "../uploads.ts";
import type { SlackRouter } from "../router.ts";

export const OPTOUT_IMPORT_CALLBACK = "optouts_import";

export function optOutImportModal(): View {
  return {
    type: "modal",
    callback_id: OPTOUT_IMPORT_CALLBACK,
    title: { type: "plain_text", text: "Import opt-outs" },
    submit: { type: "plain_text", text: "Import" },
    close: { type: "plain_text", text: "Cancel" },
    blocks: [
      {
        type: "section",
        text: {
          type: "mrkdwn",
          text:
            "Every number in the file goes on the workspace's opt-out list: nobody in any campaign will " +
            "text it again. Any column of phone numbers counts: one headed `phone`, `mobile`, `cell`, " +
            "`number` or `… phone`, or else the column that holds phone numbers; other columns are ignored.",
        },
      },
      ...csvFileBlocks("Opt-out CSV", "optouts import"),
    ],
  };
}

/**
 * Fetches a Slack file and adds its numbers to the opt-out list, telling the organizer in
 * their DM: one message, updated at least every 10% or 5 seconds, ending with the counts.
 */
export async function importOptOutFile(services: SlackDeps, input: { fileId: string; userId: string }): Promise<void> {
  const update = await progressInDm(services, input.userId, "Reading your opt-out file…");
  try {
    const file = await fetchSharedFile(services, input.fileId);
    if (!file.ok) return void (await update(file.problem));
    const name = file.name;
    const result = await importOptOuts(services.db, {
      input: file.input,
      defaultCountry: services.settings.DEFAULT_COUNTRY,
      actor: input.userId,
      onProgress: importProgress(file.size, (read, rows) => {
        void update(
          `Importing *${name}* into the opt-out list: ${read} read, ${rows.toLocaleString("en-US")} rows so far…`,
        );
      }),
    });
    await update(optOutImportText(name, result));
  } catch (error) {
    services.logger.error("opt-out import failed", error);
    await update(
      "The opt-out import failed on our side; numbers read before the failure stay on the list. " +
        "Try again in a moment: numbers already added are counted as already on the list.",
    );
  }
}

export function registerOptOutImportViews(app: SlackRouter, services: SlackDeps): void {
  app.view(OPTOUT_IMPORT_CALLBACK, async ({ ack, body }) => {
    const submitted = submittedFile(body);
    const fileId = submitted?.fileId;
    if (!submitted || !fileId) {
      await ack({ response_action: "errors", errors: { csv: "Choose a CSV file to import." } });
      return;
    }
    const userId = submitted.userId;
    if (!(await isOrganizer(services.db, services.settings.ORGANIZER_IDS, userId))) {
      await ack({ response_action: "errors", errors: { csv: "Only organizers can change the opt-out list." } });
      return;
    }
    // The modal closes at once; progress and the counts arrive in the organizer's DM.
    await ack();
    void importOptOutFile(services, { fileId, userId }).catch((error: unknown) =>
      services.logger.error("the opt-out import could not start", error),
    );
  });

  // Files over the modal's 10 MB: shared in the DM with the message `optouts import`.
  onFileSharedInDm(app, services, {
    command: /^\s*(?:\/campaign\s+)?optouts\s+import\s*$/i,
    refusal: "Only organizers can change the opt-out list.",
    run: ({ fileId, userId }) => importOptOutFile(services, { fileId, userId }),
  });
}
