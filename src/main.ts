import dotenv from "dotenv";
import { startTextbank } from "./app.ts";
import { openDatabase } from "./db/database.ts";
import { migrateToLatest } from "./db/migrate.ts";
import { createLogger } from "./logger.ts";
import { parseSettings } from "./settings.ts";

// Start-up only: settings → database → migrations → app (→ jobs, as they arrive).
dotenv.config({ quiet: true });
const parsed = parseSettings(process.env);
if (!parsed.ok) {
  console.error(
    `Textbank cannot start; fix these settings (environment or .env):\n` +
      `${parsed.problems.map((p) => `  - ${p}`).join("\n")}`,
  );
  process.exit(1);
}
const settings = parsed.settings;
const logger = createLogger();

try {
  const database = await openDatabase({
    databaseUrl: settings.DATABASE_URL,
    dataDir: settings.DATA_DIR,
    poolSize: settings.DATABASE_POOL_SIZE,
    logger,
  });
  const applied = await migrateToLatest(database.db);
  if (applied.length) logger.info(`applied migrations: ${applied.map((m) => m.migrationName).join(", ")}`);
  // On PostgreSQL the replies and the outbox get a thread of their own, and so do texts to Twilio (see app.ts).
  const textbank = await startTextbank({
    settings,
    database,
    logger,
    background: database.kind === "postgres" ? "worker" : "inline",
    sending: database.kind === "postgres" ? "worker" : "inline",
  });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal}: stopping`);
    await textbank.stop().catch((error: unknown) => logger.warn("stop failed", error));
    await database.close().catch((error: unknown) => logger.warn("closing the database failed", error));
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
} catch (error) {
  logger.error("Textbank failed to start", error);
  process.exit(1);
}
