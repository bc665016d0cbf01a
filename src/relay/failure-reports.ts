import { explainDeliveryError } from "../campaigns/messages/delivery-errors.ts";
import { whereToReport } from "../campaigns/messages/status.ts";
import type { Database } from "../db/database.ts";
import { enqueuePost } from "../outbox/outbox.ts";
import { maskPhone } from "../slack/blocks/text.ts";
import { receiptOutcome } from "../slack/reply-receipts.ts";

/**
 * A text that failed for good — refused by Twilio, out of attempts, or reported undelivered by
 * a status callback — said once (the outbox key) in its conversation's thread, or in the DM of
 * whoever sent it; a reply written in a thread also gets :x: instead of :outbox_tray:. `outbox`
 * is absent where nothing can wake the poster (the sending worker): the post then goes out at
 * the outbox's next poll.
 */
export async function reportFailedText(
  deps: { db: Database; outbox?: { kick(): void } },
  messageId: number,
  errorCode: number | null,
): Promise<void> {
  // A reply written in a thread: its :outbox_tray: becomes :x: (the report below says why).
  const marked = await receiptOutcome(deps.db, messageId, "failed");
  const target = await whereToReport(deps.db, messageId);
  if (!target) {
    if (marked) deps.outbox?.kick();
    return;
  }
  const why = explainDeliveryError(errorCode);
  const text = `:warning: The text to ${maskPhone(target.toPhone)} was not delivered: ${why}.`;
  await enqueuePost(deps.db, {
    dedupeKey: `failed:${messageId}`,
    channel: target.channel,
    payload: { text, ...(target.threadTs ? { thread_ts: target.threadTs } : {}) },
  });
  deps.outbox?.kick();
}
