import type { Database } from "../../db/database.ts";
import type { Conversation } from "../../db/schema.ts";

/**
 * A conversation's extra threads: one per organizer who opened it or took it from an
 * escalation, in that organizer's DM. What the contact, the volunteer or any of them writes is
 * shown in every other thread of the conversation (the callers post through the outbox).
 */
export interface WatcherThread {
  id: number;
  userId: string;
  /** Known once the thread's parent is posted; until then posts name the parent's outbox key. */
  channel: string | null;
  threadTs: string | null;
}

/** The outbox key of an organizer's thread parent; its onPosted hook stores channel and thread_ts. */
export const watcherParentKey = (watcherId: number) => `watch-parent:${watcherId}`;

/**
 * Every organizer thread of a conversation, oldest first. Inside a transaction that has locked
 * the conversation's row (queueReply, processInbound's update), a thread being opened meanwhile
 * is either seen here or has waited for that lock, and then its history shows the message.
 */
export async function watcherThreads(db: Database, conversationId: number): Promise<WatcherThread[]> {
  return db
    .selectFrom("conversation_watchers")
    .select(["id", "user_id as userId", "channel", "thread_ts as threadTs"])
    .where("conversation_id", "=", conversationId)
    .orderBy("id")
    .execute();
}

/** The conversation of an organizer's thread (channel and thread of a post in it), if it is one. */
export async function findConversationByWatcherThread(
  db: Database,
  channel: string,
  threadTs: string,
): Promise<Conversation | undefined> {
  return db
    .selectFrom("conversation_watchers as w")
    .innerJoin("conversations as c", "c.id", "w.conversation_id")
    .selectAll("c")
    .where("w.channel", "=", channel)
    .where("w.thread_ts", "=", threadTs)
    .executeTakeFirst();
}

export type AddWatcherResult =
  | { kind: "added"; watcherId: number }
  | { kind: "already"; watcher: WatcherThread }
  | { kind: "owner" }
  | { kind: "gone" };

/**
 * Gives `userId` a thread of the conversation, once: the key (conversation, user) makes a
 * second Open find the first thread. The conversation's row is locked first (FOR NO KEY
 * UPDATE, as queueReply and an inbound text's processing do), so a text or reply committed
 * before this is in the history the caller reads next in the same transaction, and one
 * committed after finds this thread. The volunteer who has the conversation needs no second
 * thread ("owner"). Call inside a transaction.
 */
export async function addWatcher(
  tx: Database,
  input: { conversationId: number; userId: string; reason: "open" | "take" },
): Promise<AddWatcherResult> {
  const conversation = await tx
    .selectFrom("conversations")
    .select(["id", "volunteer_id"])
    .where("id", "=", input.conversationId)
    .forNoKeyUpdate()
    .executeTakeFirst();
  if (!conversation) return { kind: "gone" };
  if (conversation.volunteer_id === input.userId) return { kind: "owner" };
  const inserted = await tx
    .insertInto("conversation_watchers")
    .values({ conversation_id: input.conversationId, user_id: input.userId, reason: input.reason })
    .onConflict((oc) => oc.columns(["conversation_id", "user_id"]).doNothing())
    .returning("id")
    .executeTakeFirst();
  if (inserted) return { kind: "added", watcherId: inserted.id };
  const watcher = await tx
    .selectFrom("conversation_watchers")
    .select(["id", "user_id as userId", "channel", "thread_ts as threadTs"])
    .where("conversation_id", "=", input.conversationId)
    .where("user_id", "=", input.userId)
    .executeTakeFirstOrThrow();
  return { kind: "already", watcher };
}
