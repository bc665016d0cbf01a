import { processInbound, type InboundDeps } from "./inbound.ts";

/**
 * Processes stored inbound texts a few at a time, in arrival order, so a burst of replies
 * does not starve the webhooks that store the next ones (they answer Twilio). Anything still
 * queued when the process dies is found by the sweep (processed_at is null).
 */
export class InboundQueue {
  private readonly waiting: number[] = [];
  private running = 0;
  private idle: (() => void)[] = [];

  constructor(
    private readonly deps: InboundDeps,
    private readonly concurrency = 2,
  ) {}

  push(messageId: number): void {
    this.waiting.push(messageId);
    this.pump();
  }

  /** Resolves once nothing is queued or running (before a stop). */
  drain(): Promise<void> {
    if (!this.running && !this.waiting.length) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private pump(): void {
    while (this.running < this.concurrency && this.waiting.length) {
      const id = this.waiting.shift()!;
      this.running += 1;
      processInbound(this.deps, id)
        .catch((error: unknown) =>
          this.deps.logger.error(`processing inbound ${id} failed; the sweep will retry`, error),
        )
        .finally(() => {
          this.running -= 1;
          this.pump();
          if (!this.running && !this.waiting.length) for (const resolve of this.idle.splice(0)) resolve();
        });
    }
  }
}
