import { readdirSync, readFileSync } from "node:fs";
import pg from "pg";

/**
 * CPU time per process group, read from /proc (Linux): on a shared or throttled machine a
 * rate swings with the neighbours, while CPU milliseconds per operation hardly move, so the
 * benchmarks print both. Elsewhere every reading is 0 and the figures say so (null).
 */
const TICKS_PER_SECOND = 100;

function cpuMsOf(pid: number | string): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** Every PostgreSQL server process on this machine (backends, WAL writer, checkpointer…). */
function postgresCpuMs(): number {
  let total = 0;
  let entries: string[] = [];
  try {
    entries = readdirSync("/proc");
  } catch {
    return 0;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, "latin1");
      if (cmd.startsWith("postgres")) total += cpuMsOf(entry);
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

export interface CpuReading {
  app: number;
  postgres: number;
  bench: number;
  commits: number;
}

/** Reads the app's, PostgreSQL's and this process's CPU, and the database's commit count. */
export async function readCpu(appPid: number | undefined, databaseUrl?: string): Promise<CpuReading> {
  let commits = 0;
  if (databaseUrl) {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    await client.query("SELECT pg_stat_force_next_flush()").catch(() => undefined);
    const { rows } = await client.query<{ n: string }>(
      "SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()",
    );
    commits = Number(rows[0]?.n ?? 0);
    await client.end();
  }
  const self = process.cpuUsage();
  return {
    app: appPid ? cpuMsOf(appPid) : 0,
    postgres: postgresCpuMs(),
    bench: (self.user + self.system) / 1000,
    commits,
  };
}

/** CPU milliseconds (and commits) per operation between two readings; null where /proc was not there. */
export function perOperation(before: CpuReading, after: CpuReading, operations: number) {
  const per = (a: number, b: number) =>
    operations > 0 && b > 0 ? Math.round(((b - a) / operations) * 100) / 100 : null;
  return {
    appCpuMs: per(before.app, after.app),
    postgresCpuMs: per(before.postgres, after.postgres),
    benchCpuMs: per(before.bench, after.bench),
    commits: per(before.commits, after.commits),
  };
}
