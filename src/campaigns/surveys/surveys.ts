/**
 * Survey answers and notes on a conversation: recording them with their history, and reading
 * what the thread parent, stats and the export show. No Slack here.
 */
import { sql } from "kysely";
import type { Database } from "../../db/database.ts";
import type { SurveyQuestion } from "../../db/schema.ts";
import { activeQuestions, type CannedAnswer } from "./survey-input.ts";

/** The current answer per question id. */
export type CurrentAnswers = Map<number, string>;

/** Runs `work` in the caller's transaction, or in one of its own. */
const inTransaction = <T>(db: Database, work: (tx: Database) => Promise<T>) =>
  db.isTransaction ? work(db) : db.transaction().execute(work);

/**
 * Records an answer: the current one (if any) is marked replaced and the new one added, so the
 * history stays. The conversation's row lock orders two choices made at once; choosing the
 * answer already current changes nothing (a double click is one choice).
 */
export async function recordAnswer(
  db: Database,
  input: {
    campaignId: number;
    conversationId: number;
    questionId: number;
    answer: string;
    userId: string;
    source: "button" | "canned";
  },
): Promise<"recorded" | "unchanged"> {
  return inTransaction(db, async (tx) => {
    await tx.selectFrom("conversations").select("id").where("id", "=", input.conversationId).forUpdate().execute();
    const current = await tx
      .selectFrom("survey_answers")
      .select(["id", "answer"])
      .where("conversation_id", "=", input.conversationId)
      .where("question_id", "=", input.questionId)
      .where("replaced_at", "is", null)
      .executeTakeFirst();
    if (current?.answer === input.answer) return "unchanged";
    if (current)
      await tx
        .updateTable("survey_answers")
        .set({ replaced_at: sql`now()` })
        .where("id", "=", current.id)
        .execute();
    await tx
      .insertInto("survey_answers")
      .values({
        campaign_id: input.campaignId,
        conversation_id: input.conversationId,
        question_id: input.questionId,
        answer: input.answer,
        user_id: input.userId,
        source: input.source,
      })
      .execute();
    return "recorded";
  });
}

/**
 * The answers a canned reply records when sent, against the campaign's questions as they are
 * now: one no longer asked, or an answer no longer offered, is skipped. Returns how many changed.
 */
export async function recordCannedAnswers(
  db: Database,
  input: {
    campaignId: number;
    conversationId: number;
    questions: readonly SurveyQuestion[];
    answers: readonly CannedAnswer[];
    userId: string;
  },
): Promise<number> {
  const asked = activeQuestions(input.questions);
  let changed = 0;
  for (const given of input.answers) {
    const question = asked.find((q) => q.label.toLowerCase() === given.question.toLowerCase());
    if (!question || !question.answers.includes(given.answer)) continue;
    const result = await recordAnswer(db, {
      campaignId: input.campaignId,
      conversationId: input.conversationId,
      questionId: question.id,
      answer: given.answer,
      userId: input.userId,
      source: "canned",
    });
    if (result === "recorded") changed += 1;
  }
  return changed;
}

export async function currentAnswers(db: Database, conversationId: number): Promise<CurrentAnswers> {
  const rows = await db
    .selectFrom("survey_answers")
    .select(["question_id", "answer"])
    .where("conversation_id", "=", conversationId)
    .where("replaced_at", "is", null)
    .execute();
  return new Map(rows.map((row) => [row.question_id, row.answer]));
}

/** Keeps a note with its conversation; the body is stored trimmed. */
export async function addNote(
  db: Database,
  input: { conversationId: number; userId: string; body: string },
): Promise<{ id: number; createdAt: Date }> {
  const row = await db
    .insertInto("conversation_notes")
    .values({ conversation_id: input.conversationId, user_id: input.userId, body: input.body.trim() })
    .returning(["id", "created_at"])
    .executeTakeFirstOrThrow();
  return { id: row.id, createdAt: row.created_at };
}

export interface QuestionTally {
  questionId: number;
  label: string;
  removed: boolean;
  /** Conversations with a current answer to it. */
  answered: number;
  /** Every answer offered (in order) with its count, then any answer no longer offered that still counts. */
  answers: { answer: string; count: number; offered: boolean }[];
}

/**
 * Current answers counted by question and answer in one pass over the tally index. Every active
 * question is listed (with zeros); a removed question only while answers to it are kept.
 */
export async function surveyTallies(
  db: Database,
  campaignId: number,
  questions: readonly SurveyQuestion[],
  only?: number,
): Promise<QuestionTally[]> {
  if (questions.length === 0) return [];
  const { rows } = await sql<{ question_id: number; answer: string; count: number }>`
    SELECT question_id, answer, count(*)::int AS count FROM survey_answers
    WHERE campaign_id = ${campaignId} AND replaced_at IS NULL
      ${only === undefined ? sql`` : sql`AND question_id = ${only}`}
    GROUP BY question_id, answer`.execute(db);
  return talliesOf(questions, rows, only);
}

/** The tallies from current answers counted by question and answer (from the rows or the counters). */
export function talliesOf(
  questions: readonly SurveyQuestion[],
  rows: readonly { question_id: number; answer: string; count: number }[],
  only?: number,
): QuestionTally[] {
  const counted = new Map<number, Map<string, number>>();
  for (const row of rows) {
    const answers = counted.get(row.question_id) ?? new Map<string, number>();
    answers.set(row.answer, row.count);
    counted.set(row.question_id, answers);
  }
  return questions
    .filter((q) => (only === undefined || q.id === only) && (!q.removed || counted.has(q.id)))
    .map((q) => {
      const counts = counted.get(q.id) ?? new Map<string, number>();
      const offered = q.answers.map((answer) => ({ answer, count: counts.get(answer) ?? 0, offered: true }));
      const dropped = [...counts]
        .filter(([answer]) => !q.answers.includes(answer))
        .map(([answer, count]) => ({ answer, count, offered: false }));
      return {
        questionId: q.id,
        label: q.label,
        removed: Boolean(q.removed),
        answered: [...counts.values()].reduce((sum, n) => sum + n, 0),
        answers: [...offered, ...dropped],
      };
    });
}

/** The questions the export gives a column: every active one, and removed ones whose answers are kept. */
export async function exportedQuestions(
  db: Database,
  campaignId: number,
  questions: readonly SurveyQuestion[],
): Promise<SurveyQuestion[]> {
  const removed = questions.filter((q) => q.removed).map((q) => q.id);
  const kept = new Set<number>();
  for (const id of removed) {
    const row = await db
      .selectFrom("survey_answers")
      .select("id")
      .where("campaign_id", "=", campaignId)
      .where("question_id", "=", id)
      .where("replaced_at", "is", null)
      .limit(1)
      .executeTakeFirst();
    if (row) kept.add(id);
  }
  return questions.filter((q) => !q.removed || kept.has(q.id));
}
