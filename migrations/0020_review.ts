import { sql, type Kysely } from "kysely";

/**
 * The organizer's review of conversations (`/campaign review`).
 *
 * A review page lists a campaign's conversations latest activity first, ten at a time, walked
 * with a keyset (activity, id). Activity is the newest of the last inbound text, the last
 * outgoing one and the conversation's creation: `GREATEST` ignores NULLs, so the expression is
 * never NULL. The same expression, written identically in src/campaigns/review/review.ts, keys
 * the indexes, so a page reads about ten index entries whatever the campaign's size; the
 * `waiting` and `tag:` filters get partial indexes of their own, so a rare tag or a few waiting
 * replies among 200,000 conversations are found without walking the rest.
 *
 * "Reassign all matching" is a job in the database: `review_jobs` holds the filter as typed,
 * the target, the progress (the last conversation id done, with counts) and a lease, so a crash
 * loses at most one batch's transaction and any instance carries the job on once the lease has
 * run out. `review_job_moves` records each conversation a job moved (and from whom): the key
 * makes every conversation move at most once per job, and the summary to each previous
 * volunteer is counted from it.
 */
const ACTIVITY = `(GREATEST(last_inbound_at, last_outbound_at, created_at))`;

const statements = [
  sql`CREATE INDEX conversations_review_activity ON conversations (campaign_id, ${sql.raw(ACTIVITY)}, id)`,
  sql`CREATE INDEX conversations_review_waiting ON conversations (campaign_id, ${sql.raw(ACTIVITY)}, id)
    WHERE waiting_since IS NOT NULL`,
  sql`CREATE INDEX conversations_review_tag ON conversations (campaign_id, current_tag, ${sql.raw(ACTIVITY)}, id)
    WHERE current_tag IS NOT NULL`,
  sql`CREATE TABLE review_jobs (
    id serial PRIMARY KEY,
    campaign_id integer NOT NULL REFERENCES campaigns ON DELETE CASCADE,
    requested_by text NOT NULL,
    target text NOT NULL,
    filter text NOT NULL CHECK (char_length(filter) <= 2000),
    state text NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'done', 'failed')),
    last_conversation_id bigint NOT NULL DEFAULT 0,
    moved integer NOT NULL DEFAULT 0,
    already integer NOT NULL DEFAULT 0,
    opted_out integer NOT NULL DEFAULT 0,
    lease_token text,
    locked_until timestamptz,
    error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
  )`,
  sql`CREATE INDEX review_jobs_running ON review_jobs (id) WHERE state = 'running'`,
  sql`CREATE TABLE review_job_moves (
    job_id integer NOT NULL REFERENCES review_jobs ON DELETE CASCADE,
    conversation_id bigint NOT NULL REFERENCES conversations ON DELETE CASCADE,
    from_volunteer text,
    PRIMARY KEY (job_id, conversation_id)
  )`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await statement.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE review_job_moves`.execute(db);
  await sql`DROP TABLE review_jobs`.execute(db);
  await sql`DROP INDEX conversations_review_tag`.execute(db);
  await sql`DROP INDEX conversations_review_waiting`.execute(db);
  await sql`DROP INDEX conversations_review_activity`.execute(db);
}
