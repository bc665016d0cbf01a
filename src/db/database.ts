import { mkdirSync } from "node:fs";
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import type { DB } from "./schema.ts";
import { createLogger, type Logger } from "../logger.ts";
import { registerPool } from "./prepared.ts";

// Counts and bigserial ids fit easily in a double; numbers read better than strings everywhere.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export type Database = Kysely<DB>;

export interface DatabaseHandle {
  db: Database;
  kind: "postgres" | "pglite";
  /** The PostgreSQL connection string it was opened with (for the background worker's own pool). */
  url?: string;
  /** The pg pool, for what Kysely does not wrap (COPY, LISTEN). */
  pool: pg.Pool;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  databaseUrl?: string;
  /** Embedded database folder; "memory://" keeps it in memory (tests). */
  dataDir?: string;
  poolSize?: number;
  /** Where a dropped idle connection is reported (a new logger when absent). */
  logger?: Logger;
}

/**
 * PostgreSQL through `pg` when a URL is given, otherwise PGlite through its node-postgres
 * connection shim — so both go through the same driver, type parsers and Kysely dialect.
 */
export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  if (options.databaseUrl) {
    const logger = options.logger ?? createLogger();
    // An idle client that loses its connection emits "error" on the pool; without a listener
    // the process would exit. The pool replaces the client at the next checkout.
    const reportLost = (error: Error) => logger.warn(`database connection error: ${error.message}`);
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: options.poolSize ?? 40 });
    pool.on("error", reportLost);
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
    // A few connections of their own for storing inbound webhooks: a burst of replies keeps
    // the main pool busy matching and posting them, and Twilio's answer must not queue behind.
    const ingest = new pg.Pool({ connectionString: options.databaseUrl, max: 4 });
    ingest.on("error", reportLost);
    registerPool(db, pool, ingest);
    return {
      db,
      kind: "postgres",
      url: options.databaseUrl,
      pool,
      close: async () => {
        await db.destroy();
        await ingest.end();
      },
    };
  }
  const dataDir = options.dataDir ?? "./data";
  if (!dataDir.startsWith("memory://")) mkdirSync(dataDir, { recursive: true });
  // Loaded only here: the WASM build costs about 50 MB of memory that PostgreSQL users never need.
  const { PGlite } = await import("@electric-sql/pglite");
  const { createPgConfig } = await import("@electric-sql/pglite/node-postgres");
  const lite = await PGlite.create(dataDir);
  // PGlite is one backend: one connection, so the pool serializes queries and transactions.
  const pool = new pg.Pool({ ...createPgConfig(lite), max: 1 });
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  registerPool(db, pool);
  return {
    db,
    kind: "pglite",
    pool,
    close: async () => {
      await db.destroy();
      await lite.close();
    },
  };
}
