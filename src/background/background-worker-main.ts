import { readlinkSync } from "node:fs";
import { setPriority } from "node:os";
import { parentPort, workerData } from "node:worker_threads";
import type { LogLevel } from "@slack/bolt";
import { openDatabase } from "../db/database.ts";
import { createLogger } from "../logger.ts";
import { reportFailedText } from "../relay/failure-reports.ts";
import { startOutbox } from "../outbox/start.ts";
import { DeliveryQueue } from "../sms/delivery-queue.ts";
import { InboundQueue } from "../relay/inbound-queue.ts";
import { createSmsProvider } from "../sms/provider.ts";
import type { BackgroundData, FromBackground, ToBackground } from "./protocol.ts";

// The background worker: matches stored inbound texts to conversations and runs the Slack
// outbox, with its own event loop, heap and database connections, so that work never delays
// the main thread's answers to Twilio and Slack. Started by background-worker.ts (PostgreSQL only).
const port = parentPort!;
const data = workerData as BackgroundData;
const { settings } = data;
const send = (message: FromBackground) => port.postMessage(message);

/**
 * Linux schedules threads, and setpriority on a thread id changes only that thread: this one
 * yields the CPU to the main thread whenever both want it. Elsewhere it stays as it is.
 */
function lowerThisThreadsPriority(): void {
  try {
    const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, 10);
  } catch {
    // not Linux, or /proc is absent: the thread keeps the process's priority
  }
}

try {
  lowerThisThreadsPriority();
  const logger = createLogger(data.logLevel as LogLevel, "textbank-background");
  const database = await openDatabase({ databaseUrl: data.databaseUrl, poolSize: 6, logger });
  const sms = createSmsProvider(settings);
  const outbox = startOutbox({
    db: database.db,
    token: settings.SLACK_BOT_TOKEN,
    slackApiUrl: settings.SLACK_API_URL,
    logger,
    instanceId: data.instanceId,
    perChannelIntervalMs: data.outboxIntervalMs,
  });
  const deliveries = new DeliveryQueue({
    db: database.db,
    sms,
    logger,
    reportFailure: (messageId, code) => reportFailedText({ db: database.db, outbox }, messageId, code),
  });
  // One at a time: each text is a few milliseconds of queries, and a second database backend
  // working on them competes with the one storing webhooks more than it speeds up the posts,
  // which Slack paces at one a second per channel anyway.
  const inbound = new InboundQueue(
    {
      db: database.db,
      organizerIds: settings.ORGANIZER_IDS,
      fromPhone: sms.fromNumber,
      outbox,
      deliveries,
      logger,
    },
    1,
  );

  port.on("message", (message: ToBackground) => {
    if (message.type === "inbound") inbound.push(message.id);
    else if (message.type === "kick") outbox.kick();
    else if (message.type === "stop") {
      void (async () => {
        await inbound.drain();
        await outbox.stop();
        await deliveries.stop();
        await database.close();
        port.close(); // nothing else keeps the thread alive: it exits, and stop() sees that
      })().catch((error: unknown) => logger.warn("background stop failed", error));
    }
  });
  send({ type: "ready" });
} catch (error) {
  send({ type: "failed", message: error instanceof Error ? error.message : String(error) });
}
