import { Migrator, sql, type MigrationResult } from "kysely";
import { migrations } from "../../migrations/index.ts";
import type { Database } from "./database.ts";

/**
 * Runs pending migrations. Kysely's PostgreSQL adapter takes an advisory lock first, so two
 * instances starting together migrate once; a second run is a no-op.
 */
export async function migrateToLatest(db: Database): Promise<MigrationResult[]> {
  // A migration may rewrite a big table, and a second instance waits on the lock for as long as
  // the first one migrates: neither is bounded by the pool's statement timeout. One connection,
  // the timeout off for it alone, and back to the pool's default before it returns to the pool.
  const { error, results } = await db.connection().execute(async (conn) => {
    await sql`SET statement_timeout = 0`.execute(conn);
    try {
      const migrator = new Migrator({ db: conn, provider: { getMigrations: async () => migrations } });
      return await migrator.migrateToLatest();
    } finally {
      await sql`RESET statement_timeout`.execute(conn);
    }
  });
  if (error) {
    const failed = results?.find((result) => result.status === "Error");
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`migration ${failed?.migrationName ?? "(unknown)"} failed: ${reason}`);
  }
  return results ?? [];
}
