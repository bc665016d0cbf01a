import type { Database } from "../db/database.ts";
import { loadConversation, queueReply, type QueueReplyResult } from "../campaigns/conversations/conversations.ts";
import { conversationHistory } from "../campaigns/conversations/reassign.ts";
import { volunteerDm } from "../campaigns/volunteers.ts";
import {
  addWatcher,
  watcherParentKey,
  watcherThreads,
  type AddWatcherResult,
} from "../campaigns/supervision/watchers.ts";
import { enqueuePost, type EnqueueInput } from "../outbox/outbox.ts";
import { conversationParent } from "./blocks/conversation.ts";
import { historyPost, relayedReply } from "./blocks/supervision.ts";
import { conversationView } from "./conversation-view.ts";
import { receiptQueued } from "./reply-receipts.ts";

/**
 * A conversation's threads beyond the volunteer's: every post that belongs in "the
 * conversation" goes to each of them through the outbox, keyed `<key>:w<watcher id>` so a retry
 * posts each once; `except.userId`'s own thread is left out (what they wrote, or a note meant for the
 * others). Works inside the caller's transaction.
 */
export async function postToWatchers(
  tx: Database,
  conversationId: number,
  posts: { key: string; payload: EnqueueInput["payload"] }[],
  except: { userId?: string } = {},
): Promise<number> {
  let queued = 0;
  for (const watcher of await watcherThreads(tx, conversationId)) {
    if (except.userId && watcher.userId === except.userId) continue;
    for (const post of posts) {
      await enqueuePost(tx, {
        dedupeKey: `${post.key}:w${watcher.id}`,
        channel: watcher.channel ?? watcher.userId,
        payload: { ...post.payload, thread_ts: watcher.threadTs ?? { fromOutbox: watcherParentKey(watcher.id) } },
      });
      queued += 1;
    }
  }
  return queued;
}

/**
 * A post in the volunteer's thread of the conversation, starting that thread (the parent,
 * `conv-parent:<id>`, as the inbound relay does) when the contact has not replied yet.
 * Nothing when nobody has the conversation, or when it is `exceptUser`'s.
 */
export async function postToVolunteerThread(
  tx: Database,
  conversationId: number,
  post: { key: string; payload: EnqueueInput["payload"] },
  exceptUser?: string,
): Promise<boolean> {
  const detail = await loadConversation(tx, conversationId);
  if (!detail) return false;
  const { conversation } = detail;
  if (exceptUser !== undefined && conversation.volunteer_id === exceptUser) return false;
  const parent = `conv-parent:${conversationId}`;
  let channel = conversation.slack_channel;
  if (!channel || !conversation.slack_thread_ts) {
    if (!conversation.volunteer_id) return false;
    channel = (await volunteerDm(tx, conversation.campaign_id, conversation.volunteer_id)) ?? conversation.volunteer_id;
    await enqueuePost(tx, { dedupeKey: parent, channel, payload: { ...conversationParent(conversationView(detail)) } });
  }
  await enqueuePost(tx, {
    dedupeKey: post.key,
    channel,
    payload: { ...post.payload, thread_ts: conversation.slack_thread_ts ?? { fromOutbox: parent } },
  });
  return true;
}

/**
 * A reply written in a thread (or a canned reply pressed there) texted to the contact
 * (queueReply) and, in the same transaction, shown in every other thread of the conversation:
 * the volunteer's when an organizer wrote it, the organizers' when the volunteer (or another
 * organizer) did. Each person's thread is in their own DM, so "other" means not the writer's.
 * One transaction, so a stored text is never without its posts, and queueReply's lock on the
 * conversation orders it with a thread being opened (see addWatcher).
 */
export async function queueReplyEverywhere(
  db: Database,
  input: Parameters<typeof queueReply>[1] & { userId: string },
): Promise<QueueReplyResult> {
  return db.transaction().execute(async (tx) => {
    const result = await queueReply(tx, input);
    if (!result.ok) return result;
    // The writer's own message says it is on its way (and later, delivered or failed).
    if (input.slackReply) await receiptQueued(tx, result.messageId, input.slackReply);
    const payload = relayedReply(input.userId, input.body);
    const key = `relay:${result.messageId}`;
    await postToVolunteerThread(tx, input.conversationId, { key, payload }, input.userId);
    await postToWatchers(tx, input.conversationId, [{ key, payload }], { userId: input.userId });
    return result;
  });
}

/**
 * Gives an organizer their own thread of the conversation: the same parent as the volunteer's
 * (tags, answers, canned replies) in their DM, and the history so far under it. Once per
 * organizer and conversation. Call inside a transaction.
 */
export async function openWatcherThread(
  tx: Database,
  input: { conversationId: number; userId: string; reason: "open" | "take"; why: string },
): Promise<AddWatcherResult> {
  const added = await addWatcher(tx, input);
  if (added.kind !== "added") return added;
  const detail = await loadConversation(tx, input.conversationId);
  if (!detail) return { kind: "gone" };
  const parent = watcherParentKey(added.watcherId);
  await enqueuePost(tx, {
    dedupeKey: parent,
    channel: input.userId,
    payload: { ...conversationParent(conversationView(detail)) },
  });
  const history = await conversationHistory(tx, input.conversationId);
  await enqueuePost(tx, {
    dedupeKey: `watch-history:${added.watcherId}`,
    channel: input.userId,
    payload: { ...historyPost(input.why, history), thread_ts: { fromOutbox: parent } },
  });
  return added;
}
