import { ErrorCode } from "@slack/web-api";

/**
 * What the outbox does after a failed Slack call. Pure, so the policy is written (and tested)
 * once: wait out a 429 exactly as long as Slack asks, retry what may succeed later with
 * exponential back-off, and give up on what Slack refused outright.
 */
export type FailureDecision =
  | { kind: "rate_limited"; waitMs: number }
  | { kind: "retry"; waitMs: number; reason: string }
  | { kind: "give_up"; reason: string }
  /** Slack refused because what was asked is already so (a reaction added, or removed, before). */
  | { kind: "done"; reason: string };

/** 1 s, 2 s, 4 s … then 5 min apart: about 90 minutes of failures before an item is given up. */
export const MAX_ATTEMPTS = 25;
const FIRST_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 300_000;

/**
 * ok:false answers Slack documents as temporary. Any other — channel_not_found, not_in_channel,
 * is_archived, invalid_blocks, msg_too_long, invalid_auth, … — is permanent: the same request
 * will be refused again.
 */
const TEMPORARY_SLACK_ERRORS = new Set([
  "internal_error",
  "fatal_error",
  "request_timeout",
  "service_unavailable",
  "team_added_to_org",
]);

/**
 * ok:false answers that mean the call's effect is already there: a retried reactions.add whose
 * first attempt did add the reaction (its answer lost), or a reactions.remove of one never added.
 */
const ALREADY_DONE_SLACK_ERRORS = new Set(["already_reacted", "no_reaction"]);

interface SlackClientError {
  code?: string;
  retryAfter?: number;
  statusCode?: number;
  data?: { error?: string };
  message?: string;
}

/** `attempts` counts this one. The reason is safe to log and store: it never holds the payload. */
export function decideAfterFailure(error: unknown, attempts: number): FailureDecision {
  const e = (error ?? {}) as SlackClientError;
  if (e.code === ErrorCode.RateLimitedError || e.data?.error === "ratelimited") {
    return { kind: "rate_limited", waitMs: Math.max(1, e.retryAfter ?? 1) * 1000 };
  }
  const slackError = e.code === ErrorCode.PlatformError ? (e.data?.error ?? "unknown_error") : undefined;
  if (slackError && ALREADY_DONE_SLACK_ERRORS.has(slackError)) return { kind: "done", reason: slackError };
  if (slackError && !TEMPORARY_SLACK_ERRORS.has(slackError)) return { kind: "give_up", reason: slackError };
  // A network error's message names its cause ("…: The operation was aborted due to timeout").
  const reason =
    slackError ?? (e.code === ErrorCode.HTTPError ? `http_${e.statusCode}` : (e.message ?? "request_error"));
  if (attempts >= MAX_ATTEMPTS) return { kind: "give_up", reason: `${reason} after ${attempts} attempts` };
  // A 5xx, a network error, or a timeout — which may have posted (see outbox.ts): try again later.
  return { kind: "retry", waitMs: Math.min(FIRST_BACKOFF_MS * 2 ** (attempts - 1), MAX_BACKOFF_MS), reason };
}
