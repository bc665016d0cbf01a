import type { WebClient } from "@slack/web-api";
import type { Database } from "./db/database.ts";
import type { Settings } from "./settings.ts";
import type { SmsProvider } from "./sms/provider.ts";
import type { Deliveries } from "./sms/send-thread.ts";
import type { Logger } from "./logger.ts";
import type { HeldCards } from "./campaigns/sending/held-cards.ts";

/** What listeners and jobs are handed: the database, the two doors out, settings and a clock. */
export interface Services {
  db: Database;
  dbKind: "postgres" | "pglite";
  /** The PostgreSQL pool (COPY for big uploads); undefined on the embedded database. */
  pgPool?: import("pg").Pool;
  settings: Settings;
  slack: WebClient;
  sms: SmsProvider;
  /** Sends stored texts off the request path (here, or on the sending thread). */
  deliveries: Deliveries;
  /** The cards this instance handed out, so Send needs no read first (a hint, checked in SQL). */
  heldCards: HeldCards;
  /**
   * Durable, paced posts to Slack (conversation threads, notices): producers write rows with
   * enqueuePost and kick the poster, which runs here or on the background thread.
   */
  outbox: { kick(): void };
  /** Stored inbound texts waiting to be matched and posted (here or on the background thread). */
  inbound: { push(messageId: number): void };
  logger: Logger;
  instanceId: string;
  now: () => Date;
}
