import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { readBody, WAIT_MS, waitFor } from "./http-util.ts";

export interface TwilioMessageRequest {
  sid: string;
  to: string;
  from?: string;
  messagingServiceSid?: string;
  body: string;
  statusCallback?: string;
  mediaUrls: string[];
  /** When it was created (a stalled request is created late, as Twilio may). */
  at: number;
  /** When its create request arrived. */
  requestedAt: number;
}

interface InjectedError {
  status: number;
  code?: number;
  message?: string;
  remaining: number;
  /** Delay before answering, to simulate a slow or timing-out Twilio. */
  delayMs?: number;
  /** Answer only once this settles (holdNext): slow for exactly as long as the test needs. */
  until?: Promise<unknown>;
  /** Drop the connection as the request arrives, then create the message anyway (once `until` settles). */
  dropFirst?: boolean;
}

/**
 * A local stand-in for Twilio's REST API (Messages.json), talked to by the official `twilio`
 * client through TWILIO_API_URL. Checks Basic auth, records each accepted message and can
 * answer with Twilio's error JSON (21211, 21610, 20429, 500…) on demand.
 */
export class FakeTwilio {
  readonly accountSid = "AC" + "0123456789abcdef".repeat(2);
  readonly authToken = "twilio-test-auth-token";
  readonly fromNumber = "+15005550006";
  readonly messages: TwilioMessageRequest[] = [];
  /** Every POST to Messages.json, accepted or not. */
  attempts = 0;
  /** GET Messages.json (list) requests, as made by an ambiguity check. */
  listRequests = 0;
  private errors: InjectedError[] = [];
  private holds = new Set<() => void>();
  private server: Server | undefined;
  delayMs = 0;
  url = "";
  /**
   * Asked for each create that no failNext/holdNext covers: an error to answer with, a delay
   * (a stall: the message is created after it), or nothing. The soak injects its faults here.
   */
  chaos: (() => { status: number; code?: number; delayMs?: number } | undefined) | undefined;
  /** Runs after a message is created and before the create is answered (a status callback that overtakes it). */
  beforeAnswer: ((message: TwilioMessageRequest) => Promise<void>) | undefined;

  async start(): Promise<this> {
    const expectedAuth = "Basic " + Buffer.from(`${this.accountSid}:${this.authToken}`).toString("base64");
    this.server = createServer((req, res) => {
      void (async () => {
        const body = await readBody(req);
        const [path, query = ""] = (req.url ?? "").split("?");
        const match = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(path ?? "");
        if (match && req.method === "GET") {
          this.listRequests += 1;
          const to = new URLSearchParams(query).get("To");
          const found = this.messages
            .filter((m) => !to || m.to === to)
            .reverse()
            .map((m) => this.resource(m));
          res.writeHead(200, { "content-type": "application/json" }).end(
            JSON.stringify({
              messages: found,
              page: 0,
              page_size: 50,
              first_page_uri: path,
              next_page_uri: null,
              previous_page_uri: null,
              uri: req.url,
            }),
          );
          return;
        }
        if (!match || req.method !== "POST") {
          res
            .writeHead(404, { "content-type": "application/json" })
            .end(JSON.stringify({ code: 20404, message: "The requested resource was not found", status: 404 }));
          return;
        }
        if (req.headers.authorization !== expectedAuth || match[1] !== this.accountSid) {
          res
            .writeHead(401, { "content-type": "application/json" })
            .end(JSON.stringify({ code: 20003, message: "Authenticate", status: 401 }));
          return;
        }
        this.attempts += 1;
        const requestedAt = Date.now();
        // Taken when the request arrives, so a request that comes in while this one waits gets the next.
        const queued = this.errors[0];
        if (queued) {
          queued.remaining -= 1;
          if (queued.remaining <= 0) this.errors.shift();
        }
        const chaos = queued ? undefined : this.chaos?.();
        const injected: InjectedError | undefined = queued ?? (chaos && { ...chaos, remaining: 0 });
        const delay = injected?.delayMs ?? this.delayMs;
        if (injected?.dropFirst) req.socket.destroy();
        if (injected?.until) await injected.until;
        else if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
        if (injected) {
          if (injected.status >= 400) {
            const payload = {
              code: injected.code ?? injected.status,
              message: injected.message ?? "Injected error",
              more_info: `https://www.twilio.com/docs/errors/${injected.code}`,
              status: injected.status,
            };
            res.writeHead(injected.status, { "content-type": "application/json" }).end(JSON.stringify(payload));
            return;
          }
        }
        const params = new URLSearchParams(body.toString("utf8"));
        const sid = "SM" + randomBytes(16).toString("hex");
        const message: TwilioMessageRequest = {
          sid,
          to: params.get("To") ?? "",
          from: params.get("From") ?? undefined,
          messagingServiceSid: params.get("MessagingServiceSid") ?? undefined,
          body: params.get("Body") ?? "",
          statusCallback: params.get("StatusCallback") ?? undefined,
          mediaUrls: params.getAll("MediaUrl"),
          at: Date.now(),
          requestedAt,
        };
        this.messages.push(message);
        // Twilio calls back whenever it likes, even before it answers the create.
        if (this.beforeAnswer) await this.beforeAnswer(message);
        if (injected?.status === 0 || injected?.dropFirst) {
          // Created, but the answer never comes back: the client times out or sees a reset.
          req.socket.destroy();
          return;
        }
        res.writeHead(201, { "content-type": "application/json" }).end(JSON.stringify(this.resource(message)));
      })().catch((error: unknown) => {
        res.writeHead(500).end(String(error));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  private resource(message: TwilioMessageRequest): Record<string, unknown> {
    return {
      sid: message.sid,
      account_sid: this.accountSid,
      to: message.to,
      from: message.from ?? null,
      messaging_service_sid: message.messagingServiceSid ?? null,
      body: message.body,
      status: message.messagingServiceSid ? "accepted" : "queued",
      num_segments: "1",
      direction: "outbound-api",
      date_created: new Date(message.at).toUTCString(),
      date_sent: null,
      error_code: null,
      error_message: null,
      uri: `/2010-04-01/Accounts/${this.accountSid}/Messages/${message.sid}.json`,
    };
  }

  async stop(): Promise<void> {
    for (const release of this.holds) release();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /**
   * The next `count` message creations answer with this error (status ≥ 400), only wait
   * (`delayMs`), or — with status 0 — create the message and then drop the connection.
   */
  failNext(
    status: number,
    { code, message, count = 1, delayMs }: { code?: number; message?: string; count?: number; delayMs?: number } = {},
  ): void {
    this.errors.push({ status, code, message, remaining: count, delayMs });
  }

  /**
   * The next message creation is received (it counts in `attempts` at once) and answered only
   * after `release()`: then the message is created and answered as usual, to whoever still
   * listens. Unlike a delay, the hold lasts however long the machine takes to do what the test
   * does meanwhile. With `dropConnection` the connection is cut as the request arrives and the
   * message is still created at `release()`: a Twilio that got the request and never answered.
   */
  holdNext({ dropConnection = false }: { dropConnection?: boolean } = {}): { release: () => void } {
    let release!: () => void;
    const until = new Promise<void>((resolve) => (release = resolve));
    this.holds.add(release);
    void until.then(() => this.holds.delete(release));
    this.errors.push({ status: 201, remaining: 1, until, dropFirst: dropConnection });
    return { release };
  }

  messagesTo(phone: string): TwilioMessageRequest[] {
    return this.messages.filter((message) => message.to === phone);
  }

  async waitForMessage(
    predicate: (message: TwilioMessageRequest) => boolean = () => true,
    timeoutMs = WAIT_MS,
  ): Promise<TwilioMessageRequest> {
    return waitFor(() => this.messages.find(predicate), { timeoutMs, what: "a Twilio message" });
  }
}
