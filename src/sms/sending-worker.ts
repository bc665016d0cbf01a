import type { Worker } from "node:worker_threads";
import { startWorker } from "../start-worker.ts";
import type { Logger } from "../logger.ts";
import type { Settings } from "../settings.ts";
import type { Deliveries, OutgoingText } from "../campaigns/sending/outgoing.ts";
import type { DeliveryQueue } from "./delivery-queue.ts";

export interface SendingWorkerData {
  settings: Settings;
  databaseUrl: string;
  logLevel: string;
}

export type ToSendingWorker =
  { type: "deliver"; messageId: number; claimed?: OutgoingText } | { type: "idle"; token: number } | { type: "stop" };

export type FromSendingWorker = { type: "idle"; token: number } | { type: "failed"; message: string };

/** Enough young generation that a burst of Twilio answers is collected without promotion. */
const YOUNG_GENERATION_MB = 16;

/**
 * Twilio on a thread of its own (PostgreSQL with Twilio credentials): the Send button's main
 * thread hands over the stored text and goes straight on to the next card, while this thread
 * builds the Twilio request, reads the answer and writes the sid with its own connections.
 * At hundreds of presses a second the main thread was the limit, and a text's Twilio round
 * trip and sid write were about a sixth of its work there (bench:send).
 *
 * It is started at the first text, so an instance that only imports never pays for it. The
 * database holds the work: a text handed to a thread that dies is still 'submitting' without a
 * sid, and the sweep (which runs here, on `inline`) asks Twilio for it before any retry, so it
 * is never sent twice. The thread is started again at the next text.
 */
export class SendingWorker implements Deliveries {
  private worker: Worker | undefined;
  private stopping = false;
  /** After the thread died, texts are delivered here for a while rather than starting it in a loop. */
  private inlineUntil = 0;
  private nextToken = 1;
  private readonly waiting = new Map<number, () => void>();

  constructor(
    private readonly data: SendingWorkerData,
    /** On this thread: the sweep, and anything handed over once stopping. */
    private readonly inline: DeliveryQueue,
    private readonly logger: Logger,
  ) {}

  deliver(messageId: number, claimed?: OutgoingText): void {
    if (this.stopping || Date.now() < this.inlineUntil) {
      void this.inline.deliver(messageId, claimed);
      return;
    }
    this.post({ type: "deliver", messageId, ...(claimed ? { claimed } : {}) });
  }

  sweep(olderThanSeconds = 30): Promise<number> {
    return this.inline.sweep(olderThanSeconds);
  }

  async idle(): Promise<void> {
    if (this.worker) {
      const token = this.nextToken++;
      // Messages arrive in order: the answer comes once every text handed over before is done.
      await new Promise<void>((resolve) => {
        this.waiting.set(token, resolve);
        this.post({ type: "idle", token });
      });
    }
    await this.inline.idle();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const worker = this.worker;
    if (worker) {
      const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
      worker.postMessage({ type: "stop" } satisfies ToSendingWorker);
      const timer = setTimeout(() => void worker.terminate(), 20_000);
      await exited;
      clearTimeout(timer);
    }
    await this.inline.stop();
  }

  private post(message: ToSendingWorker): void {
    (this.worker ?? this.spawn()).postMessage(message);
  }

  private spawn(): Worker {
    const worker = startWorker(new URL("../background/sending-worker-main.ts", import.meta.url), {
      workerData: this.data,
      resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
    });
    this.worker = worker;
    worker.on("message", (message: FromSendingWorker) => {
      if (message.type === "idle") {
        this.waiting.get(message.token)?.();
        this.waiting.delete(message.token);
      } else if (message.type === "failed") {
        this.logger.error(
          `the sending worker could not start: ${message.message}; texts handed to it wait for the sweep`,
        );
      }
    });
    worker.on("error", (error) => this.logger.error("the sending worker failed", error));
    worker.on("exit", (code) => {
      if (this.worker === worker) this.worker = undefined;
      // Nobody is left to answer: whoever waits for it to be idle is told it is.
      for (const resolve of this.waiting.values()) resolve();
      this.waiting.clear();
      if (this.stopping) return;
      this.inlineUntil = Date.now() + 5000;
      this.logger.error(
        `the sending worker exited (${code}); texts go out from the main thread for 5 s, ` +
          `then it is started again; the sweep resends what it held`,
      );
    });
    return worker;
  }
}
