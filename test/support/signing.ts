import { createHmac } from "node:crypto";

/** Slack's v0 request signature, written here independently of Bolt so tests check the app. */
export function slackSignature(secret: string, timestamp: number, body: string): string {
  return "v0=" + createHmac("sha256", secret).update(`v0:${timestamp}:${body}`).digest("hex");
}

/** Twilio's X-Twilio-Signature: base64 HMAC-SHA1 over the URL and the sorted name+value pairs. */
export function twilioSignature(authToken: string, url: string, params: Record<string, string>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, key) => acc + key + params[key], url);
  return createHmac("sha1", authToken).update(Buffer.from(data, "utf8")).digest("base64");
}
