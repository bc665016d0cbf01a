import type { Settings } from "../settings.ts";

/** What the main thread hands the background worker when it starts it. */
export interface BackgroundData {
  settings: Settings;
  /** The database the main thread opened (which may not be settings.DATABASE_URL in tests). */
  databaseUrl: string;
  instanceId: string;
  outboxIntervalMs?: number;
  logLevel: string;
}

/** Main → background. */
export type ToBackground = { type: "inbound"; id: number } | { type: "kick" } | { type: "stop" };

/** Background → main. */
export type FromBackground = { type: "ready" } | { type: "failed"; message: string };
