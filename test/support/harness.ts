import { LogLevel } from "@slack/bolt";
import { sql } from "kysely";
import { startTextbank, type Textbank } from "../../src/app.ts";
import type { DatabaseBounds, DatabaseHandle } from "../../src/db/database.ts";
import type { SlackClientBounds } from "../../src/slack/web-client.ts";
import { createLogger } from "../../src/logger.ts";
import { parseSettings, type Settings } from "../../src/settings.ts";
import { FakeSlack } from "./fake-slack.ts";
import { FakeTwilio } from "./fake-twilio.ts";
import { slackSignature, twilioSignature } from "./signing.ts";
import { waitFor } from "./http-util.ts";
import { createTestDatabase, type TestDatabase } from "./test-db.ts";

export const SIGNING_SECRET = "test-signing-secret";
export const PUBLIC_URL = "https://textbank.example.org";
export const ORGANIZER = "UORGANIZER";

export interface HarnessOptions {
  env?: Record<string, string | undefined>;
  /** Leave Twilio credentials out: the SMS provider is then the sandbox. */
  sandbox?: boolean;
  /** Where replies are matched and the outbox posts (see TextbankOptions); "worker" needs PostgreSQL. */
  background?: "inline" | "worker";
  /** false: inbound texts are stored and answered, then left to the sweep (tests run it by hand). */
  processReplies?: boolean;
  /** The Slack client's timeout and retries (short ones for tests of a Slack that hangs). */
  slackBounds?: Partial<SlackClientBounds>;
  /**
   * PostgreSQL only: the app gets a database handle of its own with this pool size and these
   * bounds, while `h.db` (the test's own queries) keeps the defaults.
   */
  database?: { poolSize?: number; bounds?: Partial<DatabaseBounds> };
}

export interface SignedResponse {
  status: number;
  text: string;
  json: () => unknown;
}

/**
 * The real app on a real database, with Slack and Twilio faked at the HTTP boundary.
 * Requests go in signed, exactly as Slack and Twilio send them.
 */
export class Harness {
  slack = new FakeSlack();
  twilio = new FakeTwilio();
  app!: Textbank;
  settings!: Settings;
  testDb!: TestDatabase & { handle: DatabaseHandle };
  private extraApps: Textbank[] = [];
  /** Set to move the app's clock; texting-hours checks read it (not the background worker's). */
  clock: Date | undefined;
  background: "inline" | "worker" = "inline";
  processReplies = true;
  slackBounds: Partial<SlackClientBounds> | undefined;
  /** The database handle the app runs on: the test's own unless `database` was given. */
  appDatabase!: DatabaseHandle;

  get db() {
    return this.testDb.handle.db;
  }

  get url(): string {
    return `http://127.0.0.1:${this.app.port}`;
  }

  static async start(options: HarnessOptions = {}): Promise<Harness> {
    const harness = new Harness();
    await Promise.all([harness.slack.start(), harness.twilio.start()]);
    harness.testDb = await createTestDatabase();
    harness.background = options.background ?? "inline";
    harness.processReplies = options.processReplies ?? true;
    harness.slackBounds = options.slackBounds;
    harness.settings = harness.buildSettings(options);
    harness.appDatabase = options.database
      ? await harness.testDb.open(options.database.poolSize, options.database.bounds)
      : harness.testDb.handle;
    harness.app = await harness.startInstance(harness.appDatabase);
    return harness;
  }

  buildSettings(options: HarnessOptions): Settings {
    const env: Record<string, string | undefined> = {
      SLACK_BOT_TOKEN: this.slack.botToken,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: this.slack.apiUrl,
      PORT: "0",
      PUBLIC_URL,
      ORGANIZER_IDS: ORGANIZER,
      ...(options.sandbox
        ? {}
        : {
            TWILIO_ACCOUNT_SID: this.twilio.accountSid,
            TWILIO_AUTH_TOKEN: this.twilio.authToken,
            TWILIO_FROM_NUMBER: this.twilio.fromNumber,
            TWILIO_API_URL: this.twilio.url,
          }),
      ...options.env,
    };
    const parsed = parseSettings(env);
    if (!parsed.ok) throw new Error(parsed.problems.join("\n"));
    return parsed.settings;
  }

  /** Another app instance on the same database (PostgreSQL only). */
  async startInstance(database?: DatabaseHandle): Promise<Textbank> {
    const handle = database ?? (await this.testDb.open());
    const app = await startTextbank({
      settings: this.settings,
      database: handle,
      logger: createLogger(process.env.TEXTBANK_TEST_LOG ? LogLevel.DEBUG : LogLevel.ERROR),
      now: () => this.clock ?? new Date(),
      jobs: false,
      outboxIntervalMs: 50,
      background: this.background,
      processReplies: this.processReplies,
      slackBounds: this.slackBounds,
      // On PostgreSQL texts go to Twilio from the sending worker, as npm start runs them.
      sending: handle.kind === "postgres" ? "worker" : "inline",
    });
    if (database !== this.testDb.handle && database !== this.appDatabase) this.extraApps.push(app);
    return app;
  }

  /**
   * Waits until the app is quiet: every stored inbound text processed (or set aside), the outbox drained and
   * deliveries under way finished.
   */
  async settle(timeoutMs = 20_000): Promise<void> {
    await waitFor(
      async () => {
        const row = await this.db
          .selectFrom("messages")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .where("direction", "=", "in")
          .where("processed_at", "is", null)
          .where("set_aside_at", "is", null)
          .executeTakeFirstOrThrow();
        return row.n === 0;
      },
      { timeoutMs, what: "inbound texts to be processed" },
    );
    if (this.app.outbox) await this.app.outbox.drain(timeoutMs);
    else {
      // The outbox runs on the background worker: wait until nothing is pending in the database.
      await waitFor(
        async () => {
          const row = await this.db
            .selectFrom("slack_outbox")
            .select((eb) => eb.fn.countAll<number>().as("n"))
            .where("state", "=", "pending")
            .executeTakeFirstOrThrow();
          return row.n === 0;
        },
        { timeoutMs, what: "the outbox to drain" },
      );
      // A posted parent is marked posted before its onPosted hook stores the thread on the
      // conversation, and that thread runs at a lower priority: wait for the hooks too (each
      // conversation points at the newest parent posted for it).
      await waitFor(
        async () => {
          const { rows } = await sql<{ n: number }>`
            SELECT count(*)::int AS n FROM conversations c
            JOIN LATERAL (
              SELECT o.posted_ts FROM slack_outbox o
              WHERE o.state = 'posted'
                AND (o.dedupe_key = 'conv-parent:' || c.id OR o.dedupe_key LIKE 'conv-parent:' || c.id || ':%')
              ORDER BY o.id DESC LIMIT 1
            ) parent ON true
            WHERE c.slack_thread_ts IS DISTINCT FROM parent.posted_ts`.execute(this.db);
          return rows[0]!.n === 0;
        },
        { timeoutMs, what: "posted thread parents to be stored on their conversations" },
      );
    }
    await this.app.deliveries.idle();
  }

  /** Stops the app and starts it again on the same database, as a deploy or crash would. */
  async restart(): Promise<void> {
    await this.app.stop();
    this.app = await this.startInstance(this.appDatabase);
  }

  async stop(): Promise<void> {
    for (const app of [...this.extraApps, this.app]) await app?.stop().catch(() => undefined);
    await this.testDb?.drop();
    await Promise.all([this.slack.stop(), this.twilio.stop()]);
  }

  private inboundCount = 0;

  /** A text from `from` to our number, as Twilio's inbound webhook posts it, each with a sid of its own. */
  inboundSms(from: string, body: string, extra: { port?: number } = {}): Promise<SignedResponse> {
    return this.twilioWebhook(
      "/twilio/sms",
      {
        MessageSid: `SMharness${String(++this.inboundCount).padStart(25, "0")}`,
        AccountSid: this.twilio.accountSid,
        From: from,
        To: this.twilio.fromNumber,
        Body: body,
        NumMedia: "0",
      },
      extra,
    );
  }

  /** Moves the clock past the send lease of the texts to `phone` (of `kind`, if given), as if 60 s had gone by. */
  async expireSendLeases(phone: string, kind?: "opening"): Promise<void> {
    let update = this.db
      .updateTable("messages")
      .set({ lease_until: new Date(Date.now() - 1000), updated_at: new Date(Date.now() - 60_000) })
      .where("to_phone", "=", phone);
    if (kind) update = update.where("kind", "=", kind);
    await update.execute();
  }

  /** POSTs a body to /slack/events signed with the app's signing secret (or `secret`). */
  async postSlack(
    body: string,
    contentType: string,
    {
      secret = SIGNING_SECRET,
      timestamp = Math.floor(Date.now() / 1000),
      signature,
      port,
      headers: extra = {},
    }: {
      secret?: string;
      timestamp?: number;
      signature?: string | null;
      port?: number;
      headers?: Record<string, string>;
    } = {},
  ): Promise<SignedResponse> {
    const headers: Record<string, string> = {
      ...extra,
      "content-type": contentType,
      "x-slack-request-timestamp": String(timestamp),
    };
    if (signature !== null) headers["x-slack-signature"] = signature ?? slackSignature(secret, timestamp, body);
    const res = await fetch(`http://127.0.0.1:${port ?? this.app.port}/slack/events`, {
      method: "POST",
      headers,
      body,
    });
    const text = await res.text();
    return { status: res.status, text, json: () => JSON.parse(text) };
  }

  /** A `/campaign` slash command. The answer is what Slack shows (the ack body), plus its response_url. */
  async command(user: string, text: string, extra: { port?: number; channel?: string } = {}) {
    const responseUrl = this.slack.responseUrl();
    const form = new URLSearchParams({
      token: "verification-token-unused",
      team_id: "T0001",
      team_domain: "fake",
      channel_id: extra.channel ?? "C0GENERAL",
      channel_name: "general",
      user_id: user,
      user_name: user.toLowerCase(),
      command: "/campaign",
      text,
      api_app_id: "A0001",
      response_url: responseUrl,
      trigger_id: `trigger.${Math.random().toString(36).slice(2)}`,
    });
    const res = await this.postSlack(form.toString(), "application/x-www-form-urlencoded", { port: extra.port });
    const body = res.text ? (res.json() as { text?: string; response_type?: string; blocks?: unknown[] }) : {};
    return { status: res.status, body, text: body.text ?? "", responseUrl, triggerId: form.get("trigger_id")! };
  }

  /**
   * A command that answers, and its answer whether it came in the ack or later through
   * response_url: a subcommand slower than the ack budget (2 s, which a loaded machine can
   * exceed) is acked empty and answers through response_url.
   */
  async commandAnswer(user: string, text: string, extra: { port?: number; channel?: string } = {}) {
    const result = await this.command(user, text, extra);
    if (result.text || result.body.blocks) return result;
    const later = await this.slack.waitForResponse(result.responseUrl);
    const body = later.body as { text?: string; response_type?: string; blocks?: unknown[] };
    return { ...result, body, text: body.text ?? "" };
  }

  /** Text of the command's answer, whether it came in the ack or later through response_url. */
  async commandText(user: string, text: string): Promise<string> {
    return (await this.commandAnswer(user, text)).text;
  }

  /** An interactivity payload (block_actions, view_submission…), form-encoded as Slack sends it. */
  async interact(payload: Record<string, unknown>, extra: { port?: number } = {}): Promise<SignedResponse> {
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    return this.postSlack(body, "application/x-www-form-urlencoded", extra);
  }

  /** An Events API envelope, JSON as Slack sends it. */
  async event(
    event: Record<string, unknown>,
    {
      eventId = `Ev${Math.random().toString(36).slice(2)}`,
      retryNum,
      port,
    }: { eventId?: string; retryNum?: number; port?: number } = {},
  ): Promise<SignedResponse> {
    const retryHeaders: Record<string, string> = retryNum
      ? { "x-slack-retry-num": String(retryNum), "x-slack-retry-reason": "http_timeout" }
      : {};
    const body = JSON.stringify({
      token: "unused",
      team_id: "T0001",
      api_app_id: "A0001",
      type: "event_callback",
      event_id: eventId,
      event_time: Math.floor(Date.now() / 1000),
      event,
    });
    return this.postSlack(body, "application/json", { port, headers: retryHeaders });
  }

  /** A Twilio webhook to /twilio/sms or /twilio/status, signed against PUBLIC_URL unless told otherwise. */
  async twilioWebhook(
    path: "/twilio/sms" | "/twilio/status",
    params: Record<string, string>,
    { signature, port }: { signature?: string | null; port?: number } = {},
  ): Promise<SignedResponse> {
    const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
    if (signature !== null)
      headers["x-twilio-signature"] = signature ?? twilioSignature(this.twilio.authToken, PUBLIC_URL + path, params);
    const res = await fetch(`http://127.0.0.1:${port ?? this.app.port}${path}`, {
      method: "POST",
      headers,
      body: new URLSearchParams(params).toString(),
    });
    const text = await res.text();
    return { status: res.status, text, json: () => JSON.parse(text) };
  }
}
