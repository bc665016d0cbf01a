import type { Message } from "../../db/schema.ts";

/**
 * A stored outgoing text in the hands of whoever sends it: status 'submitting', this attempt
 * already counted. The Send statement returns it that way, so the text leaves without a read.
 */
export type OutgoingText = Pick<
  Message,
  | "id"
  | "kind"
  | "to_phone"
  | "body"
  | "media_urls"
  | "created_at"
  | "attempts"
  | "campaign_id"
  | "contact_id"
  | "error_code"
> & {
  /**
   * leaseClock() read just before the statement that took this attempt's lease: the lease
   * (`SEND_LEASE_SECONDS` from the database's now(), which comes later) runs at least until this
   * reading plus the lease. Absent, nothing is known of the lease's age.
   */
  leaseTakenAt?: number;
};

/**
 * The text a Send statement just stored (an opening or a follow-up): 'submitting', its first
 * attempt counted, no media, its lease taken at `leaseTakenAt`. What the statement returns is
 * all the sender needs, so the text leaves without a read.
 */
export function firstAttempt(input: {
  id: number;
  kind: "opening" | "followup";
  toPhone: string;
  body: string;
  createdAt: Date | string;
  campaignId: number;
  contactId: number;
  leaseTakenAt: number;
}): OutgoingText {
  return {
    id: input.id,
    kind: input.kind,
    to_phone: input.toPhone,
    body: input.body,
    media_urls: [],
    created_at: new Date(input.createdAt),
    attempts: 1,
    campaign_id: input.campaignId,
    contact_id: input.contactId,
    error_code: null,
    leaseTakenAt: input.leaseTakenAt,
  };
}

/**
 * Milliseconds on the machine's monotonic clock, one clock for every thread of the process (a
 * hand-over read on the sending worker compares with a reading taken on the main thread); it
 * never steps with the wall clock.
 */
export function leaseClock(): number {
  return Number(process.hrtime.bigint() / 1_000_000n);
}

/**
 * Where stored texts go to be sent, off the request path (the SMS layer implements it, on this
 * thread or on the sending worker). The caller never waits on the provider.
 */
export interface Deliveries {
  /** Starts delivering a stored message: `claimed` when the caller already holds it in 'submitting'. */
  deliver(messageId: number, claimed?: OutgoingText): unknown;
  /** Delivers every message left waiting or mid-send for longer than `olderThanSeconds`. */
  sweep(olderThanSeconds?: number): Promise<number>;
  /** Waits for attempts under way (tests, shutdown). */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * How long a send attempt owns its text (messages.lease_until). Longer than the whole request to
 * Twilio may take (its deadline bounds waiting for a connection, the request and the answer)
 * plus writing the sid: while the lease holds, the retry sweep leaves the text alone, so a slow
 * Twilio is never asked twice. After a crash the text waits this long before the sweep looks.
 */
export const SEND_LEASE_SECONDS = 60;

/**
 * A hand-over younger than this still holds at least 30 s of its lease: more than the request to
 * Twilio may take (its 10 s deadline), so it is sent without renewing the lease first.
 */
export const FRESH_HAND_OVER_MS = 30_000;
