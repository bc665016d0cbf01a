import { sql } from "kysely";
import type { Database } from "../db/database.ts";
import { countOf, keyedCounts, readCampaignCounts } from "./counters.ts";
import { surveyTallies, talliesOf, type QuestionTally } from "./surveys/surveys.ts";
import { roundStats, type RoundStats } from "./followups/rounds.ts";

export interface VolunteerStats {
  userId: string;
  sent: number;
  replies: number;
  optOuts: number;
  tagged: number;
}

export interface CampaignStats {
  contacts: number;
  handedOut: number;
  sent: number;
  delivered: number;
  failed: number;
  failedByCode: { code: number | null; count: number }[];
  /** Inbound texts that are not opt-outs or opt-ins (messages.intent, 0023). */
  replies: number;
  /** Contacts with such a reply (conversations.replied_at). */
  repliedContacts: number;
  /** Contacts who replied ÷ contacts texted: an opt-out is not a reply. */
  replyRate: number;
  /** Contacts whose number is on the opt-out list. */
  optOuts: number;
  waiting: number;
  oldestWaitSince: Date | null;
  tags: { tag: string; count: number }[];
  /** Per volunteer; optOuts counts the opt-out texts in the conversations they have. */
  volunteers: VolunteerStats[];
  /** Each survey question's current answers; its share of contacts answering is `answered / sent`. */
  survey: QuestionTally[];
  /** Each follow-up round: contacts covered, follow-ups sent, contacts who replied after theirs. */
  rounds: RoundStats[];
}

/**
 * Every figure from the summary counters (counters.ts), which triggers keep in the transaction
 * of each change, so they agree exactly with the rows without counting them: one index range
 * read of the counters, the oldest waiting conversation from its index, the campaign's survey
 * questions and the follow-up rounds. `exactCampaignStats` counts the rows, for comparison.
 */
export async function campaignStats(db: Database, campaignId: number): Promise<CampaignStats> {
  const [counts, oldest, campaign, rounds] = await Promise.all([
    readCampaignCounts(db, campaignId),
    sql<{ oldest: Date | null }>`
      SELECT min(waiting_since) AS oldest FROM conversations
      WHERE campaign_id = ${campaignId} AND waiting_since IS NOT NULL`.execute(db),
    db.selectFrom("campaigns").select("survey_questions").where("id", "=", campaignId).executeTakeFirst(),
    roundStats(db, campaignId),
  ]);
  const sent = countOf(counts, "sent");
  const replied = countOf(counts, "replied");
  const byCount = <T extends { count: number }>(a: T, b: T) => b.count - a.count;
  const keyed = (name: string) => new Map(keyedCounts(counts, name));
  const [vSent, vConv, vReplies, vOptOuts, vTagged] = ["v_sent", "v_conv", "v_replies", "v_opt_outs", "v_tagged"].map(
    keyed,
  );
  return {
    contacts: countOf(counts, "contacts"),
    handedOut: countOf(counts, "handed_out"),
    sent,
    delivered: countOf(counts, "delivered"),
    failed: countOf(counts, "failed"),
    failedByCode: keyedCounts(counts, "failed_code")
      .map(([code, count]) => ({ code: code === "" ? null : Number(code), count }))
      .sort((a, b) => byCount(a, b) || (a.code ?? -1) - (b.code ?? -1)),
    replies: countOf(counts, "replies"),
    repliedContacts: replied,
    replyRate: sent ? replied / sent : 0,
    optOuts: countOf(counts, "opt_outs"),
    waiting: countOf(counts, "waiting"),
    oldestWaitSince: oldest.rows[0]?.oldest ?? null,
    tags: keyedCounts(counts, "tag")
      .map(([tag, count]) => ({ tag, count }))
      .sort((a, b) => byCount(a, b) || (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0)),
    volunteers: mergeVolunteers(
      [...vSent!].map(([user_id, sent]) => ({ user_id, sent })),
      [...vConv!.keys()].map((user_id) => ({
        user_id,
        replies: vReplies!.get(user_id) ?? 0,
        opt_outs: vOptOuts!.get(user_id) ?? 0,
        tagged: vTagged!.get(user_id) ?? 0,
      })),
    ),
    survey: talliesOf(
      campaign?.survey_questions ?? [],
      keyedCounts(counts, "answer").map(([key, count]) => {
        const colon = key.indexOf(":");
        return { question_id: Number(key.slice(0, colon)), answer: key.slice(colon + 1), count };
      }),
    ),
    rounds,
  };
}

/** An inbound text that counts as a reply: not an opt-out or opt-in (NULL: not classified yet, a message). */
const REPLY = sql`coalesce(intent, 'message') NOT IN ('opt_out', 'opt_in')`;

/**
 * The same figures counted from the rows, a handful of aggregate queries over the campaign's
 * rows (seconds at a million contacts): what the counters must always equal.
 */
export async function exactCampaignStats(db: Database, campaignId: number): Promise<CampaignStats> {
  const [contacts, messages, failedByCode, conversations, tags, sentBy, repliesBy, survey, rounds] = await Promise.all([
    sql<{ contacts: number; handed_out: number; opt_outs: number }>`
      SELECT count(*)::int AS contacts,
             count(*) FILTER (WHERE c.status IN ('held', 'sent', 'failed'))::int AS handed_out,
             count(*) FILTER (WHERE EXISTS (SELECT 1 FROM opt_outs o WHERE o.phone = c.phone))::int AS opt_outs
      FROM contacts c WHERE c.campaign_id = ${campaignId}`.execute(db),
    sql<{ sent: number; delivered: number; failed: number; replies: number }>`
      SELECT count(*) FILTER (WHERE kind = 'opening')::int AS sent,
             count(*) FILTER (WHERE kind = 'opening' AND status IN ('delivered', 'read'))::int AS delivered,
             count(*) FILTER (WHERE kind = 'opening' AND status IN ('failed', 'undelivered'))::int AS failed,
             count(*) FILTER (WHERE direction = 'in' AND ${REPLY})::int AS replies
      FROM messages WHERE campaign_id = ${campaignId}`.execute(db),
    sql<{ code: number | null; count: number }>`
      SELECT error_code AS code, count(*)::int AS count FROM messages
      WHERE campaign_id = ${campaignId} AND kind = 'opening' AND status IN ('failed', 'undelivered')
      GROUP BY error_code ORDER BY count DESC`.execute(db),
    sql<{ replied: number; waiting: number; oldest: Date | null }>`
      SELECT count(*) FILTER (WHERE replied_at IS NOT NULL)::int AS replied,
             count(*) FILTER (WHERE waiting_since IS NOT NULL)::int AS waiting,
             min(waiting_since) AS oldest
      FROM conversations WHERE campaign_id = ${campaignId}`.execute(db),
    sql<{ tag: string; count: number }>`
      SELECT current_tag AS tag, count(*)::int AS count FROM conversations
      WHERE campaign_id = ${campaignId} AND current_tag IS NOT NULL
      GROUP BY current_tag ORDER BY count DESC, tag`.execute(db),
    sql<{ user_id: string; sent: number }>`
      SELECT sent_by AS user_id, count(*)::int AS sent FROM messages
      WHERE campaign_id = ${campaignId} AND kind = 'opening' AND sent_by IS NOT NULL GROUP BY sent_by`.execute(db),
    sql<{ user_id: string; replies: number; opt_outs: number; tagged: number }>`
      SELECT v.volunteer_id AS user_id, count(m.id) FILTER (WHERE ${REPLY})::int AS replies,
             count(m.id) FILTER (WHERE m.intent = 'opt_out')::int AS opt_outs,
             count(DISTINCT v.id) FILTER (WHERE v.current_tag IS NOT NULL)::int AS tagged
      FROM conversations v LEFT JOIN messages m ON m.conversation_id = v.id AND m.direction = 'in'
      WHERE v.campaign_id = ${campaignId} AND v.volunteer_id IS NOT NULL GROUP BY v.volunteer_id`.execute(db),
    db
      .selectFrom("campaigns")
      .select("survey_questions")
      .where("id", "=", campaignId)
      .executeTakeFirst()
      .then((row) => surveyTallies(db, campaignId, row?.survey_questions ?? [])),
    roundStats(db, campaignId),
  ]);
  const c = contacts.rows[0]!;
  const m = messages.rows[0]!;
  const v = conversations.rows[0]!;
  return {
    contacts: c.contacts,
    handedOut: c.handed_out,
    sent: m.sent,
    delivered: m.delivered,
    failed: m.failed,
    failedByCode: failedByCode.rows,
    replies: m.replies,
    repliedContacts: v.replied,
    replyRate: m.sent ? v.replied / m.sent : 0,
    optOuts: c.opt_outs,
    waiting: v.waiting,
    oldestWaitSince: v.oldest,
    tags: tags.rows,
    volunteers: mergeVolunteers(sentBy.rows, repliesBy.rows),
    survey,
    rounds,
  };
}

/** Sends are counted by who pressed Send; replies and tags by who has the conversation now. */
function mergeVolunteers(
  sent: { user_id: string; sent: number }[],
  replies: { user_id: string; replies: number; opt_outs: number; tagged: number }[],
): CampaignStats["volunteers"] {
  const byUser = new Map<string, VolunteerStats>();
  const row = (userId: string) =>
    byUser.get(userId) ?? byUser.set(userId, { userId, sent: 0, replies: 0, optOuts: 0, tagged: 0 }).get(userId)!;
  for (const r of sent) row(r.user_id).sent = r.sent;
  for (const r of replies) Object.assign(row(r.user_id), { replies: r.replies, optOuts: r.opt_outs, tagged: r.tagged });
  return [...byUser.values()].sort((a, b) => b.sent - a.sent || a.userId.localeCompare(b.userId));
}
