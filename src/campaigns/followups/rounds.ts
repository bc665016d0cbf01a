/**
 * Follow-up rounds: who an audience covers, creating a round, and each round's figures.
 * No Slack here. See docs/user-guide.md ("Follow-up rounds").
 */
import { sql, type RawBuilder } from "kysely";
import type { Database } from "../../db/database.ts";
import type { Campaign } from "../../db/schema.ts";
import { audienceLabel, type Audience } from "./audience.ts";
import { forgetFollowupZoneSets } from "./hand-out.ts";

/** An audience checked against the campaign: names resolved to what is stored (tag, question id). */
export type ResolvedAudience =
  | { kind: "no-reply" }
  | { kind: "tag"; tag: string }
  | { kind: "answer"; questionId: number; question: string; answer: string };

export type ResolveResult = { ok: true; audience: ResolvedAudience; label: string } | { ok: false; problem: string };

const quoted = (items: readonly string[]) => items.map((item) => `"${item}"`).join(", ");
const same = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

/**
 * Resolves the names an organizer typed (case does not matter): an outcome tag of the script, or
 * one in use on a conversation; a survey question (also one removed from the survey, whose answers
 * stay) and one of its answers. A name that matches nothing says what there is.
 */
export async function resolveAudience(db: Database, campaign: Campaign, audience: Audience): Promise<ResolveResult> {
  if (audience.kind === "no-reply") return { ok: true, audience, label: audienceLabel(audience) };
  if (audience.kind === "tag") {
    let tag = (campaign.outcome_tags ?? []).find((known) => same(known, audience.tag));
    if (!tag) {
      const used = await db
        .selectFrom("conversations")
        .select("current_tag")
        .where("campaign_id", "=", campaign.id)
        .where(sql<boolean>`lower(current_tag) = lower(${audience.tag.trim()})`)
        .limit(1)
        .executeTakeFirst();
      tag = used?.current_tag ?? undefined;
    }
    if (!tag) {
      const tags = campaign.outcome_tags ?? [];
      return {
        ok: false,
        problem:
          `*${campaign.title}* has no outcome tag "${audience.tag}". ` +
          (tags.length ? `Its tags are ${quoted(tags)}.` : "It has no outcome tags: see `/campaign script`."),
      };
    }
    const resolved = { kind: "tag" as const, tag };
    return { ok: true, audience: resolved, label: audienceLabel(resolved) };
  }
  const questions = campaign.survey_questions ?? [];
  const question = questions.find((q) => same(q.label, audience.question));
  if (!question) {
    return {
      ok: false,
      problem:
        `*${campaign.title}* has no survey question "${audience.question}". ` +
        (questions.length
          ? `Its questions are ${quoted(questions.map((q) => q.label))}.`
          : "It has no survey questions: see `/campaign script`."),
    };
  }
  const answer = question.answers.find((a) => same(a, audience.answer));
  if (!answer) {
    return {
      ok: false,
      problem:
        `The survey question "${question.label}" has no answer "${audience.answer}". ` +
        `Its answers are ${quoted(question.answers)}.`,
    };
  }
  const resolved = { kind: "answer" as const, questionId: question.id, question: question.label, answer };
  return { ok: true, audience: resolved, label: audienceLabel(resolved) };
}

/**
 * The conversations a round covers: contacts of this campaign whose opening was sent and did not
 * fail, whose number is not opted out (nor the contact failed or opted out), and who match the
 * audience. `v` is the conversation, `c` the contact.
 */
function covered(campaignId: number, audience: ResolvedAudience): RawBuilder<unknown> {
  const match =
    audience.kind === "no-reply"
      ? sql`v.last_inbound_at IS NULL
            AND NOT EXISTS (SELECT 1 FROM messages i WHERE i.conversation_id = v.id AND i.direction = 'in')`
      : audience.kind === "tag"
        ? sql`v.current_tag = ${audience.tag}`
        : sql`EXISTS (SELECT 1 FROM survey_answers a
                      WHERE a.conversation_id = v.id AND a.question_id = ${audience.questionId}
                        AND a.answer = ${audience.answer} AND a.replaced_at IS NULL)`;
  return sql`
    FROM conversations v
    JOIN contacts c ON c.id = v.contact_id
    JOIN messages o ON o.campaign_id = v.campaign_id AND o.contact_id = v.contact_id AND o.kind = 'opening'
    WHERE v.campaign_id = ${campaignId}
      AND o.status NOT IN ('failed', 'undelivered')
      AND c.status NOT IN ('failed', 'opted_out')
      AND NOT EXISTS (SELECT 1 FROM opt_outs x WHERE x.phone = c.phone)
      AND ${match}`;
}

/** Contacts of the campaign who got an opening message (failed or not). */
export async function textedContacts(db: Database, campaignId: number): Promise<number> {
  const row = await db
    .selectFrom("messages")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("campaign_id", "=", campaignId)
    .where("kind", "=", "opening")
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** How many contacts a round for this audience would cover now. */
export async function countAudience(db: Database, campaignId: number, audience: ResolvedAudience): Promise<number> {
  const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n ${covered(campaignId, audience)}`.execute(db);
  return rows[0]?.n ?? 0;
}

/** The number the next round of this campaign would get. */
export async function nextRoundNumber(db: Database, campaignId: number): Promise<number> {
  const row = await db
    .selectFrom("followup_rounds")
    .select((eb) => eb.fn.max("round").as("round"))
    .where("campaign_id", "=", campaignId)
    .executeTakeFirst();
  return Number(row?.round ?? 0) + 1;
}

export type CreateRoundResult =
  { ok: true; round: number; roundId: number; covered: number } | { ok: false; reason: "gone" | "archived" | "nobody" };

class NobodyCovered extends Error {}

/**
 * Creates the next round and its follow-ups in one transaction. The campaign's row lock numbers
 * rounds one at a time (UNIQUE (campaign_id, round) is the backstop); a round that would cover
 * nobody is not created at all.
 */
export async function createRound(
  db: Database,
  input: { campaignId: number; audience: ResolvedAudience; label: string; message: string; createdBy: string },
): Promise<CreateRoundResult> {
  try {
    const created = await db.transaction().execute(async (tx): Promise<CreateRoundResult> => {
      const campaign = await tx
        .selectFrom("campaigns")
        .select("state")
        .where("id", "=", input.campaignId)
        .forUpdate()
        .executeTakeFirst();
      if (!campaign) return { ok: false, reason: "gone" };
      if (campaign.state === "archived") return { ok: false, reason: "archived" };
      const number = await nextRoundNumber(tx, input.campaignId);
      const round = await tx
        .insertInto("followup_rounds")
        .values({
          campaign_id: input.campaignId,
          round: number,
          audience: input.label,
          message: input.message,
          covered: 0,
          created_by: input.createdBy,
        })
        .returning("id")
        .executeTakeFirstOrThrow();
      const inserted = await sql`
        INSERT INTO followups (round_id, campaign_id, contact_id, conversation_id)
        SELECT ${round.id}, v.campaign_id, v.contact_id, v.id ${covered(input.campaignId, input.audience)}
        ORDER BY v.id`.execute(tx);
      const count = Number(inserted.numAffectedRows ?? 0);
      if (count === 0) throw new NobodyCovered();
      await tx.updateTable("followup_rounds").set({ covered: count }).where("id", "=", round.id).execute();
      return { ok: true, round: number, roundId: round.id, covered: count };
    });
    // This instance's next cards see the round at once; other instances within two seconds.
    forgetFollowupZoneSets(db, input.campaignId);
    return created;
  } catch (error) {
    if (error instanceof NobodyCovered) return { ok: false, reason: "nobody" };
    throw error;
  }
}

export interface RoundStats {
  round: number;
  audience: string;
  covered: number;
  /** Follow-ups stored to be sent (failed ones included, as openings count). */
  sent: number;
  /** Contacts who texted back after their follow-up. */
  replies: number;
}

/** Each round of the campaign with its figures, first round first. */
export async function roundStats(db: Database, campaignId: number): Promise<RoundStats[]> {
  const { rows } = await sql<RoundStats>`
    SELECT r.round, r.audience, r.covered,
           (SELECT count(*) FROM messages m WHERE m.round_id = r.id AND m.kind = 'followup')::int AS sent,
           (SELECT count(*) FROM messages m
            WHERE m.round_id = r.id AND m.kind = 'followup'
              AND EXISTS (SELECT 1 FROM messages i
                          WHERE i.conversation_id = m.conversation_id AND i.direction = 'in' AND i.id > m.id)
           )::int AS replies
    FROM followup_rounds r WHERE r.campaign_id = ${campaignId}
    ORDER BY r.round`.execute(db);
  return rows;
}
