import { randomBytes } from "node:crypto";
import pg from "pg";

/** A fresh database on the benchmark's PostgreSQL (BENCH_DATABASE_URL, else DATABASE_URL, else loopback). */
export async function benchDatabase(label: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const server =
    process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
  const name = `textbank_bench_${label}_${randomBytes(3).toString("hex")}`;
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(server);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: server });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}
