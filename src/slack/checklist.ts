import { campaignById } from "../campaigns/campaigns.ts";
import {
  checklistFingerprint,
  checklistState,
  nextChecklistUpdate,
  rememberChecklist,
} from "../campaigns/checklist.ts";
import type { Campaign } from "../db/schema.ts";
import { enqueuePost } from "../outbox/outbox.ts";
import { checklistMessage } from "./blocks/checklist.ts";
import type { SlackDeps } from "./deps.ts";

/**
 * The setup checklist in the organizer's DM. Posted once, at `create` or `copy`; from then on
 * every change that moves an item (an import finishes, the script is saved, the hours change,
 * a launch, pause or archive) calls refreshChecklist, which updates the same message through the
 * outbox (durable, paced, retried) when what it shows has changed.
 */

/** Posts the checklist to `userId`'s DM and remembers where; false when Slack refused (said by the caller). */
export async function postChecklist(services: SlackDeps, campaign: Campaign, userId: string): Promise<boolean> {
  try {
    const state = await checklistState(services.db, campaign);
    const message = checklistMessage(state);
    const posted = await services.slack.chat.postMessage({ channel: userId, ...message });
    if (!posted.channel || !posted.ts) return false;
    await rememberChecklist(services.db, campaign.id, {
      channel: posted.channel,
      ts: posted.ts,
      fingerprint: checklistFingerprint(state),
    });
    // Anything that changed while it was being posted is shown at once.
    await refreshChecklist(services, campaign.id);
    return true;
  } catch (error) {
    services.logger.warn(`posting the setup checklist of ${campaign.slug} failed`, error);
    return false;
  }
}

/** The line of a create or copy answer that says where the checklist is. */
export function checklistNote(posted: boolean): string {
  return posted
    ? "Your setup checklist is in your DM with Textbank: it ticks off each step as you go, " +
        "and its *Launch* button appears once the campaign is ready."
    : "Your setup checklist could not be posted to your DM just now; the commands above work all the same.";
}

/**
 * Enqueues an update of the campaign's checklist when what it shows has changed. Never throws:
 * the change that called it (a saved script, a launch) has happened whatever the checklist does.
 */
export async function refreshChecklist(services: SlackDeps, campaignId: number): Promise<void> {
  try {
    const enqueued = await services.db.transaction().execute(async (tx) => {
      const update = await nextChecklistUpdate(tx, campaignId);
      if (!update) return false;
      const message = checklistMessage(update.state);
      await enqueuePost(tx, {
        dedupeKey: `checklist:${campaignId}:${update.rev}:${update.fingerprint}`,
        channel: update.channel,
        method: "chat.update",
        payload: { ts: update.ts, ...message },
      });
      return true;
    });
    if (enqueued) services.outbox.kick();
  } catch (error) {
    services.logger.warn(`updating the setup checklist of campaign ${campaignId} failed`, error);
  }
}

/** The campaign a button names, when it still exists (a forged or stale id: undefined). */
export async function campaignOfButton(services: SlackDeps, value: string | undefined): Promise<Campaign | undefined> {
  const id = Number(value);
  return Number.isSafeInteger(id) && id > 0 ? campaignById(services.db, id) : undefined;
}
