import { sql } from "kysely";
import { recordOptOut } from "../campaigns/opt-outs/opt-outs.ts";
import type { Database } from "../db/database.ts";
import { BAD_NUMBER_CODES, explainDeliveryError, OPTED_OUT_CODES } from "../campaigns/messages/delivery-errors.ts";
import {
  FRESH_HAND_OVER_MS,
  leaseClock,
  SEND_LEASE_SECONDS,
  type OutgoingText,
} from "../campaigns/sending/outgoing.ts";
import type { Logger } from "../logger.ts";
import type { SmsProvider } from "./provider.ts";
import { optOutDoor } from "./opt-out-door.ts";
import { sidRecorder, type AcceptedStatus } from "./sid-recorder.ts";

export const MAX_SEND_ATTEMPTS = 5;

export type DeliveryOutcome =
  | { kind: "sent"; sid: string }
  | { kind: "failed"; code: number | null; explanation: string }
  | { kind: "opted_out" }
  /** `afterMs`: not before then (an unanswered attempt's lease); otherwise the usual backoff. */
  | { kind: "retry_later"; code: number | null; afterMs?: number }
  | { kind: "not_mine" };

export interface DeliverDeps {
  db: Database;
  sms: SmsProvider;
  logger: Logger;
  /** Tells the text's sender it failed for good (a post in its thread or DM); absent, only logged. */
  reportFailure?: (messageId: number, code: number | null) => Promise<void>;
}

/**
 * The one way a stored outgoing message leaves: claim it (pending → submitting, with a lease;
 * or a text whose unanswered attempt's lease ran out), check the opt-out list once more, call
 * the provider, record the sid or the failure. A message is claimed by one caller at a time,
 * so concurrent retries never send it twice; after an ambiguous failure the provider is asked
 * whether the message exists before trying again.
 */
export async function deliverMessage(deps: DeliverDeps, messageId: number): Promise<DeliveryOutcome> {
  const message = await deps.db
    .updateTable("messages")
    .set((eb) => ({
      status: "submitting",
      attempts: eb("attempts", "+", 1),
      updated_at: sql`now()`,
      lease_until: sql`now() + make_interval(secs => ${SEND_LEASE_SECONDS})`,
    }))
    .where("id", "=", messageId)
    .where("twilio_sid", "is", null)
    .where((eb) =>
      eb.or([
        eb("status", "=", "pending"),
        eb.and([eb("status", "=", "submitting"), eb("lease_until", "<", sql<Date>`now()`)]),
      ]),
    )
    .returningAll()
    .executeTakeFirst();
  if (!message) return { kind: "not_mine" };
  return sendClaimed(deps, message);
}

/**
 * Sends a text another thread claimed and handed over (the Send statement stores openings in
 * 'submitting' with the first attempt counted and its lease taken). While the lease holds, the
 * text is this attempt's alone: nothing else claims a 'submitting' text before its lease runs
 * out. A hand-over younger than FRESH_HAND_OVER_MS (by `leaseTakenAt`) goes straight on, its
 * lease outlasting the request. An older one (it waited in a busy sending thread), or one of
 * unknown age, may have been given to another attempt by the sweep: its lease is renewed first,
 * only if the text is still this attempt's (same attempt, no sid, lease not run out), and
 * otherwise nothing is sent.
 */
export async function sendHandedOver(deps: DeliverDeps, message: OutgoingText): Promise<DeliveryOutcome> {
  const age = message.leaseTakenAt === undefined ? Infinity : leaseClock() - message.leaseTakenAt;
  if (!(age >= 0 && age < FRESH_HAND_OVER_MS) && !(await renewLease(deps.db, message))) return { kind: "not_mine" };
  return sendClaimed(deps, message);
}

/**
 * Sends a message already in 'submitting' with this attempt counted and its lease taken (the
 * Send statement stores openings that way). Every path ends in a sid, a failure, or — below the
 * attempt limit — a retry later; never a loop.
 */
async function sendClaimed(deps: DeliverDeps, message: OutgoingText): Promise<DeliveryOutcome> {
  const { db, sms } = deps;
  const lastAttempt = message.attempts >= MAX_SEND_ATTEMPTS;
  if (message.attempts > 1) {
    // An earlier attempt may have reached the provider (a crash or timeout mid-call): look
    // first, and when even the look-up fails, wait rather than risk a second text.
    let found: string | undefined;
    try {
      found = await findEarlierAttempt(deps, message);
    } catch {
      if (lastAttempt) return fail(deps, message, message.error_code);
      await requeue(db, message.id, message.error_code);
      return { kind: "retry_later", code: message.error_code };
    }
    if (found) {
      await recordSid(deps, message.id, found, "queued");
      return { kind: "sent", sid: found };
    }
    // Past the limit, this was the look after an unanswered last attempt: nothing more is sent.
    if (message.attempts > MAX_SEND_ATTEMPTS) return fail(deps, message, message.error_code);
  }
  // At the provider's door, immediately before the request: an opt-out recorded since the text
  // was stored stops it (a primary-key probe, shared with the other texts of the moment:
  // opt-out-door.ts). 'auto' texts are the one opt-out confirmation and HELP answers, which
  // carriers require even to an opted-out number. After the look above: a text an earlier
  // attempt already got to Twilio was sent, and is recorded as sent.
  if (message.kind !== "auto" && (await optOutDoor(db).isOptedOut(message.to_phone))) {
    await markFailed(db, message.id, message.contact_id, null, "opted_out");
    return { kind: "opted_out" };
  }
  const result = await sms.send({ to: message.to_phone, body: message.body, mediaUrls: message.media_urls });
  if (result.ok) {
    await recordSid(deps, message.id, result.sid, result.status);
    return { kind: "sent", sid: result.sid };
  }
  if (result.unanswered) {
    // Twilio may still be working on a request it never answered and create the message after
    // any look made now. So the attempt keeps its lease: the look, and a retry only if it finds
    // nothing, come once the lease has run out (longer than Twilio is given to answer).
    const leaseEnds = await keepLease(db, message.id);
    return { kind: "retry_later", code: null, afterMs: Math.max(0, leaseEnds.getTime() - Date.now()) + 1000 };
  }
  if (result.ambiguous) {
    const found = await findEarlierAttempt(deps, message).catch(() => undefined);
    if (found) {
      await recordSid(deps, message.id, found, "queued");
      return { kind: "sent", sid: found };
    }
  }
  if (result.code !== null && OPTED_OUT_CODES.has(result.code)) {
    await db.transaction().execute(async (tx) => {
      await recordOptOut(tx, { phone: message.to_phone, source: "twilio_21610", campaignId: message.campaign_id });
      await markFailed(tx, message.id, message.contact_id, result.code, "opted_out");
    });
    return { kind: "opted_out" };
  }
  if (result.retryable && !lastAttempt) {
    await requeue(db, message.id, result.code);
    return { kind: "retry_later", code: result.code };
  }
  return fail(deps, message, result.code);
}

/**
 * The sid of an earlier attempt of this text, if Twilio has one: a message to the same number
 * with the same body, created since this text was stored (less a little clock skew), whose sid
 * no other text of ours holds. An identical text from another campaign, or a canned reply sent
 * twice, is not this one.
 */
async function findEarlierAttempt(deps: DeliverDeps, message: OutgoingText): Promise<string | undefined> {
  const candidates = await deps.sms.findRecent(message.to_phone, message.body, message.created_at);
  for (const candidate of candidates) {
    const taken = await deps.db
      .selectFrom("messages")
      .select("id")
      .where("twilio_sid", "=", candidate.sid)
      .where("id", "!=", message.id)
      .executeTakeFirst();
    if (!taken) return candidate.sid;
  }
  return undefined;
}

/** The end of the road for a text: marked failed, logged, and its sender told (deps.reportFailure). */
async function fail(deps: DeliverDeps, message: OutgoingText, code: number | null): Promise<DeliveryOutcome> {
  await markFailed(deps.db, message.id, message.contact_id, code, "failed");
  const explanation = explainDeliveryError(code);
  deps.logger.warn(
    `message ${message.id} failed after ${message.attempts} attempt(s): ${explanation}` +
      `${BAD_NUMBER_CODES.has(code ?? 0) ? " (bad number)" : ""}`,
  );
  await tellFailure(deps, message.id, code);
  return { kind: "failed", code, explanation };
}

/** True when `message` is still this attempt's to send (same attempt, lease not run out), with the lease renewed. */
async function renewLease(db: Database, message: OutgoingText): Promise<boolean> {
  const row = await db
    .updateTable("messages")
    .set({ lease_until: sql`now() + make_interval(secs => ${SEND_LEASE_SECONDS})` })
    .where("id", "=", message.id)
    .where("attempts", "=", message.attempts)
    .where("status", "=", "submitting")
    .where("twilio_sid", "is", null)
    .where("lease_until", ">", sql<Date>`now()`)
    .returning("id")
    .executeTakeFirst();
  return row !== undefined;
}

/** The text stays 'submitting' under its lease; returns when the lease ends. */
async function keepLease(db: Database, id: number): Promise<Date> {
  const row = await db
    .updateTable("messages")
    .set({ updated_at: sql`now()` })
    .where("id", "=", id)
    .returning("lease_until")
    .executeTakeFirst();
  return row?.lease_until ?? new Date(Date.now() + SEND_LEASE_SECONDS * 1000);
}

async function requeue(db: Database, id: number, code: number | null): Promise<void> {
  await db
    .updateTable("messages")
    .set({ status: "pending", error_code: code, updated_at: sql`now()`, lease_until: null })
    .where("id", "=", id)
    .execute();
}

/**
 * Once per text sent; written in batches with the other sids of the moment (sid-recorder.ts).
 * A failure Twilio reported before the sid was written is applied there, and told here.
 */
async function recordSid(deps: DeliverDeps, id: number, sid: string, status: AcceptedStatus): Promise<void> {
  const recorded = await sidRecorder(deps.db).record(id, sid, status);
  if (recorded.status === "failed" || recorded.status === "undelivered")
    await tellFailure(deps, id, recorded.errorCode);
}

/** Tells the sender a text failed for good; a report that cannot be made is logged, never thrown. */
async function tellFailure(deps: DeliverDeps, id: number, code: number | null): Promise<void> {
  await deps
    .reportFailure?.(id, code)
    .catch((error: unknown) => deps.logger.warn(`could not report the failure of message ${id}`, error));
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
 * Texts due for another try, whichever instance left them: 'pending' ones older than
 * `olderThanSeconds` (a retry whose timer was lost with its process), and 'submitting' ones whose
 * lease has run out (the attempt's process died mid-call). A 'submitting' text under its lease
 * may still be in flight and is never taken. Each is put back to 'pending' and its id returned;
 * deliverMessage then claims it and, as its attempt is not the first, asks Twilio first.
 */
export async function dueForRetry(db: Database, olderThanSeconds: number, limit = 100): Promise<number[]> {
  const rows = await sql<{ id: number }>`
    UPDATE messages SET status = 'pending', updated_at = now(), lease_until = NULL
    WHERE id IN (
      SELECT id FROM messages
      WHERE twilio_sid IS NULL AND status IN ('pending', 'submitting') AND direction = 'out'
        AND updated_at < now() - make_interval(secs => ${olderThanSeconds})
        AND (status = 'pending' OR lease_until IS NULL OR lease_until < now())
      ORDER BY id LIMIT ${limit}
      FOR UPDATE SKIP LOCKED
    )
    RETURNING id`.execute(db);
  return rows.rows.map((row) => row.id);
}
