import { parentPort, workerData } from "node:worker_threads";
import type { LogLevel } from "@slack/bolt";
import { openDatabase, type DatabaseHandle } from "../db/database.ts";
import { createLogger } from "../logger.ts";
import { reportFailedText } from "../relay/failure-reports.ts";
import { DeliveryQueue } from "../sms/delivery-queue.ts";
import { createSmsProvider } from "../sms/provider.ts";
import type { FromSendingWorker, SendingWorkerData, ToSendingWorker } from "../sms/sending-worker.ts";

// The sending worker (sending-worker.ts): delivers the texts the main thread stored, through the
// twilio client, and writes their sids, on its own event loop and database connections.
const port = parentPort!;
const data = workerData as SendingWorkerData;
const send = (message: FromSendingWorker) => port.postMessage(message);

// Listening from the first moment: texts handed over while the database opens wait for it.
const started: Promise<{ database: DatabaseHandle; deliveries: DeliveryQueue }> = (async () => {
  const logger = createLogger(data.logLevel as LogLevel, "textbank-sending");
  // A few connections: sids are written many per statement (sid-recorder.ts).
  const database = await openDatabase({ databaseUrl: data.databaseUrl, poolSize: 4, logger });
  const db = database.db;
  // Failures are told through the outbox; its poster (on another thread) picks them up at its next poll.
  const reportFailure = (messageId: number, code: number | null) => reportFailedText({ db }, messageId, code);
  const deliveries = new DeliveryQueue({ db, sms: createSmsProvider(data.settings), logger, reportFailure });
  return { database, deliveries };
})();
started.catch((error: unknown) => {
  send({ type: "failed", message: error instanceof Error ? error.message : String(error) });
  port.close();
});

port.on("message", (message: ToSendingWorker) => {
  void started.then(
    async ({ database, deliveries }) => {
      if (message.type === "deliver") void deliveries.deliver(message.messageId, message.claimed);
      else if (message.type === "idle") {
        await deliveries.idle();
        send({ type: "idle", token: message.token });
      } else if (message.type === "stop") {
        await deliveries.stop();
        await database.close();
        port.close(); // nothing else keeps the thread alive: it exits, and stop() sees that
      }
    },
    () => undefined,
  );
});
