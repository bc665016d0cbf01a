import { sql } from "kysely";
import type { Database } from "../db/database.ts";
import type { CampaignState, SurveyQuestion } from "../db/schema.ts";
import { activeQuestions } from "./surveys/survey-input.ts";
import { keyedCounts, readCampaignCounts } from "./counters.ts";
import { talliesOf, type QuestionTally } from "./surveys/surveys.ts";

export interface CampaignSummary {
  id: number;
  slug: string;
  title: string;
  state: CampaignState;
  contacts: number;
  sent: number;
  /** Contacts who replied (not with an opt-out), and their texts (0023). */
  replied: number;
  replies: number;
  optOuts: number;
  waiting: number;
  /** The tally of the survey's first question, when the campaign has a survey. */
  firstQuestion?: QuestionTally;
}

/** One row per campaign (most recent first), for the organizer's App Home. */
export async function campaignSummaries(
  db: Database,
  limit: number,
): Promise<{ rows: CampaignSummary[]; total: number }> {
  const total = await db
    .selectFrom("campaigns")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("state", "<>", "archived")
    .executeTakeFirstOrThrow();
  const { rows } = await sql<CampaignSummary & { survey_questions: SurveyQuestion[] }>`
    SELECT k.id, k.slug, k.title, k.state, k.survey_questions,
      coalesce(n.contacts, 0)::int AS contacts, coalesce(n.sent, 0)::int AS sent,
      coalesce(n.replied, 0)::int AS replied, coalesce(n.replies, 0)::int AS replies,
      coalesce(n.opt_outs, 0)::int AS "optOuts",
      coalesce(n.waiting, 0)::int AS waiting
    FROM campaigns k
    -- The summary counters (counters.ts): one index range per campaign, not a count of its rows.
    LEFT JOIN LATERAL (
      SELECT sum(n) FILTER (WHERE name = 'contacts') AS contacts, sum(n) FILTER (WHERE name = 'sent') AS sent,
             sum(n) FILTER (WHERE name = 'replied') AS replied, sum(n) FILTER (WHERE name = 'replies') AS replies,
             sum(n) FILTER (WHERE name = 'opt_outs') AS opt_outs, sum(n) FILTER (WHERE name = 'waiting') AS waiting
      FROM campaign_counts
      WHERE campaign_id = k.id AND name IN ('contacts', 'sent', 'replied', 'replies', 'opt_outs', 'waiting')
    ) n ON true
    WHERE k.state <> 'archived'
    ORDER BY CASE k.state WHEN 'active' THEN 0 WHEN 'paused' THEN 1 ELSE 2 END, k.created_at DESC
    LIMIT ${limit}`.execute(db);
  const summaries = await Promise.all(
    rows.map(async ({ survey_questions: questions, ...row }): Promise<CampaignSummary> => {
      const first = activeQuestions(questions)[0];
      if (!first) return row;
      const answers = await readCampaignCounts(db, row.id, ["answer"]);
      const prefix = `${first.id}:`;
      const [tally] = talliesOf(
        questions,
        keyedCounts(answers, "answer")
          .filter(([key]) => key.startsWith(prefix))
          .map(([key, count]) => ({ question_id: first.id, answer: key.slice(prefix.length), count })),
        first.id,
      );
      return tally ? { ...row, firstQuestion: tally } : row;
    }),
  );
  return { rows: summaries, total: total.n };
}

export interface VolunteerHome {
  campaigns: { id: number; slug: string; title: string }[];
  waiting: {
    conversationId: number;
    campaignTitle: string;
    firstName: string | null;
    since: Date;
    channel: string | null;
    threadTs: string | null;
  }[];
  sentToday: number;
  leaderboard: { userId: string; sent: number }[];
}

/** A volunteer's campaigns, conversations waiting on them, today's count and the leaderboard. */
export async function volunteerHome(db: Database, userId: string, since: Date): Promise<VolunteerHome> {
  const campaigns = await db
    .selectFrom("campaigns")
    .select(["id", "slug", "title"])
    .where("state", "=", "active")
    .orderBy("created_at", "desc")
    .limit(20)
    .execute();
  const waiting = await db
    .selectFrom("conversations as v")
    .innerJoin("contacts as c", "c.id", "v.contact_id")
    .innerJoin("campaigns as k", "k.id", "v.campaign_id")
    .select([
      "v.id as conversationId",
      "k.title as campaignTitle",
      "c.first_name as firstName",
      "v.waiting_since as since",
      "v.slack_channel as channel",
      "v.slack_thread_ts as threadTs",
    ])
    .where("v.volunteer_id", "=", userId)
    .where("v.waiting_since", "is not", null)
    .orderBy("v.waiting_since")
    .limit(10)
    .execute();
  const today = await db
    .selectFrom("messages")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("sent_by", "=", userId)
    .where("kind", "=", "opening")
    .where("created_at", ">=", since)
    .executeTakeFirstOrThrow();
  const leaderboard = await db
    .selectFrom("messages")
    .select(["sent_by as userId", (eb) => eb.fn.countAll<number>().as("sent")])
    .where("kind", "=", "opening")
    .where("created_at", ">=", since)
    .where("sent_by", "is not", null)
    .groupBy("sent_by")
    .orderBy("sent", "desc")
    .limit(5)
    .execute();
  return {
    campaigns,
    waiting: waiting.map((w) => ({ ...w, since: w.since! })),
    sentToday: today.n,
    leaderboard: leaderboard.map((l) => ({ userId: l.userId!, sent: Number(l.sent) })),
  };
}
