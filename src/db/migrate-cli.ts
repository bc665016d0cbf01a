import "dotenv/config";
import { openDatabase } from "./database.ts";
import { migrateToLatest } from "./migrate.ts";

const handle = await openDatabase({ databaseUrl: process.env.DATABASE_URL, dataDir: process.env.DATA_DIR });
try {
  const results = await migrateToLatest(handle.db);
  console.log(results.length ? results.map((r) => `applied ${r.migrationName}`).join("\n") : "database is up to date");
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
} finally {
  await handle.close();
}
