import type { Worker } from "node:worker_threads";
import { startWorker } from "../start-worker.ts";
import type { Logger } from "../logger.ts";
import type { Settings } from "../settings.ts";
import type { BackgroundData, FromBackground, ToBackground } from "./protocol.ts";

const YOUNG_GENERATION_MB = 8;

/**
 * The main thread's handle on the background worker (worker.ts): it passes on the ids of
 * stored inbound texts and outbox kicks. Those are hints: the database holds the work, so a
 * thread that dies loses nothing — it is started again, and the sweep finds what it left.
 */
export class BackgroundWorker {
  private worker: Worker | undefined;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly data: BackgroundData,
    private readonly logger: Logger,
  ) {}

  static async start(options: {
    settings: Settings;
    databaseUrl: string;
    instanceId: string;
    outboxIntervalMs?: number;
    logger: Logger;
  }): Promise<BackgroundWorker> {
    const thread = new BackgroundWorker(
      {
        settings: options.settings,
        databaseUrl: options.databaseUrl,
        instanceId: options.instanceId,
        outboxIntervalMs: options.outboxIntervalMs,
        logLevel: options.logger.getLevel(),
      },
      options.logger,
    );
    await thread.spawn();
    return thread;
  }

  /** A stored inbound text to match and post. */
  push(id: number): void {
    this.post({ type: "inbound", id });
  }

  /** New outbox rows: post them now rather than at the next poll. */
  kick(): void {
    this.post({ type: "kick" });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const worker = this.worker;
    if (!worker) return;
    const done = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
    worker.postMessage({ type: "stop" } satisfies ToBackground);
    const timer = setTimeout(() => void worker.terminate(), 20_000);
    await done;
    clearTimeout(timer);
  }

  private post(message: ToBackground): void {
    this.worker?.postMessage(message);
  }

  private spawn(): Promise<void> {
    // A small young generation, as npm start gives the main thread (--max-semi-space-size):
    // this thread's garbage is short-lived rows and posts.
    const worker = startWorker(new URL("./background-worker-main.ts", import.meta.url), {
      workerData: this.data,
      resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
    });
    this.worker = worker;
    return new Promise((resolve, reject) => {
      let ready = false;
      worker.on("message", (message: FromBackground) => {
        if (message.type === "ready") {
          ready = true;
          resolve();
        } else if (message.type === "failed") {
          reject(new Error(`the background worker could not start: ${message.message}`));
        }
      });
      worker.on("error", (error) => this.logger.error("the background worker failed", error));
      worker.on("exit", (code) => {
        if (this.worker === worker) this.worker = undefined;
        if (!ready) return reject(new Error(`the background worker exited (${code}) before it was ready`));
        if (this.stopping) return;
        this.logger.error(`the background worker exited (${code}); starting it again in 1 s`);
        this.restartTimer = setTimeout(
          () =>
            void this.spawn().catch((error: unknown) =>
              this.logger.error("restarting the background worker failed", error),
            ),
          1000,
        );
      });
    });
  }
}
