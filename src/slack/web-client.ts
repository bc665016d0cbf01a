import { setTimeout as sleep } from "node:timers/promises";
import type { FetchFunction, WebClientOptions } from "@slack/web-api";

/**
 * How long a call to Slack's Web API may take (docs/architecture.md lists what users see).
 * web-api's defaults are no request timeout and ten retries over about thirty minutes, and on
 * a 429 it pauses every request of the client for Retry-After: a rate limit on one method then
 * held up views.open, whose trigger_id expires 3 s after the click.
 */
export interface SlackClientBounds {
  /** One try of a request, a wait on a short Retry-After included. */
  timeoutMs: number;
  /** Further tries after a network error, a timeout or a 5xx. */
  retries: number;
  /** No further try starts once this long has passed since the first. */
  maxRetryTimeMs: number;
  /** The longest Retry-After waited out for the one request it answered; a longer one fails the call. */
  rateLimitWaitMs: number;
}

export const DEFAULT_SLACK_CLIENT_BOUNDS: SlackClientBounds = {
  timeoutMs: 10_000,
  retries: 2,
  maxRetryTimeMs: 15_000,
  rateLimitWaitMs: 5_000,
};

/** Methods that spend a trigger_id (3 s from the click): waiting out a rate limit only makes them fail later. */
const TRIGGER_BOUND = new Set(["views.open", "views.push"]);

/** Options for the app's WebClient (Bolt builds it, and the clients it hands listeners, from these). */
export function slackClientOptions(
  slackApiUrl = "https://slack.com/api/",
  given: Partial<SlackClientBounds> = {},
): WebClientOptions {
  const bounds = { ...DEFAULT_SLACK_CLIENT_BOUNDS };
  for (const key of Object.keys(bounds) as (keyof SlackClientBounds)[]) bounds[key] = given[key] ?? bounds[key];
  return {
    slackApiUrl,
    timeout: bounds.timeoutMs,
    retryConfig: {
      retries: bounds.retries,
      factor: 2,
      minTimeout: 1_000,
      maxTimeout: 4_000,
      randomize: true,
      maxRetryTime: bounds.maxRetryTimeMs,
    },
    // A 429 rejects this call alone (WebAPIRateLimitedError) instead of pausing the whole client.
    rejectRateLimitedCalls: true,
    fetch: waitingOutShortRateLimits(slackApiUrl, bounds.rateLimitWaitMs),
  };
}

/**
 * fetch, but a 429 from a Web API method with a short Retry-After is waited out and tried once
 * more, for that request alone; the wait counts within the request timeout (the same signal).
 * Anything else is returned as it came, so a longer Retry-After fails the call at once.
 */
function waitingOutShortRateLimits(slackApiUrl: string, maxWaitMs: number): FetchFunction {
  const base = slackApiUrl.endsWith("/") ? slackApiUrl : `${slackApiUrl}/`;
  return async (url, init) => {
    const first = await fetch(url, init);
    const href = String(url);
    if (first.status !== 429 || !href.startsWith(base)) return first;
    const method = href.slice(base.length).split("?")[0]!;
    const seconds = Number(first.headers.get("retry-after") ?? NaN);
    if (TRIGGER_BOUND.has(method) || !(seconds >= 0) || seconds * 1000 > maxWaitMs) return first;
    await first.arrayBuffer(); // frees the connection for the next try
    await sleep(seconds * 1000, undefined, { signal: init?.signal }).catch((error: unknown) => {
      // The request timeout passed meanwhile: fail as a timed-out request does.
      throw init?.signal?.reason ?? error;
    });
    return fetch(url, init);
  };
}
