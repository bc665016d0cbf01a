import { volunteerDm } from "../campaigns/volunteers.ts";
import {
  conversationHistory,
  handoffCandidates,
  moveConversation,
  staleConversations,
} from "../campaigns/conversations/reassign.ts";
import { loadConversation } from "../campaigns/conversations/conversations.ts";
import type { SlackDeps } from "./deps.ts";
import { conversationParent } from "./blocks/conversation.ts";
import { escapeText, truncate } from "./blocks/text.ts";
import { conversationView } from "./conversation-view.ts";
import { enqueuePost } from "../outbox/outbox.ts";

/**
 * Starts each conversation's thread again in its (new) volunteer's DM, with the history so far,
 * through the outbox. The thread coordinates are stored when the parent is posted.
 */
export async function startThreads(
  services: SlackDeps,
  campaignId: number,
  conversationIds: number[],
  to: string,
  why: string,
): Promise<void> {
  const channel = (await volunteerDm(services.db, campaignId, to)) ?? to;
  const stamp = Date.now().toString(36);
  for (const id of conversationIds) {
    const detail = await loadConversation(services.db, id);
    if (!detail) continue;
    const parentKey = `conv-parent:${id}:r${stamp}`;
    await enqueuePost(services.db, {
      dedupeKey: parentKey,
      channel,
      payload: { ...conversationParent(conversationView(detail)) },
    });
    const history = await conversationHistory(services.db, id);
    const lines = history.map((m) => `${m.direction === "in" ? "*Them:*" : "*Us:*"} ${escapeText(m.body)}`);
    await enqueuePost(services.db, {
      dedupeKey: `history:${id}:r${stamp}`,
      channel,
      payload: {
        text: truncate(`${why} The conversation so far:\n${lines.join("\n")}`, 3900),
        thread_ts: { fromOutbox: parentKey },
      },
    });
  }
  services.outbox.kick();
}

/**
 * Conversations left waiting longer than the campaign's limit go to volunteers on shift (the
 * least loaded first, never back to their owner). Returns how many moved.
 */
export async function releaseStaleReplies(
  services: SlackDeps,
  campaign: { id: number; stale_reply_minutes: number },
  volunteerId?: string,
): Promise<number> {
  const stale = await staleConversations(services.db, {
    campaignId: campaign.id,
    minutes: campaign.stale_reply_minutes,
    volunteerId,
  });
  let moved = 0;
  for (const conversation of stale) {
    const [target] = await handoffCandidates(
      services.db,
      campaign.id,
      conversation.volunteerId ? [conversation.volunteerId] : [],
    );
    if (!target) continue;
    await moveConversation(services.db, conversation.id, target);
    await startThreads(
      services,
      campaign.id,
      [conversation.id],
      target,
      `This reply waited over ${campaign.stale_reply_minutes} minutes, so it came to you.`,
    );
    moved += 1;
  }
  return moved;
}
