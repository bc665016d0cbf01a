// npm run bench:prune — what the hourly prune-old-rows job does to table sizes. Fills the tables
// it prunes with two weeks of a busy program (PRUNE_POSTS_PER_DAY Slack posts, a tenth as many
// Slack event ids, every job's runs, unmatched early statuses), runs the job's four prunes
// as the job does, then VACUUM (autovacuum's part), and prints rows and sizes before and after.
// Without the job these tables only grow; with it they hold about a week of posts and two days
// of the rest (VACUUM gives back the emptied pages at a table's end and reuses the others).
import { sql } from "kysely";
import { openDatabase } from "../src/db/database.ts";
import { migrateToLatest } from "../src/db/migrate.ts";
import { prunePosted } from "../src/outbox/outbox.ts";
import { pruneSlackEvents } from "../src/campaigns/slack-events.ts";
import { pruneRuns } from "../src/jobs/run-once.ts";
import { pruneEarlyStatuses } from "../src/campaigns/messages/status.ts";
import { benchDatabase } from "./support/database.ts";
import { emit } from "./support/load.ts";

const DAYS = 14;
const POSTS_PER_DAY = Number(process.env.PRUNE_POSTS_PER_DAY ?? 100_000);
const TABLES = ["slack_outbox", "slack_events", "job_runs", "early_statuses"] as const;

const database = await benchDatabase("prune");
const handle = await openDatabase({ databaseUrl: database.url });
const { db } = handle;
await migrateToLatest(db);

// Rows spread evenly over the last DAYS days (ages from 0 to DAYS days).
const posts = POSTS_PER_DAY * DAYS;
const age = (n: number) => sql`now() - (g::float / ${n} * ${DAYS}) * interval '1 day'`;
await sql`INSERT INTO slack_outbox (dedupe_key, channel, payload, state, posted_ts, created_at)
  SELECT 'in:' || g, 'D' || (g % 300), jsonb_build_object('text', 'A reply of about this length, ' || g, 'thread_ts', '1700000000.000100'),
         'posted', '1700000000.' || g, ${age(posts)}
  FROM generate_series(1, ${posts}) g`.execute(db);
const events = posts / 10;
await sql`INSERT INTO slack_events (event_id, received_at)
  SELECT 'Ev' || g, ${age(events)} FROM generate_series(1, ${events}) g`.execute(db);
// Seven jobs, most every 15–60 s: about 10,000 runs a day.
const runs = 10_000 * DAYS;
await sql`INSERT INTO job_runs (job, run_key, instance, started_at, finished_at)
  SELECT 'job-' || (g % 7), 'slot-' || g, 'inst', ${age(runs)}, ${age(runs)}
  FROM generate_series(1, ${runs}) g`.execute(db);
const early = 1_000 * DAYS;
await sql`INSERT INTO early_statuses (sid, status, received_at)
  SELECT 'SM' || md5(g::text), 'delivered', ${age(early)} FROM generate_series(1, ${early}) g`.execute(db);
await sql`ANALYZE`.execute(db);

async function measure() {
  const figures: Record<string, { rows: number; mb: number }> = {};
  for (const table of TABLES) {
    const { rows } = await sql<{ n: number; bytes: number }>`
      SELECT (SELECT count(*)::int FROM ${sql.table(table)}) AS n,
             pg_total_relation_size(${table}::regclass)::float AS bytes`.execute(db);
    figures[table] = { rows: rows[0]!.n, mb: Math.round((rows[0]!.bytes / 1048576) * 10) / 10 };
  }
  return figures;
}

const before = await measure();
const started = performance.now();
const pruned =
  (await prunePosted(db, 7)) +
  (await pruneSlackEvents(db, 2)) +
  (await pruneRuns(db, 2)) +
  (await pruneEarlyStatuses(db, 2));
const pruneSeconds = Math.round(performance.now() - started) / 1000;
await sql`VACUUM ANALYZE`.execute(db);
const after = await measure();
// A day later: a day of new posts, a thousand per statement; the next run of the job takes a day's off.
for (let i = 0; i < POSTS_PER_DAY; i += 1000) {
  await sql`INSERT INTO slack_outbox (dedupe_key, channel, payload, state, posted_ts)
    SELECT 'next:' || g, 'D' || (g % 300),
           jsonb_build_object('text', 'A reply of about this length, ' || g, 'thread_ts', '1700000000.000100'),
           'posted', '1700000001.' || g
    FROM generate_series(${i + 1}::int, ${i + 1000}::int) g`.execute(db);
}
const dayLater = await measure();

emit({ bench: "prune", what: "two weeks of rows, before the job", postsPerDay: POSTS_PER_DAY, tables: before });
emit({ bench: "prune", what: "after prune-old-rows and VACUUM", rowsPruned: pruned, pruneSeconds, tables: after });
emit({ bench: "prune", what: "after one more day of posts", tables: dayLater });

await handle.close();
await database.drop();
