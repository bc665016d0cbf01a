import { randomBytes } from "node:crypto";
import { isConnectionWaitTimeout, isStatementTimeout } from "../db/database.ts";
import { postToResponseUrl } from "../http/outbound.ts";
import type { SlackDeps } from "./deps.ts";

// @slack/web-api's ErrorCode values, by value: its CommonJS enum is not a named ESM export.
const SLACK_RATE_LIMITED = "slack_webapi_rate_limited_error";
const SLACK_REQUEST_ERROR = "slack_webapi_request_error";

const isTimeout = (error: unknown) => {
  const name = (error as { name?: unknown } | undefined)?.name;
  return name === "TimeoutError" || name === "AbortError";
};

/**
 * The sentence for a person whose request failed because something it waited on was busy or
 * slow (every such wait is bounded: docs/architecture.md); undefined for any other failure.
 */
export function busyReason(error: unknown): string | undefined {
  if (error instanceof AggregateError) return error.errors.map(busyReason).find(Boolean);
  const e = error as { code?: unknown; retryAfter?: unknown; original?: unknown } | undefined;
  if (e?.code === SLACK_RATE_LIMITED) {
    const seconds = Math.max(1, Math.ceil(Number(e.retryAfter) || 1));
    return `Slack asked Textbank to slow down for a moment; try again in ${seconds} second${seconds === 1 ? "" : "s"}.`;
  }
  if (isTimeout(error) || (e?.code === SLACK_REQUEST_ERROR && isTimeout(e.original)))
    return "Slack did not answer in time; try again in a moment.";
  if (isConnectionWaitTimeout(error))
    return "Textbank is too busy right now (no database connection came free in time); try again in a minute.";
  if (isStatementTimeout(error)) return "The database took too long, so that step was stopped; try again in a moment.";
  return undefined;
}

/**
 * Logs a failure under a short ref and returns what to tell the person: why, when it was a
 * bounded wait that ran out, else an apology; the ref either way, never a stack trace.
 */
export function failureNotice(logger: SlackDeps["logger"], what: string, error: unknown): string {
  const ref = randomBytes(3).toString("hex");
  logger.error(`${what} failed (ref ${ref})`, error);
  const busy = busyReason(error);
  if (busy) return `${busy} (ref ${ref})`;
  return (
    `Something failed on our side (ref ${ref}). ` +
    `Try again in a moment; if it keeps failing, give an organizer that ref.`
  );
}

/**
 * A button whose handler failed after its ack: told to the presser through the message's
 * response_url (only they see it), or in their DM for a button on the App Home, which has none.
 * Buttons inside a modal say nothing here: the modal's Save gives the reason.
 */
export async function tellClickFailure(
  services: Pick<SlackDeps, "slack" | "logger">,
  body: unknown,
  error: unknown,
): Promise<void> {
  const click = body as {
    response_url?: string;
    user?: { id?: string };
    view?: { type?: string };
    actions?: { action_id?: string }[];
  };
  const what = `button ${click.actions?.[0]?.action_id ?? "(unknown)"}`;
  const text = `That click did not go through. ${failureNotice(services.logger, what, error)}`;
  try {
    if (click.response_url)
      await postToResponseUrl(click.response_url, { response_type: "ephemeral", replace_original: false, text });
    else if (click.user?.id && click.view?.type === "home")
      await services.slack.chat.postMessage({ channel: click.user.id, text });
  } catch (told) {
    services.logger.warn("could not tell the presser about a failed click", told);
  }
}
