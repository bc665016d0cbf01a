/**
 * The organizer's review of a campaign's conversations: filters resolved against the campaign,
 * one page of them latest activity first, moving one conversation, and the "reassign all
 * matching" job, whose progress lives in `review_jobs` (migration 0020). No Slack here.
 */
import { sql, type RawBuilder } from "kysely";
import type { Database } from "../../db/database.ts";
import type { Campaign } from "../../db/schema.ts";
import { resolveAudience } from "../followups/rounds.ts";
import { isOptedOut } from "../opt-outs/opt-outs.ts";
import { filterLabel, type ReviewFilter } from "./filter.ts";

/** A filter checked against the campaign: tags as stored, survey answers by question id. */
export interface ResolvedReviewFilter {
  waiting: boolean;
  optedOut: boolean;
  escalated: boolean;
  tags: string[];
  answers: { questionId: number; answer: string }[];
  volunteers: string[];
  phrases: string[];
  /** As it can be typed again (names in the campaign's own spelling). */
  label: string;
}

export type ResolveFilterResult = { ok: true; filter: ResolvedReviewFilter } | { ok: false; problem: string };

/** Resolves tag and answer names (case does not matter); one the campaign does not know says what there is. */
export async function resolveReviewFilter(
  db: Database,
  campaign: Campaign,
  filter: ReviewFilter,
): Promise<ResolveFilterResult> {
  const tags: string[] = [];
  for (const tag of filter.tags) {
    const resolved = await resolveAudience(db, campaign, { kind: "tag", tag });
    if (!resolved.ok) return resolved;
    if (resolved.audience.kind === "tag") tags.push(resolved.audience.tag);
  }
  const answers: ResolvedReviewFilter["answers"] = [];
  const named: ReviewFilter["answers"] = [];
  for (const a of filter.answers) {
    const resolved = await resolveAudience(db, campaign, { kind: "answer", question: a.question, answer: a.answer });
    if (!resolved.ok) return resolved;
    if (resolved.audience.kind === "answer") {
      answers.push({ questionId: resolved.audience.questionId, answer: resolved.audience.answer });
      named.push({ question: resolved.audience.question, answer: resolved.audience.answer });
    }
  }
  const label = filterLabel({ ...filter, tags, answers: named });
  return { ok: true, filter: { ...filter, tags, answers, label } };
}

/**
 * A conversation's latest activity. Written exactly as in the indexes of migration 0020
 * (`conversations_review_*`), so ordering and paging read them.
 */
const ACTIVITY = sql`GREATEST(v.last_inbound_at, v.last_outbound_at, v.created_at)`;

const likePattern = (phrase: string) => `%${phrase.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;

/** The filter as SQL over `v` (conversations) and `c` (its contact); every part must hold. */
function matchSql(filter: ResolvedReviewFilter): RawBuilder<unknown> {
  const parts: RawBuilder<unknown>[] = [sql`true`];
  if (filter.waiting) parts.push(sql`v.waiting_since IS NOT NULL`);
  if (filter.escalated) parts.push(sql`v.escalated_at IS NOT NULL`);
  if (filter.optedOut) parts.push(sql`EXISTS (SELECT 1 FROM opt_outs x WHERE x.phone = c.phone)`);
  for (const tag of filter.tags) parts.push(sql`v.current_tag = ${tag}`);
  for (const a of filter.answers)
    parts.push(sql`EXISTS (SELECT 1 FROM survey_answers a
      WHERE a.conversation_id = v.id AND a.question_id = ${a.questionId} AND a.answer = ${a.answer}
        AND a.replaced_at IS NULL)`);
  for (const user of filter.volunteers) parts.push(sql`v.volunteer_id = ${user}`);
  for (const phrase of filter.phrases)
    parts.push(sql`EXISTS (SELECT 1 FROM messages m
      WHERE m.conversation_id = v.id AND m.body ILIKE ${likePattern(phrase)} ESCAPE '\\')`);
  return sql.join(parts, sql` AND `);
}

/** A place in the review order: the activity (UTC, to the microsecond) and the conversation id. */
export interface ReviewKey {
  t: string;
  i: number;
}

export interface ReviewRow {
  id: number;
  volunteerId: string | null;
  firstName: string | null;
  lastName: string | null;
  phone: string;
  tag: string | null;
  waiting: boolean;
  escalated: boolean;
  optedOut: boolean;
  activityAt: Date;
  key: ReviewKey;
  last: { direction: "in" | "out"; body: string; at: Date } | undefined;
}

interface RawRow {
  id: number | string;
  volunteer_id: string | null;
  first_name: string | null;
  last_name: string | null;
  phone: string;
  current_tag: string | null;
  waiting: boolean;
  escalated: boolean;
  opted_out: boolean;
  activity_at: Date | string;
  activity_key: string;
  direction: "in" | "out" | null;
  body: string | null;
  message_at: Date | string | null;
}

const toRow = (r: RawRow): ReviewRow => ({
  id: Number(r.id),
  volunteerId: r.volunteer_id,
  firstName: r.first_name,
  lastName: r.last_name,
  phone: r.phone,
  tag: r.current_tag,
  waiting: r.waiting,
  escalated: r.escalated,
  optedOut: r.opted_out,
  activityAt: new Date(r.activity_at),
  key: { t: r.activity_key, i: Number(r.id) },
  last:
    r.direction && r.body !== null && r.message_at !== null
      ? { direction: r.direction, body: r.body, at: new Date(r.message_at) }
      : undefined,
});

async function pageQuery(
  db: Database,
  campaignId: number,
  filter: ResolvedReviewFilter,
  place: { after?: ReviewKey; before?: ReviewKey },
  limit: number,
): Promise<ReviewRow[]> {
  const cursor = place.after
    ? sql`(${ACTIVITY}, v.id) < (${place.after.t}::timestamptz, ${place.after.i})`
    : place.before
      ? sql`(${ACTIVITY}, v.id) > (${place.before.t}::timestamptz, ${place.before.i})`
      : sql`true`;
  const order = place.before ? sql`${ACTIVITY} ASC, v.id ASC` : sql`${ACTIVITY} DESC, v.id DESC`;
  const { rows } = await sql<RawRow>`
    SELECT v.id, v.volunteer_id, c.first_name, c.last_name, c.phone, v.current_tag,
           v.waiting_since IS NOT NULL AS waiting, v.escalated_at IS NOT NULL AS escalated,
           EXISTS (SELECT 1 FROM opt_outs x WHERE x.phone = c.phone) AS opted_out,
           ${ACTIVITY} AS activity_at,
           to_char(${ACTIVITY} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS activity_key,
           m.direction, m.body, m.created_at AS message_at
    FROM conversations v
    JOIN contacts c ON c.id = v.contact_id
    LEFT JOIN LATERAL (
      SELECT l.direction, l.body, l.created_at FROM messages l
      WHERE l.conversation_id = v.id ORDER BY l.id DESC LIMIT 1
    ) m ON true
    WHERE v.campaign_id = ${campaignId} AND ${matchSql(filter)} AND ${cursor}
    ORDER BY ${order}
    LIMIT ${limit}`.execute(db);
  return rows.map(toRow);
}

export interface ReviewPage {
  rows: ReviewRow[];
  /** Where this page starts: rows before this key (undefined: the first page). */
  after: ReviewKey | undefined;
  /** Whether another page follows. */
  more: boolean;
  /** The first page, because the page asked for no longer had a page before it. */
  restarted: boolean;
}

export const REVIEW_PAGE_SIZE = 10;

/**
 * One page, latest activity first: the page after `after` (or the first), or the page that
 * ends just before `before` (Previous). Keyset paging reads about one page of index entries,
 * however deep the page.
 */
export async function reviewPage(
  db: Database,
  campaignId: number,
  filter: ResolvedReviewFilter,
  place: { after?: ReviewKey; before?: ReviewKey } = {},
  size = REVIEW_PAGE_SIZE,
): Promise<ReviewPage> {
  if (place.before) {
    const up = await pageQuery(db, campaignId, filter, { before: place.before }, size + 1);
    // A full page with one more above it: that one is where the page starts. Fewer: the top.
    if (up.length > size)
      return { rows: up.slice(0, size).reverse(), after: up[size]!.key, more: true, restarted: false };
    const first = await reviewPage(db, campaignId, filter, {}, size);
    return { ...first, restarted: true };
  }
  const rows = await pageQuery(db, campaignId, filter, place, size + 1);
  return { rows: rows.slice(0, size), after: place.after, more: rows.length > size, restarted: false };
}

// ——— moving one conversation ———

export type MoveOneResult =
  | { kind: "moved"; from: string | null; channel: string | null; threadTs: string | null }
  | { kind: "gone" }
  | { kind: "other_campaign" }
  | { kind: "already" }
  | { kind: "opted_out" };

/**
 * Moves one conversation of this campaign to `to`; its thread starts again in their DM (the
 * caller posts it), so the thread coordinates are cleared. Returns where the old thread was,
 * so its volunteer can be told there. Checked under the row's lock: a conversation of another
 * campaign, a gone one, one `to` already has, or one whose number opted out changes nothing.
 */
export async function moveOneConversation(
  db: Database,
  input: {
    campaignId: number;
    conversationId: number;
    to: string;
    /** Enqueues the move's posts in the same transaction. */
    onMoved?: (tx: Database, moved: Extract<MoveOneResult, { kind: "moved" }>) => Promise<void>;
  },
): Promise<MoveOneResult> {
  return db.transaction().execute(async (tx) => {
    const row = await tx
      .selectFrom("conversations as v")
      .innerJoin("contacts as c", "c.id", "v.contact_id")
      .select(["v.id", "v.campaign_id", "v.volunteer_id", "v.slack_channel", "v.slack_thread_ts", "c.phone"])
      .where("v.id", "=", input.conversationId)
      .forNoKeyUpdate("v")
      .executeTakeFirst();
    if (!row) return { kind: "gone" } as const;
    if (row.campaign_id !== input.campaignId) return { kind: "other_campaign" } as const;
    if (row.volunteer_id === input.to) return { kind: "already" } as const;
    // Like "reassign all matching", a number that opted out stays where it is.
    if (await isOptedOut(tx, row.phone)) return { kind: "opted_out" } as const;
    await tx
      .updateTable("conversations")
      .set({ volunteer_id: input.to, slack_channel: null, slack_thread_ts: null })
      .where("id", "=", row.id)
      .execute();
    const moved = {
      kind: "moved",
      from: row.volunteer_id,
      channel: row.slack_channel,
      threadTs: row.slack_thread_ts,
    } as const;
    await input.onMoved?.(tx, moved);
    return moved;
  });
}

// ——— reassign all matching: a job in the database ———

export interface ReviewJob {
  id: number;
  campaignId: number;
  requestedBy: string;
  target: string;
  filter: string;
  lastConversationId: number;
  moved: number;
  already: number;
  optedOut: number;
  token: string;
}

/** How long a runner owns a job without a batch: after that another instance carries it on. */
export const REVIEW_JOB_LEASE_SECONDS = 60;

/** Records the job, already leased to its creator (which starts it at once). */
export async function createReviewJob(
  db: Database,
  input: { campaignId: number; requestedBy: string; target: string; filter: string; token: string },
): Promise<number> {
  const row = await db
    .insertInto("review_jobs")
    .values({
      campaign_id: input.campaignId,
      requested_by: input.requestedBy,
      target: input.target,
      filter: input.filter,
      lease_token: input.token,
      locked_until: sql<Date>`now() + make_interval(secs => ${REVIEW_JOB_LEASE_SECONDS})`,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

interface JobRow {
  id: number;
  campaign_id: number;
  requested_by: string;
  target: string;
  filter: string;
  last_conversation_id: number | string;
  moved: number;
  already: number;
  opted_out: number;
  lease_token: string;
}

const toJob = (r: JobRow): ReviewJob => ({
  id: r.id,
  campaignId: r.campaign_id,
  requestedBy: r.requested_by,
  target: r.target,
  filter: r.filter,
  lastConversationId: Number(r.last_conversation_id),
  moved: r.moved,
  already: r.already,
  optedOut: r.opted_out,
  token: r.lease_token,
});

/**
 * Takes a running job whose lease is free or has run out (its runner crashed or stopped), or the
 * job `onlyId` if its lease is `token`'s already; one instance at a time (SKIP LOCKED).
 */
export async function claimReviewJob(db: Database, token: string, onlyId?: number): Promise<ReviewJob | undefined> {
  const { rows } = await sql<JobRow>`
    UPDATE review_jobs j SET lease_token = ${token},
      locked_until = now() + make_interval(secs => ${REVIEW_JOB_LEASE_SECONDS})
    WHERE j.id = (
      SELECT id FROM review_jobs
      WHERE state = 'running'
        AND ${onlyId === undefined ? sql`true` : sql`id = ${onlyId}`}
        AND (locked_until IS NULL OR locked_until < now() OR lease_token = ${token})
      ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
    RETURNING j.*`.execute(db);
  return rows[0] ? toJob(rows[0]) : undefined;
}

export interface MovedConversation {
  id: number;
  from: string | null;
  channel: string | null;
  threadTs: string | null;
}

export type BatchResult = { kind: "lost" } | { kind: "more" | "done"; moved: number };

/**
 * Who the job is about to take conversations from, and how many each (opted-out numbers and
 * those the target has already left out): the new volunteer's one introduction is written from
 * it before the first batch. One grouped count over the filter.
 */
export async function reviewJobPlan(
  db: Database,
  input: { campaignId: number; filter: ResolvedReviewFilter; target: string },
): Promise<{ volunteerId: string | null; count: number }[]> {
  const { rows } = await sql<{ volunteer_id: string | null; n: number | string }>`
    SELECT v.volunteer_id, count(*) AS n
    FROM conversations v JOIN contacts c ON c.id = v.contact_id
    WHERE v.campaign_id = ${input.campaignId} AND ${matchSql(input.filter)}
      AND v.volunteer_id IS DISTINCT FROM ${input.target}
      AND NOT EXISTS (SELECT 1 FROM opt_outs x WHERE x.phone = c.phone)
    GROUP BY v.volunteer_id ORDER BY count(*) DESC, v.volunteer_id`.execute(db);
  return rows.map((r) => ({ volunteerId: r.volunteer_id, count: Number(r.n) }));
}

/**
 * One batch, in one short transaction: the next `size` matching conversations by id after the
 * job's progress are locked; opted-out ones and those the target has already are counted and
 * left; the rest move to the target, are recorded in review_job_moves, and `onMoved` enqueues
 * their posts in the same transaction; then the progress is written and the lease renewed. A
 * crash rolls the whole batch back, so each conversation is moved and posted once. "lost": the
 * lease is no longer this runner's, and nothing was done.
 */
export async function runReviewBatch(
  db: Database,
  input: {
    job: ReviewJob;
    filter: ResolvedReviewFilter;
    size: number;
    onMoved: (tx: Database, moved: MovedConversation[]) => Promise<void>;
  },
): Promise<BatchResult> {
  const { job } = input;
  return db.transaction().execute(async (tx): Promise<BatchResult> => {
    const { rows: owned } = await sql<{ last_conversation_id: number | string }>`
      SELECT last_conversation_id FROM review_jobs
      WHERE id = ${job.id} AND state = 'running' AND lease_token = ${job.token} FOR UPDATE`.execute(tx);
    if (!owned[0]) return { kind: "lost" };
    const last = Number(owned[0].last_conversation_id);
    const { rows } = await sql<{
      id: number | string;
      volunteer_id: string | null;
      slack_channel: string | null;
      slack_thread_ts: string | null;
      opted_out: boolean;
    }>`
      SELECT v.id, v.volunteer_id, v.slack_channel, v.slack_thread_ts,
             EXISTS (SELECT 1 FROM opt_outs x WHERE x.phone = c.phone) AS opted_out
      FROM conversations v JOIN contacts c ON c.id = v.contact_id
      WHERE v.campaign_id = ${job.campaignId} AND v.id > ${last} AND ${matchSql(input.filter)}
      ORDER BY v.id LIMIT ${input.size}
      FOR NO KEY UPDATE OF v`.execute(tx);
    const optedOut = rows.filter((r) => r.opted_out).length;
    const already = rows.filter((r) => !r.opted_out && r.volunteer_id === job.target).length;
    const moving = rows.filter((r) => !r.opted_out && r.volunteer_id !== job.target);
    const ids = moving.map((r) => Number(r.id));
    let moved: MovedConversation[] = [];
    if (ids.length) {
      // The key (job, conversation) makes a second move of one conversation by this job impossible.
      const recorded = await sql<{ conversation_id: number | string }>`
        INSERT INTO review_job_moves (job_id, conversation_id, from_volunteer)
        SELECT ${job.id}, u.id, u.volunteer_id
        FROM unnest(${ids}::bigint[], ${moving.map((r) => r.volunteer_id)}::text[]) AS u(id, volunteer_id)
        ON CONFLICT DO NOTHING RETURNING conversation_id`.execute(tx);
      const fresh = new Set(recorded.rows.map((r) => Number(r.conversation_id)));
      moved = moving
        .filter((r) => fresh.has(Number(r.id)))
        .map((r) => ({
          id: Number(r.id),
          from: r.volunteer_id,
          channel: r.slack_channel,
          threadTs: r.slack_thread_ts,
        }));
      if (moved.length)
        await tx
          .updateTable("conversations")
          .set({ volunteer_id: job.target, slack_channel: null, slack_thread_ts: null })
          .where(
            "id",
            "in",
            moved.map((m) => m.id),
          )
          .execute();
      await input.onMoved(tx, moved);
    }
    const next = rows.length ? Number(rows.at(-1)!.id) : last;
    await sql`
      UPDATE review_jobs SET last_conversation_id = ${next}, moved = moved + ${moved.length},
        already = already + ${already}, opted_out = opted_out + ${optedOut},
        locked_until = now() + make_interval(secs => ${REVIEW_JOB_LEASE_SECONDS})
      WHERE id = ${job.id}`.execute(tx);
    return { kind: rows.length < input.size ? "done" : "more", moved: moved.length };
  });
}

export interface ReviewJobSummary {
  moved: number;
  already: number;
  optedOut: number;
  /** How many conversations the job took from each previous volunteer (null: nobody had them). */
  from: { volunteerId: string | null; count: number }[];
}

/**
 * Ends a job as done (or failed, with why) and lets `onFinished` enqueue its summaries in the
 * same transaction; only the runner holding the lease can, so the summaries are posted once.
 */
export async function finishReviewJob(
  db: Database,
  input: {
    job: ReviewJob;
    error?: string;
    onFinished: (tx: Database, summary: ReviewJobSummary) => Promise<void>;
  },
): Promise<ReviewJobSummary | undefined> {
  const { job } = input;
  return db.transaction().execute(async (tx) => {
    const { rows } = await sql<{ moved: number; already: number; opted_out: number }>`
      UPDATE review_jobs SET state = ${input.error ? "failed" : "done"}, error = ${input.error ?? null},
        finished_at = now(), locked_until = NULL
      WHERE id = ${job.id} AND state = 'running' AND lease_token = ${job.token}
      RETURNING moved, already, opted_out`.execute(tx);
    if (!rows[0]) return undefined;
    const from = await tx
      .selectFrom("review_job_moves")
      .select(["from_volunteer", (eb) => eb.fn.countAll<number>().as("n")])
      .where("job_id", "=", job.id)
      .groupBy("from_volunteer")
      .orderBy("from_volunteer")
      .execute();
    const summary: ReviewJobSummary = {
      moved: rows[0].moved,
      already: rows[0].already,
      optedOut: rows[0].opted_out,
      from: from.map((r) => ({ volunteerId: r.from_volunteer, count: Number(r.n) })),
    };
    await input.onFinished(tx, summary);
    return summary;
  });
}
