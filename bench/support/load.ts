import { createHmac } from "node:crypto";
import { twilioSignature } from "../../test/support/signing.ts";
import { Agent, request } from "undici";

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[index]! * 100) / 100;
}

export function summarize(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: Math.round((sorted.at(-1) ?? 0) * 10) / 10,
    n: sorted.length,
  };
}

export function signedSlackPost(url: string, secret: string, body: string, contentType: string): Promise<Response> {
  return fetch(url, { method: "POST", headers: signatureHeaders(secret, body, contentType), body });
}

function signatureHeaders(secret: string, body: string, contentType: string): Record<string, string> {
  const ts = Math.floor(Date.now() / 1000);
  const signature = "v0=" + createHmac("sha256", secret).update(`v0:${ts}:${body}`).digest("hex");
  return { "content-type": contentType, "x-slack-request-timestamp": String(ts), "x-slack-signature": signature };
}

// The load generator shares the machine with what it measures, so its own requests go the
// cheapest way Node has: undici's request over kept-alive connections, one per volunteer.
const driverAgent = new Agent({ keepAliveTimeout: 60_000, connections: null });

/** The same signed request as signedSlackPost, for a fraction of fetch's CPU; resolves once the answer is read. */
export async function signedSlackRequest(
  url: string,
  secret: string,
  body: string,
  contentType: string,
): Promise<{ status: number; text: string; headers: Record<string, string | string[] | undefined> }> {
  const res = await request(url, {
    method: "POST",
    headers: signatureHeaders(secret, body, contentType),
    body,
    dispatcher: driverAgent,
  });
  return { status: res.statusCode, text: await res.body.text(), headers: res.headers };
}

export function blockActionBody(
  user: string,
  actionId: string,
  value: string,
  responseUrl: string,
  blockId = "card",
): string {
  const payload = {
    type: "block_actions",
    user: { id: user, username: user, team_id: "T0001" },
    api_app_id: "A0001",
    token: "unused",
    team: { id: "T0001", domain: "bench" },
    container: {
      type: "message",
      message_ts: "1700000000.000100",
      channel_id: `D${user.slice(1)}`,
      is_ephemeral: false,
    },
    channel: { id: `D${user.slice(1)}`, name: "directmessage" },
    trigger_id: "trigger.bench",
    response_url: responseUrl,
    actions: [
      {
        type: "button",
        action_id: actionId,
        block_id: blockId,
        value,
        text: { type: "plain_text", text: "Send" },
        action_ts: String(Date.now() / 1000),
      },
    ],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

export function emit(record: Record<string, unknown>): void {
  console.log(JSON.stringify(record));
}

/** A `/campaign …` slash command as Slack posts it, form-encoded. */
export function commandBody(user: string, text: string, responseUrl: string): string {
  return new URLSearchParams({
    command: "/campaign",
    text,
    user_id: user,
    channel_id: "C1",
    team_id: "T0001",
    response_url: responseUrl,
    trigger_id: "t",
  }).toString();
}

/** A Twilio webhook POST to `url`, signed as Twilio signs it for the app's PUBLIC_URL and the same path. */
export function signedTwilioPost(
  url: string,
  authToken: string,
  params: Record<string, string>,
  publicUrl = "https://textbank.example.org",
): Promise<Response> {
  const signature = twilioSignature(authToken, publicUrl + new URL(url).pathname, params);
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature },
    body: new URLSearchParams(params).toString(),
  });
}
