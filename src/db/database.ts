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

/**
 * How long PostgreSQL work may wait, so that an overloaded or stuck database gives a clear
 * failure instead of a request that never ends (docs/architecture.md lists what users see).
 */
export interface DatabaseBounds {
  /** Waiting for a free pooled connection (or for a new one to open); then the query fails. */
  connectionWaitMs: number;
  /** One statement; PostgreSQL cancels it past this. 0 turns it off. */
  statementTimeoutMs: number;
  /** A transaction left open with nothing running; PostgreSQL ends the session past this. 0 turns it off. */
  idleInTransactionMs: number;
}

export const DEFAULT_DATABASE_BOUNDS: DatabaseBounds = {
  connectionWaitMs: 10_000,
  statementTimeoutMs: 30_000,
  idleInTransactionMs: 60_000,
};

/**
 * The webhook pool's ceiling for each wait: Twilio waits 15 s for a webhook's answer, so a
 * connection wait and the statement after it both end in time for a 500, and Twilio goes on
 * to the fallback URL instead of timing out on us.
 */
const INGEST_CEILING_MS = 5_000;

export interface DatabaseOptions {
  databaseUrl?: string;
  /** Embedded database folder; "memory://" keeps it in memory (tests). */
  dataDir?: string;
  poolSize?: number;
  /** Where a dropped idle connection is reported (a new logger when absent). */
  logger?: Logger;
  /** PostgreSQL only (DEFAULT_DATABASE_BOUNDS where absent). */
  bounds?: Partial<DatabaseBounds>;
}

/** A query that gave up waiting for a pooled connection (pg-pool's connectionTimeoutMillis). */
export function isConnectionWaitTimeout(error: unknown): boolean {
  const message = error instanceof Error ? error.message : "";
  return /timeout exceeded when trying to connect|Connection terminated due to connection timeout/.test(message);
}

/** A statement PostgreSQL cancelled at statement_timeout (57014 is also a cancel by hand; the message tells). */
export function isStatementTimeout(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === "57014" && typeof message === "string" && message.includes("statement timeout");
}

/**
 * PostgreSQL through `pg` when a URL is given, otherwise PGlite through its node-postgres
 * connection shim — so both go through the same driver, type parsers and Kysely dialect.
 */
export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  if (options.databaseUrl) {
    const logger = options.logger ?? createLogger();
    const given = options.bounds ?? {};
    const bounds: DatabaseBounds = {
      connectionWaitMs: given.connectionWaitMs ?? DEFAULT_DATABASE_BOUNDS.connectionWaitMs,
      statementTimeoutMs: given.statementTimeoutMs ?? DEFAULT_DATABASE_BOUNDS.statementTimeoutMs,
      idleInTransactionMs: given.idleInTransactionMs ?? DEFAULT_DATABASE_BOUNDS.idleInTransactionMs,
    };
    const pool = boundedPool(options.databaseUrl, options.poolSize ?? 40, bounds, logger);
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
    // A few connections of their own for storing inbound webhooks: a burst of replies keeps
    // the main pool busy matching and posting them, and Twilio's answer must not queue behind.
    const ingest = boundedPool(
      options.databaseUrl,
      4,
      {
        ...bounds,
        connectionWaitMs: atMost(bounds.connectionWaitMs, INGEST_CEILING_MS),
        statementTimeoutMs: atMost(bounds.statementTimeoutMs, INGEST_CEILING_MS),
      },
      logger,
    );
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
  // No bounds here: the one connection is shared by everything in turn (a wait is this process's
  // own queue, not a connection held elsewhere), and PGlite ignores statement_timeout.
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

/** `bound` where set, but never above `ceiling` (0, no bound, becomes the ceiling). */
function atMost(bound: number, ceiling: number): number {
  return bound > 0 ? Math.min(bound, ceiling) : ceiling;
}

function boundedPool(connectionString: string, max: number, bounds: DatabaseBounds, logger: Logger): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max,
    // pg-pool's 0 means "wait forever"; a bound of 0 keeps that meaning.
    connectionTimeoutMillis: bounds.connectionWaitMs,
    // Sent as startup parameters, so they are the session's defaults: RESET goes back to them
    // and SET LOCAL in a transaction (the contacts import) overrides them for that transaction.
    statement_timeout: bounds.statementTimeoutMs || undefined,
    idle_in_transaction_session_timeout: bounds.idleInTransactionMs || undefined,
  });
  // A client that loses its connection emits "error"; without a listener the process would
  // exit. The pool listens only while a client is idle in it, but idle_in_transaction_session_timeout
  // ends sessions held by the app, so every client gets a listener of its own (which also
  // covers the idle ones: the pool's own report would say the same again). A client that failed
  // is not queryable: its next query rejects and the pool drops it when it is released.
  pool.on("connect", (client) =>
    client.on("error", (error: Error) => logger.warn(`database connection error: ${error.message}`)),
  );
  pool.on("error", () => undefined);
  return pool;
}
