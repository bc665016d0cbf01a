import type { Database } from "../db/database.ts";
import { Outbox, type OutboxOptions } from "./outbox.ts";

/** `conv-parent:<conversation id>[:<suffix>]` → the conversation id. */
export function conversationIdOfParentKey(key: string): number | undefined {
  const id = Number(key.split(":")[1]);
  return Number.isInteger(id) && id > 0 ? id : undefined;
}

/** Once a conversation's parent is posted, its thread is where replies and events go. */
export async function rememberThread(
  db: Database,
  dedupeKey: string,
  posted: { ts: string; channel: string },
): Promise<void> {
  const id = conversationIdOfParentKey(dedupeKey);
  if (id === undefined) return;
  await db
    .updateTable("conversations")
    .set({ slack_channel: posted.channel, slack_thread_ts: posted.ts })
    .where("id", "=", id)
    .execute();
}

/**
 * Once an organizer's thread of a conversation (`watch-parent:<watcher id>`, opened or taken
 * from an escalation) is posted, its later posts go there and their replies are found by it.
 */
export async function rememberWatcherThread(
  db: Database,
  dedupeKey: string,
  posted: { ts: string; channel: string },
): Promise<void> {
  const id = Number(dedupeKey.split(":")[1]);
  if (!Number.isInteger(id) || id <= 0) return;
  await db
    .updateTable("conversation_watchers")
    .set({ channel: posted.channel, thread_ts: posted.ts })
    .where("id", "=", id)
    .execute();
}

/**
 * Starts the app's outbox poster (on the main or the background worker), which remembers each thread once its
 * parent is posted.
 */
export function startOutbox(options: OutboxOptions): Outbox {
  const outbox = new Outbox(options);
  outbox.onPosted("conv-parent:", (item, posted) => rememberThread(options.db, item.dedupeKey, posted));
  outbox.onPosted("watch-parent:", (item, posted) => rememberWatcherThread(options.db, item.dedupeKey, posted));
  outbox.start();
  return outbox;
}
