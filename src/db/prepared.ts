import { CompiledQuery } from "kysely";
import type pg from "pg";
import type { Database } from "./database.ts";

/**
 * Named prepared statements for the few statements every Send runs. node-postgres sends
 * Kysely's queries unnamed, so PostgreSQL parses and plans each one afresh — for the Send
 * statement (a CTE of seven parts) that was most of its time. A named statement is parsed
 * once per connection and its plan is cached. Text and name must stay one-to-one.
 */
const pools = new WeakMap<Database, { main: pg.Pool; ingest: pg.Pool }>();

/**
 * Called where the database is opened: `db`'s connections come from `pool`; `ingest` is a
 * small pool of its own for the statements that answer webhooks (the same pool if absent).
 */
export function registerPool(db: Database, pool: pg.Pool, ingest: pg.Pool = pool): void {
  pools.set(db, { main: pool, ingest });
}

export async function queryPrepared<R>(
  db: Database,
  statement: { name: string; text: string },
  values: unknown[],
  { lane = "main" }: { lane?: "main" | "ingest" } = {},
): Promise<R[]> {
  const pool = pools.get(db)?.[lane];
  // A transaction (or a database opened elsewhere) runs it as an ordinary query.
  if (!pool) return (await db.executeQuery<R>(CompiledQuery.raw(statement.text, values))).rows;
  return (await pool.query({ name: statement.name, text: statement.text, values })).rows as R[];
}
