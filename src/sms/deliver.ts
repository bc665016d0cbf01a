import { sql } from "kysely";
import { isOptedOut, recordOptOut } from "../campaigns/opt-outs/opt-outs.ts";
import type { Database } from "../db/database.ts";
import { BAD_NUMBER_CODES, explainDeliveryError, OPTED_OUT_CODES } from "../campaigns/messages/delivery-errors.ts";
import type { OutgoingText } from "../campaigns/sending/outgoing.ts";
import type { Logger } from "../logger.ts";
import type { SmsProvider } from "./provider.ts";
import { sidRecorder, type AcceptedStatus } from "./sid-recorder.ts";

export const MAX_SEND_ATTEMPTS = 5;

export type DeliveryOutcome =
  | { kind: "sent"; sid: string }
  | { kind: "failed"; code: number | null; explanation: string }
  | { kind: "opted_out" }
  | { kind: "retry_later"; code: number | null }
  | { kind: "not_mine" };

interface DeliverDeps {
  db: Database;
  sms: SmsProvider;
  logger: Logger;
}

/**
 * The one way a stored outgoing message leaves: claim it (pending → submitting), check the
 * opt-out list once more, call the provider, record the sid or the failure. A message is
 * claimed by one caller at a time, so concurrent retries never send it twice; after an
 * ambiguous failure the provider is asked whether the message exists before trying again.
 */
export async function deliverMessage(deps: DeliverDeps, messageId: number): Promise<DeliveryOutcome> {
  const message = await deps.db
    .updateTable("messages")
    .set((eb) => ({ status: "submitting", attempts: eb("attempts", "+", 1), updated_at: sql`now()` }))
    .where("id", "=", messageId)
    .where("twilio_sid", "is", null)
    .where("status", "=", "pending")
    .returningAll()
    .executeTakeFirst();
  if (!message) return { kind: "not_mine" };
  // 'auto' texts are the one opt-out confirmation and HELP answers, which carriers require
  // even to an opted-out number; everything else checks the list right before sending.
  return sendClaimed(deps, message, { checkOptOut: message.kind !== "auto" });
}

/**
 * Sends a message already in 'submitting' with this attempt counted. The Send button's fast path
 * stores it that way and checked the opt-out list in the same statement, a moment ago.
 */
export async function sendClaimed(
  deps: DeliverDeps,
  message: OutgoingText,
  { checkOptOut }: { checkOptOut: boolean },
): Promise<DeliveryOutcome> {
  const { db, sms } = deps;
  if (checkOptOut) {
    if (await isOptedOut(db, message.to_phone)) {
      await markFailed(db, message.id, message.contact_id, null, "opted_out");
      return { kind: "opted_out" };
    }
  }
  if (message.attempts > 1) {
    // An earlier attempt may have reached the provider (a crash or timeout mid-call): look
    // first, and when even the look-up fails, wait rather than risk a second text.
    let found: Awaited<ReturnType<SmsProvider["findRecent"]>>;
    try {
      found = await sms.findRecent(message.to_phone, message.body, message.created_at);
    } catch {
      await requeue(db, message.id, message.error_code);
      return { kind: "retry_later", code: message.error_code };
    }
    if (found) {
      await recordSid(db, message.id, found.sid, "queued");
      return { kind: "sent", sid: found.sid };
    }
  }
  const result = await sms.send({ to: message.to_phone, body: message.body, mediaUrls: message.media_urls });
  if (result.ok) {
    await recordSid(db, message.id, result.sid, result.status);
    return { kind: "sent", sid: result.sid };
  }
  if (result.ambiguous) {
    const found = await sms.findRecent(message.to_phone, message.body, message.created_at).catch(() => undefined);
    if (found) {
      await recordSid(db, message.id, found.sid, "queued");
      return { kind: "sent", sid: found.sid };
    }
  }
  if (result.retryable && message.attempts < MAX_SEND_ATTEMPTS) {
    await requeue(db, message.id, result.code);
    return { kind: "retry_later", code: result.code };
  }
  if (result.code !== null && OPTED_OUT_CODES.has(result.code)) {
    await db.transaction().execute(async (tx) => {
      await recordOptOut(tx, { phone: message.to_phone, source: "twilio_21610", campaignId: message.campaign_id });
      await markFailed(tx, message.id, message.contact_id, result.code, "opted_out");
    });
    return { kind: "opted_out" };
  }
  await markFailed(db, message.id, message.contact_id, result.code, "failed");
  deps.logger.warn(
    `message ${message.id} failed: ${explainDeliveryError(result.code)}` +
      `${BAD_NUMBER_CODES.has(result.code ?? 0) ? " (bad number)" : ""}`,
  );
  return { kind: "failed", code: result.code, explanation: explainDeliveryError(result.code) };
}

async function requeue(db: Database, id: number, code: number | null): Promise<void> {
  await db
    .updateTable("messages")
    .set({ status: "pending", error_code: code, updated_at: sql`now()` })
    .where("id", "=", id)
    .execute();
}

/** Once per text sent; written in batches with the other sids of the moment (sid-recorder.ts). */
function recordSid(db: Database, id: number, sid: string, status: AcceptedStatus): Promise<void> {
  return sidRecorder(db).record(id, sid, status);
}

async function markFailed(
  db: Database,
  id: number,
  contactId: number | null,
  code: number | null,
  contactStatus: "failed" | "opted_out",
): Promise<void> {
  await db
    .updateTable("messages")
    .set({ status: "failed", error_code: code, updated_at: sql`now()` })
    .where("id", "=", id)
    .execute();
  if (contactId !== null)
    await db
      .updateTable("contacts")
      .set({ status: contactStatus })
      .where("id", "=", contactId)
      .where("status", "=", "sent")
      .execute();
}

/** Backoff before attempt n+1: 0.5 s, 1 s, 2 s, 4 s… */
export function retryDelayMs(attempt: number): number {
  return Math.min(500 * 2 ** Math.max(0, attempt - 1), 30_000);
}

/**
 * Messages stuck without a sid — the process died mid-send, or a retry is due — older than
 * `olderThanSeconds`: a 'submitting' one is first put back to 'pending' (deliverMessage then looks
 * for it at the provider if the earlier attempt was ambiguous). Returns their ids.
 */
export async function dueForRetry(db: Database, olderThanSeconds: number, limit = 100): Promise<number[]> {
  const rows = await sql<{ id: number }>`
    UPDATE messages SET status = 'pending', updated_at = now()
    WHERE id IN (
      SELECT id FROM messages
      WHERE twilio_sid IS NULL AND status IN ('pending', 'submitting') AND direction = 'out'
        AND updated_at < now() - make_interval(secs => ${olderThanSeconds})
      ORDER BY id LIMIT ${limit}
      FOR UPDATE SKIP LOCKED
    )
    RETURNING id`.execute(db);
  return rows.rows.map((row) => row.id);
}
