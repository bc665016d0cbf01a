import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";
import { App, HTTPReceiver, LogLevel, SocketModeReceiver, type CustomRoute } from "@slack/bolt";
import type { DatabaseHandle } from "./db/database.ts";
import { healthRoute } from "./http/health.ts";
import { createLogger, type Logger } from "./logger.ts";
import type { Settings } from "./settings.ts";
import { registerListeners } from "./slack/listeners.ts";
import { createSmsProvider } from "./sms/provider.ts";
import { HeldCards } from "./campaigns/sending/held-cards.ts";
import { DeliveryQueue } from "./sms/delivery-queue.ts";
import { SendingWorker } from "./sms/sending-worker.ts";
import { runJobOnce, startJobs } from "./jobs/scheduler.ts";
import { appJobs } from "./schedule.ts";
import { reportFailedText } from "./relay/failure-reports.ts";
import type { Deliveries } from "./campaigns/sending/outgoing.ts";
import type { SlackDeps } from "./slack/deps.ts";
import type { InboundDeps } from "./relay/inbound.ts";
import type { Outbox } from "./outbox/outbox.ts";
import { startOutbox } from "./outbox/start.ts";
import { twilioWebhook } from "./sms/webhooks.ts";
import { twilioHandlers } from "./relay/twilio-handlers.ts";
import { InboundQueue } from "./relay/inbound-queue.ts";
import { BackgroundWorker } from "./background/background-worker.ts";
import { slackClientOptions, type SlackClientBounds } from "./slack/web-client.ts";

export interface TextbankOptions {
  settings: Settings;
  database: DatabaseHandle;
  logger?: Logger;
  instanceId?: string;
  now?: () => Date;
  /** Scheduled jobs (default on); tests drive them by hand. */
  jobs?: boolean;
  /** Pace of posts per Slack channel (default 1000 ms, Slack's chat.postMessage limit). */
  outboxIntervalMs?: number;
  /**
   * Where inbound texts are matched and the outbox posts: "inline" on this event loop, or
   * "worker", a worker thread of their own (PostgreSQL only: PGlite lives in this thread), so
   * a burst of replies never delays the answers to Twilio and Slack. Default "inline".
   */
  background?: "inline" | "worker";
  /**
   * Where texts are handed to Twilio: "inline" on this event loop, or "worker", a worker thread
   * of their own (PostgreSQL with Twilio only; see sms/sending-worker.ts). Default "inline".
   */
  sending?: "inline" | "worker";
  /**
   * Whether stored inbound texts are processed right after Twilio's answer (default true). With
   * false they wait for the sweep, as after a crash between the two steps; tests run it by hand.
   * Only with background "inline".
   */
  processReplies?: boolean;
  /** The Slack Web API client's timeout and retries (DEFAULT_SLACK_CLIENT_BOUNDS); tests make them short. */
  slackBounds?: Partial<SlackClientBounds>;
}

export interface Textbank {
  /** The HTTP port actually listened on (PORT may be 0 in tests). */
  port: number;
  mode: "http" | "socket";
  /** Where stored texts are sent from (tests wait on it with idle()). */
  deliveries: Deliveries;
  /** What the Slack listeners were given (tests call job steps with it). */
  slackDeps: SlackDeps;
  /** What inbound processing was given, when it runs on this thread too (the sweep always does). */
  inboundDeps: InboundDeps;
  /** Runs one slot of a scheduled job by name, as the scheduler would (once across instances). */
  runJob(name: string, at?: Date): Promise<boolean>;
  /** The outbox poster when it runs on this thread (background "inline"). */
  outbox?: Outbox;
  stop(): Promise<void>;
}

/** Wraps an async route so a rejection answers 500 instead of escaping Bolt (which does not catch it). */
function route(
  path: string,
  method: string,
  handler: (req: never, res: import("node:http").ServerResponse) => Promise<void>,
  logger: Logger,
): CustomRoute {
  return {
    path,
    method,
    handler: (req, res) => {
      handler(req as never, res).catch((error: unknown) => {
        logger.error(`${method} ${path} failed`, error);
        if (!res.headersSent) res.writeHead(500).end();
      });
    },
  };
}

/**
 * Puts the app together, in order: the doors out (SMS provider, outbox, deliveries), the Twilio
 * routes, the Slack app and its listeners, the scheduled jobs; then listens. Each part gets
 * only what it uses.
 */
export async function startTextbank(options: TextbankOptions): Promise<Textbank> {
  const { settings, database } = options;
  const { db } = database;
  const logger = options.logger ?? createLogger(LogLevel.INFO);
  const now = options.now ?? (() => new Date());
  const startedAt = Date.now();
  // Bounded: a request timeout, a few quick retries, and a 429 that fails its own call only.
  const clientOptions = slackClientOptions(settings.SLACK_API_URL, options.slackBounds);
  const sms = createSmsProvider(settings);
  const instanceId = options.instanceId ?? randomBytes(4).toString("hex");

  // Replies and the outbox: on a background worker (PostgreSQL), or here.
  const thread =
    options.background === "worker" && database.kind === "postgres" && database.url
      ? await BackgroundWorker.start({
          settings,
          databaseUrl: database.url,
          instanceId,
          outboxIntervalMs: options.outboxIntervalMs,
          logger,
        })
      : undefined;
  const outbox = thread
    ? undefined
    : startOutbox({
        db,
        token: settings.SLACK_BOT_TOKEN,
        slackApiUrl: settings.SLACK_API_URL!,
        logger,
        perChannelIntervalMs: options.outboxIntervalMs,
      });
  const outboxKick = thread ?? outbox!;

  // Texts to Twilio: on a sending worker (PostgreSQL with Twilio), or here.
  const inlineDeliveries = new DeliveryQueue({
    db,
    sms,
    logger,
    reportFailure: (messageId, code) => reportFailedText({ db, outbox: outboxKick }, messageId, code),
  });
  const deliveries: Deliveries =
    options.sending === "worker" && database.kind === "postgres" && database.url && sms.name === "twilio"
      ? new SendingWorker(
          { settings, databaseUrl: database.url, logLevel: logger.getLevel() },
          inlineDeliveries,
          logger,
        )
      : inlineDeliveries;

  const inboundDeps: InboundDeps = {
    db,
    organizerIds: settings.ORGANIZER_IDS,
    fromPhone: sms.fromNumber,
    outbox: outboxKick,
    deliveries,
    logger,
  };
  const inbound = thread ?? (options.processReplies === false ? { push() {} } : new InboundQueue(inboundDeps));
  const handlers = twilioHandlers({ db, inbound, outbox: outboxKick });
  const webhookDeps = { settings, logger };
  const health = healthRoute({ db, dbKind: database.kind, smsName: sms.name, instanceId }, startedAt);
  const customRoutes: CustomRoute[] = [
    route("/healthz", "GET", health, logger),
    route("/twilio/sms", "POST", twilioWebhook(webhookDeps, "inbound", handlers), logger),
    route("/twilio/status", "POST", twilioWebhook(webhookDeps, "status", handlers), logger),
  ];

  const mode = settings.SLACK_APP_TOKEN ? "socket" : "http";
  // Slack's 3 s run from when it sent the request: handlers count their ack budget from arrival.
  const customPropertiesExtractor = () => ({ receivedAt: Date.now() });
  const receiver =
    mode === "socket"
      ? new SocketModeReceiver({
          appToken: settings.SLACK_APP_TOKEN!,
          customRoutes,
          installerOptions: { port: settings.PORT, clientOptions },
          customPropertiesExtractor,
          logger,
          logLevel: logger.getLevel(),
        })
      : new HTTPReceiver({
          signingSecret: settings.SLACK_SIGNING_SECRET!,
          endpoints: "/slack/events",
          customRoutes,
          customPropertiesExtractor,
          logger,
          logLevel: logger.getLevel(),
          processBeforeResponse: false,
        });
  const app = new App({
    receiver,
    token: settings.SLACK_BOT_TOKEN,
    clientOptions,
    logger,
    logLevel: logger.getLevel(),
    deferInitialization: true,
    // Bolt's conversation store is a per-message lookup we never use (state lives in the database).
    convoStore: false,
  });
  await app.init();
  const slackDeps: SlackDeps = {
    db,
    pgPool: database.kind === "postgres" ? database.pool : undefined,
    settings,
    slack: app.client,
    texting: { fromPhone: sms.fromNumber ?? "", sandbox: sms.name === "sandbox" },
    deliveries,
    heldCards: new HeldCards(),
    outbox: outboxKick,
    logger,
    instanceId,
    now,
  };
  registerListeners(app, slackDeps);
  app.error(async (error) => {
    logger.error("unhandled Slack listener error", error);
  });

  const jobs = appJobs({ slack: slackDeps, inbound: inboundDeps, deliveries });
  const schedulerDeps = { db, instanceId, logger, now };
  const scheduled = options.jobs === false ? undefined : startJobs(schedulerDeps, jobs);
  const started = (await app.start(settings.PORT)) as unknown;
  const port = mode === "http" ? ((started as Server).address() as AddressInfo).port : settings.PORT;
  const threads = [
    thread ? ", replies and the outbox on a background worker" : "",
    deliveries instanceof SendingWorker ? ", texts to Twilio on a sending worker" : "",
  ].join("");
  logger.info(
    `Textbank listening on port ${port} (${mode} mode, ${database.kind} database, ${sms.name} SMS${threads})`,
  );

  return {
    port,
    mode,
    deliveries,
    slackDeps,
    inboundDeps,
    runJob: (name, at) => {
      const job = jobs.find((j) => j.name === name);
      if (!job) throw new Error(`no job named ${name}`);
      return runJobOnce(schedulerDeps, job, at);
    },
    outbox,
    async stop() {
      await scheduled?.stop();
      await app.stop();
      await outbox?.stop();
      await thread?.stop();
      await deliveries.stop();
    },
  };
}
