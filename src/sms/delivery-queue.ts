import type { Deliveries, OutgoingText } from "../campaigns/sending/outgoing.ts";
import {
  deliverMessage,
  dueForRetry,
  retryDelayMs,
  sendHandedOver,
  type DeliverDeps,
  type DeliveryOutcome,
} from "./deliver.ts";

export type DeliveryListener = (messageId: number, outcome: DeliveryOutcome) => void | Promise<void>;

/**
 * Sends stored messages off the request path, so a volunteer never waits on Twilio, and
 * retries transient failures with backoff. Retries in memory are an optimisation; the
 * database is the truth, and `sweep` (a scheduled job) picks up anything a crash left.
 */
export class DeliveryQueue implements Deliveries {
  private timers = new Set<NodeJS.Timeout>();
  private inFlight = new Set<Promise<unknown>>();
  private stopped = false;
  private listeners: DeliveryListener[] = [];

  constructor(private readonly deps: DeliverDeps) {}

  onOutcome(listener: DeliveryListener): void {
    this.listeners.push(listener);
  }

  /** Starts delivering a queued message now; resolves when this attempt is over. */
  deliver(messageId: number, claimed?: OutgoingText): Promise<DeliveryOutcome | undefined> {
    const attempt = this.attempt(messageId, claimed);
    this.inFlight.add(attempt);
    void attempt.finally(() => this.inFlight.delete(attempt));
    return attempt;
  }

  private async attempt(messageId: number, claimed?: OutgoingText): Promise<DeliveryOutcome | undefined> {
    if (this.stopped) return undefined;
    try {
      const outcome = claimed ? await sendHandedOver(this.deps, claimed) : await deliverMessage(this.deps, messageId);
      if (outcome.kind === "retry_later" && outcome.afterMs !== undefined) this.later(messageId, outcome.afterMs);
      else if (outcome.kind === "retry_later") {
        const attempts = await this.deps.db
          .selectFrom("messages")
          .select("attempts")
          .where("id", "=", messageId)
          .executeTakeFirst();
        this.later(messageId, retryDelayMs(attempts?.attempts ?? 1));
      }
      if (outcome.kind !== "not_mine") {
        for (const listener of this.listeners)
          await Promise.resolve(listener(messageId, outcome)).catch((error: unknown) =>
            this.deps.logger.warn("delivery listener failed", error),
          );
      }
      return outcome;
    } catch (error) {
      this.deps.logger.error(`delivering message ${messageId} failed; the sweep will retry`, error);
      return undefined;
    }
  }

  private later(messageId: number, delayMs: number): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.deliver(messageId);
    }, delayMs);
    timer.unref();
    this.timers.add(timer);
  }

  /** Delivers every message left queued or mid-send for longer than `olderThanSeconds`. */
  async sweep(olderThanSeconds = 30): Promise<number> {
    const ids = await dueForRetry(this.deps.db, olderThanSeconds);
    await Promise.all(ids.map((id) => this.deliver(id)));
    return ids.length;
  }

  /** Waits for attempts under way (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await this.idle();
  }
}
