import { Agent, request } from "undici";

/**
 * The HTTP connections every text and every card replacement leave on: one undici Agent, which
 * keeps a pool of kept-alive connections per origin (Twilio's API, Slack's response_url host).
 * undici's `request` costs a fraction of what fetch (web streams, a cloned body per request) or
 * axios (config merging, interceptors) costs per call, and at hundreds of volunteers a second
 * that was the difference between the Send button's main thread keeping up or not.
 */
let shared: Agent | undefined;

function outboundAgent(): Agent {
  shared ??= new Agent({ keepAliveTimeout: 30_000, connections: 64, pipelining: 1 });
  return shared;
}

export interface OutboundResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One request, body read in full. `timeoutMs` is one deadline for all of it — waiting for a
 * pooled connection, connecting, sending, the answer's headers and its body — so a caller
 * holding a lease knows the request is over by then. Throws on a network failure or the deadline.
 */
export async function sendRequest(
  url: string,
  options: {
    method: "GET" | "POST" | "PUT" | "DELETE";
    headers: Record<string, string>;
    body?: string;
    timeoutMs: number;
  },
): Promise<OutboundResponse> {
  const signal = AbortSignal.timeout(options.timeoutMs);
  const response = await request(url, {
    method: options.method,
    headers: options.headers,
    body: options.body,
    dispatcher: outboundAgent(),
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    signal,
  });
  return { statusCode: response.statusCode, headers: response.headers, body: await response.body.text() };
}

/** Slack's response_url: replaces (or adds to) the message an interaction came from. */
export async function postToResponseUrl(
  url: string,
  message: Record<string, unknown>,
  timeoutMs = 10_000,
): Promise<void> {
  const response = await sendRequest(url, {
    method: "POST",
    headers: { "content-type": "application/json; charset=utf-8" },
    body: JSON.stringify(message),
    timeoutMs,
  });
  if (response.statusCode >= 300) throw new Error(`response_url answered ${response.statusCode}`);
}
