import type { WebClient } from "@slack/web-api";
import type pg from "pg";
import type { HeldCards } from "../campaigns/sending/held-cards.ts";
import type { Deliveries } from "../campaigns/sending/outgoing.ts";
import type { Database } from "../db/database.ts";
import type { Logger } from "../logger.ts";
import type { Settings } from "../settings.ts";

/**
 * What the Slack listeners are handed (app.ts builds it once). A listener or helper that needs
 * less says so with Pick<SlackDeps, …>.
 */
export interface SlackDeps {
  db: Database;
  /** The PostgreSQL pool (COPY for big uploads); undefined on the embedded database. */
  pgPool: pg.Pool | undefined;
  settings: Pick<Settings, "ORGANIZER_IDS" | "SLACK_BOT_TOKEN" | "SLACK_API_URL" | "DEFAULT_COUNTRY">;
  /** The app's Web API client (cards, modals, ephemeral answers). Thread posts go through the outbox. */
  slack: WebClient;
  /** Our sender as stored on outgoing texts, and whether texts go to the sandbox (the card says so). */
  texting: { fromPhone: string; sandbox: boolean };
  /** Stored texts leave through here, off the request path. */
  deliveries: Deliveries;
  /** Cards this instance handed out, so Send needs no read (a hint; the Send statement checks). */
  heldCards: HeldCards;
  /** Wakes the outbox poster after rows were enqueued. */
  outbox: { kick(): void };
  logger: Logger;
  instanceId: string;
  now: () => Date;
}
