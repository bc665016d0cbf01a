import { randomBytes } from "node:crypto";
import type twilio from "twilio";
import type { Settings } from "../settings.ts";

export interface OutgoingSms {
  to: string;
  body: string;
  mediaUrls?: string[];
}

export type ProviderResult =
  | { ok: true; sid: string; status: "queued" | "accepted" | "sent" | "delivered" }
  /**
   * `retryable`: worth trying again. `ambiguous`: Twilio may have created it anyway (timeout,
   * reset, 5xx) — look with findRecent before trying again. 429/20429 were never processed.
   * `unanswered`: no answer came at all (deadline, reset), so Twilio may still be working on the
   * request and create the message after a look made now.
   */
  | { ok: false; retryable: boolean; ambiguous: boolean; unanswered?: boolean; code: number | null; message: string };

/** The one door every SMS leaves through. */
export interface SmsProvider {
  readonly name: "twilio" | "sandbox";
  /** Our sender, as inbound messages name it in `To` (undefined with a Messaging Service). */
  readonly fromNumber: string | undefined;
  send(message: OutgoingSms): Promise<ProviderResult>;
  /**
   * After an ambiguous failure (timeout, reset, 5xx) Twilio may have created the message: the
   * messages to this number with this body created since `since` (less a minute of clock skew),
   * newest first. The caller skips any whose sid another text of ours already holds.
   */
  findRecent(to: string, body: string, since: Date): Promise<{ sid: string; status: string }[]>;
}

/** How far Twilio's clock may be behind ours when it stamps a message's creation. */
const CLOCK_SKEW_MS = 60_000;

export class TwilioProvider implements SmsProvider {
  readonly name = "twilio";
  private clientPromise: Promise<twilio.Twilio> | undefined;

  constructor(
    private readonly settings: Pick<
      Settings,
      | "TWILIO_ACCOUNT_SID"
      | "TWILIO_AUTH_TOKEN"
      | "TWILIO_API_URL"
      | "TWILIO_MESSAGING_SERVICE_SID"
      | "TWILIO_FROM_NUMBER"
      | "PUBLIC_URL"
    >,
  ) {}

  /**
   * twilio-node is loaded at the first text, not at start-up: the background worker sends only
   * the odd HELP answer, and loading the library there cost its share of resident memory.
   */
  private client(): Promise<twilio.Twilio> {
    this.clientPromise ??= import("./twilio-client.ts").then(({ createTwilioClient }) =>
      createTwilioClient({
        accountSid: this.settings.TWILIO_ACCOUNT_SID!,
        authToken: this.settings.TWILIO_AUTH_TOKEN!,
        apiUrl: this.settings.TWILIO_API_URL!,
      }),
    );
    return this.clientPromise;
  }

  get fromNumber(): string | undefined {
    return this.settings.TWILIO_FROM_NUMBER;
  }

  async send(message: OutgoingSms): Promise<ProviderResult> {
    const sender = this.settings.TWILIO_MESSAGING_SERVICE_SID
      ? { messagingServiceSid: this.settings.TWILIO_MESSAGING_SERVICE_SID }
      : { from: this.settings.TWILIO_FROM_NUMBER! };
    try {
      const client = await this.client();
      const created = await client.messages.create({
        ...sender,
        to: message.to,
        body: message.body,
        ...(message.mediaUrls?.length ? { mediaUrl: message.mediaUrls } : {}),
        ...(this.settings.PUBLIC_URL
          ? { statusCallback: `${this.settings.PUBLIC_URL.replace(/\/+$/, "")}/twilio/status` }
          : {}),
      });
      const status = created.status === "accepted" ? "accepted" : created.status === "sent" ? "sent" : "queued";
      return { ok: true, sid: created.sid, status };
    } catch (error) {
      return classifyTwilioError(error);
    }
  }

  async findRecent(to: string, body: string, since: Date): Promise<{ sid: string; status: string }[]> {
    // Filtered by To only: a message still queued at Twilio has no DateSent to filter on.
    const after = since.getTime() - CLOCK_SKEW_MS;
    const recent = await (await this.client()).messages.list({ to, limit: 50 });
    return recent
      .filter((m) => m.to === to && m.body === body && (!m.dateCreated || m.dateCreated.getTime() >= after))
      .map((m) => ({ sid: m.sid, status: m.status }));
  }
}

/** Records messages and calls them delivered without touching the network. */
export class SandboxProvider implements SmsProvider {
  readonly name = "sandbox";
  readonly fromNumber = "+15550000000";
  readonly sent: (OutgoingSms & { sid: string })[] = [];

  async send(message: OutgoingSms): Promise<ProviderResult> {
    const sid = "SB" + randomBytes(16).toString("hex");
    this.sent.push({ ...message, sid });
    return { ok: true, sid, status: "delivered" };
  }

  async findRecent(to: string, body: string): Promise<{ sid: string; status: string }[]> {
    return this.sent.filter((m) => m.to === to && m.body === body).map((m) => ({ sid: m.sid, status: "delivered" }));
  }
}

export function createSmsProvider(settings: Settings): SmsProvider {
  return settings.TWILIO_ACCOUNT_SID ? new TwilioProvider(settings) : new SandboxProvider();
}

/** Twilio's RestException carries `status` and `code`; anything else is a network failure. */
function classifyTwilioError(error: unknown): ProviderResult {
  const e = error as { status?: number; code?: number | string; message?: string };
  if (typeof e?.status === "number") {
    const code = typeof e.code === "number" ? e.code : null;
    const rateLimited = e.status === 429 || code === 20429;
    const serverError = e.status >= 500;
    return {
      ok: false,
      retryable: rateLimited || serverError,
      ambiguous: serverError,
      code: code ?? e.status,
      message: e.message ?? `HTTP ${e.status}`,
    };
  }
  // A timeout or reset: we cannot know whether Twilio created the message.
  return {
    ok: false,
    retryable: true,
    ambiguous: true,
    unanswered: true,
    code: null,
    message: e?.message ?? String(error),
  };
}
