import { randomBytes } from "node:crypto";
import type twilio from "twilio";
import { createTwilioClient } from "./twilio-client.ts";
import type { Settings } from "../settings.ts";

export interface OutgoingSms {
  to: string;
  body: string;
  mediaUrls?: string[];
}

export type SendResult =
  | { ok: true; sid: string; status: "queued" | "accepted" | "sent" | "delivered" }
  /** `retryable`: Twilio never processed it (429, 5xx, network) — safe to try again. */
  | { ok: false; retryable: boolean; code: number | null; message: string };

/** The one door every SMS leaves through. */
export interface SmsProvider {
  readonly name: "twilio" | "sandbox";
  /** Our sender, as inbound messages name it in `To` (undefined with a Messaging Service). */
  readonly fromNumber: string | undefined;
  send(message: OutgoingSms): Promise<SendResult>;
}

export class TwilioProvider implements SmsProvider {
  readonly name = "twilio";
  private readonly client: twilio.Twilio;

  constructor(
    private readonly settings: Pick<
      Settings,
      "TWILIO_ACCOUNT_SID" | "TWILIO_AUTH_TOKEN" | "TWILIO_API_URL" | "TWILIO_MESSAGING_SERVICE_SID" | "TWILIO_FROM_NUMBER" | "PUBLIC_URL"
    >,
  ) {
    this.client = createTwilioClient({
      accountSid: settings.TWILIO_ACCOUNT_SID!,
      authToken: settings.TWILIO_AUTH_TOKEN!,
      apiUrl: settings.TWILIO_API_URL!,
    });
  }

  get fromNumber(): string | undefined {
    return this.settings.TWILIO_FROM_NUMBER;
  }

  async send(message: OutgoingSms): Promise<SendResult> {
    const sender = this.settings.TWILIO_MESSAGING_SERVICE_SID
      ? { messagingServiceSid: this.settings.TWILIO_MESSAGING_SERVICE_SID }
      : { from: this.settings.TWILIO_FROM_NUMBER! };
    try {
      const created = await this.client.messages.create({
        ...sender,
        to: message.to,
        body: message.body,
        ...(message.mediaUrls?.length ? { mediaUrl: message.mediaUrls } : {}),
        ...(this.settings.PUBLIC_URL ? { statusCallback: `${this.settings.PUBLIC_URL.replace(/\/+$/, "")}/twilio/status` } : {}),
      });
      const status = created.status === "accepted" ? "accepted" : created.status === "sent" ? "sent" : "queued";
      return { ok: true, sid: created.sid, status };
    } catch (error) {
      return classifyTwilioError(error);
    }
  }
}

/** Records messages and calls them delivered without touching the network. */
export class SandboxProvider implements SmsProvider {
  readonly name = "sandbox";
  readonly fromNumber = "+15550000000";
  readonly sent: (OutgoingSms & { sid: string })[] = [];

  async send(message: OutgoingSms): Promise<SendResult> {
    const sid = "SB" + randomBytes(16).toString("hex");
    this.sent.push({ ...message, sid });
    return { ok: true, sid, status: "delivered" };
  }
}

export function createSmsProvider(settings: Settings): SmsProvider {
  return settings.TWILIO_ACCOUNT_SID ? new TwilioProvider(settings) : new SandboxProvider();
}

/** Twilio's RestException carries `status` and `code`; anything else is a network failure. */
function classifyTwilioError(error: unknown): SendResult {
  const e = error as { status?: number; code?: number | string; message?: string };
  if (typeof e?.status === "number") {
    const code = typeof e.code === "number" ? e.code : null;
    const retryable = e.status === 429 || e.status >= 500 || code === 20429;
    return { ok: false, retryable, code: code ?? e.status, message: e.message ?? `HTTP ${e.status}` };
  }
  // A timeout or reset: we cannot know whether Twilio created the message.
  return { ok: false, retryable: true, code: null, message: e?.message ?? String(error) };
}
