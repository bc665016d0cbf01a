import type { ServerResponse } from "node:http";
import { sql } from "kysely";
import type { Database } from "../db/database.ts";

export interface HealthDeps {
  db: Database;
  dbKind: "postgres" | "pglite";
  smsName: string;
  instanceId: string;
}

/** 200 with JSON when the database answers within two seconds, 503 otherwise. */
export function healthRoute(services: HealthDeps, startedAt: number) {
  return async (_req: unknown, res: ServerResponse): Promise<void> => {
    const begin = Date.now();
    try {
      await Promise.race([
        sql`SELECT 1`.execute(services.db),
        new Promise((_, reject) => setTimeout(() => reject(new Error("database did not answer in 2 s")), 2000).unref()),
      ]);
      res.writeHead(200, { "content-type": "application/json" }).end(
        JSON.stringify({
          ok: true,
          database: services.dbKind,
          databaseMs: Date.now() - begin,
          sms: services.smsName,
          instance: services.instanceId,
          uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
        }),
      );
    } catch (error) {
      res.writeHead(503, { "content-type": "application/json" }).end(
        JSON.stringify({
          ok: false,
          database: services.dbKind,
          error: error instanceof Error ? error.message : "unavailable",
        }),
      );
    }
  };
}
