import { replyOrigin } from "../campaigns/messages/status.ts";
import type { Database } from "../db/database.ts";
import { enqueuePost } from "../outbox/outbox.ts";

/**
 * What a reply written in a conversation's thread became, shown on the reply itself, so a
 * volunteer on a phone sees it at a glance: a reaction while the text is on its way, changed
 * when Twilio says it was delivered or failed, and a refusal answered in the thread with why.
 * Everything goes through the outbox (durable, paced, never on the request path); Slack's
 * `already_reacted` and `no_reaction` count as done there, so a retried call is harmless.
 */
export const RECEIPT_REACTIONS = {
  /** Stored and handed to the sender: on its way to Twilio. */
  sending: "outbox_tray",
  delivered: "white_check_mark",
  failed: "x",
  /** Refused: nothing was texted (the thread says why). */
  refused: "no_entry_sign",
} as const;

/** A volunteer's message in Slack. */
export interface SlackMessageRef {
  channel: string;
  ts: string;
}

async function react(
  tx: Database,
  key: string,
  message: SlackMessageRef,
  name: string,
  method: "reactions.add" | "reactions.remove" = "reactions.add",
): Promise<void> {
  await enqueuePost(tx, { dedupeKey: key, channel: message.channel, method, payload: { timestamp: message.ts, name } });
}

/** The reply's text was stored to send (inside queueReply's transaction): :outbox_tray: on it. */
export async function receiptQueued(tx: Database, messageId: number, reply: SlackMessageRef): Promise<void> {
  await react(tx, `receipt:${messageId}:sending`, reply, RECEIPT_REACTIONS.sending);
}

/**
 * Twilio's last word on a text: its reply's :outbox_tray: becomes :white_check_mark: or :x:.
 * Nothing for a text that came from no thread reply (an opening, a canned or auto reply).
 * Returns whether anything was queued. One outcome per text (statuses never move backwards).
 */
export async function receiptOutcome(
  db: Database,
  messageId: number,
  outcome: "delivered" | "failed",
): Promise<boolean> {
  const reply = await replyOrigin(db, messageId);
  if (!reply) return false;
  const work = async (tx: Database) => {
    // One channel's items go out in id order: the removal, then the new mark.
    await react(tx, `receipt:${messageId}:unsending`, reply, RECEIPT_REACTIONS.sending, "reactions.remove");
    await react(tx, `receipt:${messageId}:${outcome}`, reply, RECEIPT_REACTIONS[outcome]);
  };
  await (db.isTransaction ? work(db) : db.transaction().execute(work));
  return true;
}

/**
 * A thread reply that was not texted: :no_entry_sign: on it, and a thread message saying why
 * (visible to the writer, on any device, unlike an ephemeral). Once per Slack message.
 */
export async function answerRefusal(
  db: Database,
  reply: SlackMessageRef & { threadTs: string },
  text: string,
): Promise<void> {
  const work = async (tx: Database) => {
    const key = `refused:${reply.channel}:${reply.ts}`;
    await react(tx, `${key}:mark`, reply, RECEIPT_REACTIONS.refused);
    await enqueuePost(tx, { dedupeKey: key, channel: reply.channel, payload: { text, thread_ts: reply.threadTs } });
  };
  await (db.isTransaction ? work(db) : db.transaction().execute(work));
}
