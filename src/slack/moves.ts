import { loadConversation } from "../campaigns/conversations/conversations.ts";
import { conversationHistory, type MovedThread } from "../campaigns/conversations/reassign.ts";
import { volunteerDm } from "../campaigns/volunteers.ts";
import type { Database } from "../db/database.ts";
import { enqueuePost } from "../outbox/outbox.ts";
import { conversationParent } from "./blocks/conversation.ts";
import { movedParent } from "./blocks/moves.ts";
import { escapeText, truncate } from "./blocks/text.ts";
import { conversationView } from "./conversation-view.ts";

/**
 * What the people involved see when conversations change hands (reassign, release, stale
 * handoff, the review's Reassign and Reassign all matching), all through the outbox and in the
 * caller's transaction when it has one:
 *
 * - the new volunteer's introduction first (`intro`, once per move: its dedupe key), then each
 *   conversation's thread parent and history in their DM, in the order given. One channel's
 *   items are posted in id order, so the introduction comes before the threads it announces;
 * - each old thread parent is edited (chat.update at its recorded channel and ts) to say where
 *   the conversation went, with its buttons gone. A parent never posted has nothing to edit.
 *
 * `key` makes one move's posts one set, however often it is retried.
 */
export async function postMovedThreads(
  db: Database,
  input: {
    campaignId: number;
    to: string;
    moved: readonly MovedThread[];
    key: string;
    /** The history's first line, e.g. "Reassigned to you by an organizer." */
    why: string;
    /** What the old parent says instead of its buttons. */
    note: (moved: MovedThread) => string;
    intro?: { dedupeKey: string; text: string };
    /** An introduction enqueued earlier (a job's): the threads wait until it is posted. */
    after?: string;
  },
): Promise<void> {
  const channel = (await volunteerDm(db, input.campaignId, input.to)) ?? input.to;
  if (input.intro && input.moved.length)
    await enqueuePost(db, { dedupeKey: input.intro.dedupeKey, channel, payload: { text: input.intro.text } });
  const after = input.intro?.dedupeKey ?? input.after;
  for (const moved of input.moved) {
    const detail = await loadConversation(db, moved.id);
    if (!detail) continue;
    const view = conversationView(detail);
    const parentKey = `conv-parent:${moved.id}:${input.key}`;
    await enqueuePost(db, {
      dedupeKey: parentKey,
      channel,
      payload: { ...conversationParent(view) },
      ...(after ? { after } : {}),
    });
    const history = await conversationHistory(db, moved.id);
    const lines = history.map((m) => `${m.direction === "in" ? "*Them:*" : "*Us:*"} ${escapeText(m.body)}`);
    await enqueuePost(db, {
      dedupeKey: `history:${moved.id}:${input.key}`,
      channel,
      payload: {
        text: truncate(`${input.why} The conversation so far:\n${lines.join("\n")}`, 3900),
        thread_ts: { fromOutbox: parentKey },
      },
    });
    if (moved.channel && moved.threadTs)
      await enqueuePost(db, {
        dedupeKey: `moved-parent:${moved.id}:${input.key}`,
        channel: moved.channel,
        method: "chat.update",
        payload: { ts: moved.threadTs, ...movedParent(view, input.note(moved)) },
      });
  }
}
