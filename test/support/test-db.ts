import { randomBytes } from "node:crypto";
import pg from "pg";
import { openDatabase, type DatabaseBounds, type DatabaseHandle } from "../../src/db/database.ts";
import { migrateToLatest } from "../../src/db/migrate.ts";

/** The suite runs on PGlite unless DATABASE_URL names a PostgreSQL server. */
export const serverUrl = process.env.DATABASE_URL;
export const onPostgres = Boolean(serverUrl);

export interface TestDatabase {
  url: string | undefined;
  open(poolSize?: number, bounds?: Partial<DatabaseBounds>): Promise<DatabaseHandle>;
  drop(): Promise<void>;
}

/**
 * A database of its own for one test file: a fresh in-memory PGlite, or a new database on
 * the PostgreSQL server (dropped afterwards), migrated to the latest schema.
 */
export async function createTestDatabase(): Promise<TestDatabase & { handle: DatabaseHandle }> {
  if (!serverUrl) {
    const handle = await openDatabase({ dataDir: "memory://" });
    await migrateToLatest(handle.db);
    return {
      url: undefined,
      handle,
      open: async () => {
        throw new Error("a second connection to PGlite is not possible; this test needs DATABASE_URL");
      },
      drop: () => handle.close(),
    };
  }
  const name = `textbank_test_${process.pid}_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const handles: DatabaseHandle[] = [];
  const open = async (poolSize?: number, bounds?: Partial<DatabaseBounds>) => {
    const h = await openDatabase({ databaseUrl: url.toString(), poolSize, bounds });
    handles.push(h);
    return h;
  };
  const handle = await open();
  await migrateToLatest(handle.db);
  return {
    url: url.toString(),
    handle,
    open,
    async drop() {
      for (const h of handles) await h.close().catch(() => undefined);
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}
