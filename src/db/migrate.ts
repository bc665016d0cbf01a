import { Migrator, type MigrationResult } from "kysely";
import { migrations } from "../../migrations/index.ts";
import type { Database } from "./database.ts";

/**
 * Runs pending migrations. Kysely's PostgreSQL adapter takes a transaction-level advisory
 * lock first, so two instances starting together migrate once; a second run is a no-op.
 */
export async function migrateToLatest(db: Database): Promise<MigrationResult[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((result) => result.status === "Error");
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`migration ${failed?.migrationName ?? "(unknown)"} failed: ${reason}`);
  }
  return results ?? [];
}
