import { sql } from "kysely";
import type { Database } from "../db/database.ts";
import type { CampaignState, SurveyQuestion } from "../db/schema.ts";
import { activeQuestions } from "./surveys/survey-input.ts";
import { surveyTallies, type QuestionTally } from "./surveys/surveys.ts";

export interface CampaignSummary {
  id: number;
  slug: string;
  title: string;
  state: CampaignState;
  contacts: number;
  sent: number;
  replied: number;
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
      (SELECT count(*)::int FROM contacts c WHERE c.campaign_id = k.id) AS contacts,
      (SELECT count(*)::int FROM messages m WHERE m.campaign_id = k.id AND m.kind = 'opening') AS sent,
      (SELECT count(*)::int FROM conversations v
        WHERE v.campaign_id = k.id AND v.last_inbound_at IS NOT NULL) AS replied,
      (SELECT count(*)::int FROM contacts c JOIN opt_outs o ON o.phone = c.phone
        WHERE c.campaign_id = k.id) AS "optOuts",
      (SELECT count(*)::int FROM conversations v WHERE v.campaign_id = k.id AND v.waiting_since IS NOT NULL) AS waiting
    FROM campaigns k WHERE k.state <> 'archived'
    ORDER BY CASE k.state WHEN 'active' THEN 0 WHEN 'paused' THEN 1 ELSE 2 END, k.created_at DESC
    LIMIT ${limit}`.execute(db);
  const summaries = await Promise.all(
    rows.map(async ({ survey_questions: questions, ...row }): Promise<CampaignSummary> => {
      const first = activeQuestions(questions)[0];
      if (!first) return row;
      const [tally] = await surveyTallies(db, row.id, questions, first.id);
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
