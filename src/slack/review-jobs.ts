import { randomBytes } from "node:crypto";
import { campaignById } from "../campaigns/campaigns.ts";
import { loadConversation } from "../campaigns/conversations/conversations.ts";
import { conversationHistory } from "../campaigns/conversations/reassign.ts";
import { parseReviewFilter } from "../campaigns/review/filter.ts";
import {
  claimReviewJob,
  finishReviewJob,
  moveOneConversation,
  resolveReviewFilter,
  runReviewBatch,
  type MoveOneResult,
  type ReviewJob,
  type ReviewJobSummary,
} from "../campaigns/review/review.ts";
import { volunteerDm } from "../campaigns/volunteers.ts";
import type { Database } from "../db/database.ts";
import { enqueuePost } from "../outbox/outbox.ts";
import { conversationParent } from "./blocks/conversation.ts";
import { contactLabel, movedAwayText, movedManyAwayText, reviewJobSummaryText } from "./blocks/review.ts";
import { escapeText, truncate } from "./blocks/text.ts";
import { conversationView } from "./conversation-view.ts";
import type { SlackDeps } from "./deps.ts";
import { ensureVolunteer } from "./volunteers.ts";

/** Conversations per batch of a "reassign all matching" (one short transaction each). */
export const reviewTiming = { batchSize: 200 };

export const REASSIGNED_WHY = "Reassigned to you by an organizer.";

/**
 * The conversation's thread starts again in the new volunteer's DM: its parent, then the
 * history so far, through the outbox, in the caller's transaction. `key` makes the posts of one
 * move one pair, however often the move is retried.
 */
async function postThreadTo(
  db: Database,
  input: { campaignId: number; conversationId: number; to: string; key: string },
): Promise<void> {
  const detail = await loadConversation(db, input.conversationId);
  if (!detail) return;
  const channel = (await volunteerDm(db, input.campaignId, input.to)) ?? input.to;
  const parentKey = `conv-parent:${input.conversationId}:${input.key}`;
  await enqueuePost(db, {
    dedupeKey: parentKey,
    channel,
    payload: { ...conversationParent(conversationView(detail)) },
  });
  const history = await conversationHistory(db, input.conversationId);
  const lines = history.map((m) => `${m.direction === "in" ? "*Them:*" : "*Us:*"} ${escapeText(m.body)}`);
  await enqueuePost(db, {
    dedupeKey: `history:${input.conversationId}:${input.key}`,
    channel,
    payload: {
      text: truncate(`${REASSIGNED_WHY} The conversation so far:\n${lines.join("\n")}`, 3900),
      thread_ts: { fromOutbox: parentKey },
    },
  });
}

/**
 * Moves one conversation to `to` (a row's Reassign in the review): in one transaction the move,
 * the thread and history for the new volunteer, and a word to the previous one in their old
 * thread (or their DM when it never had one).
 */
export async function moveOne(
  services: SlackDeps,
  input: { organizer: string; campaignId: number; campaignTitle: string; conversationId: number; to: string },
): Promise<MoveOneResult> {
  await ensureVolunteer(services, input.campaignId, input.to);
  const key = `m${Date.now().toString(36)}`;
  const result = await moveOneConversation(services.db, {
    campaignId: input.campaignId,
    conversationId: input.conversationId,
    to: input.to,
    onMoved: async (tx, moved) => {
      await postThreadTo(tx, { campaignId: input.campaignId, conversationId: input.conversationId, to: input.to, key });
      if (!moved.from) return;
      const inThread = Boolean(moved.channel && moved.threadTs);
      const detail = inThread ? undefined : await loadConversation(tx, input.conversationId);
      await enqueuePost(tx, {
        dedupeKey: `moved-away:${input.conversationId}:${key}`,
        channel: inThread ? moved.channel! : ((await volunteerDm(tx, input.campaignId, moved.from)) ?? moved.from),
        payload: {
          text: movedAwayText({
            organizer: input.organizer,
            to: input.to,
            inThread,
            contact: detail
              ? contactLabel({
                  firstName: detail.contact.first_name,
                  lastName: detail.contact.last_name,
                  phone: detail.contact.phone,
                })
              : "a contact",
            campaignTitle: input.campaignTitle,
          }),
          ...(inThread ? { thread_ts: moved.threadTs! } : {}),
        },
      });
    },
  });
  services.outbox.kick();
  return result;
}

async function finish(services: SlackDeps, job: ReviewJob, title: string, label: string, error?: string) {
  await finishReviewJob(services.db, {
    job,
    error,
    onFinished: async (tx: Database, summary: ReviewJobSummary) => {
      for (const from of summary.from) {
        if (!from.volunteerId || from.volunteerId === job.target) continue;
        await enqueuePost(tx, {
          dedupeKey: `review-all:${job.id}:from:${from.volunteerId}`,
          channel: (await volunteerDm(tx, job.campaignId, from.volunteerId)) ?? from.volunteerId,
          payload: {
            text: movedManyAwayText({
              organizer: job.requestedBy,
              to: job.target,
              count: from.count,
              campaignTitle: title,
            }),
          },
        });
      }
      await enqueuePost(tx, {
        dedupeKey: `review-all:${job.id}:summary`,
        channel: job.requestedBy,
        payload: { text: reviewJobSummaryText({ campaignTitle: title, label, to: job.target, summary, error }) },
      });
    },
  });
  services.outbox.kick();
}

/** Runs one claimed job to its end, batch by batch; stops quietly if its lease passes to another runner. */
async function runJob(services: SlackDeps, job: ReviewJob): Promise<void> {
  const campaign = await campaignById(services.db, job.campaignId);
  if (!campaign) return;
  const parsed = parseReviewFilter(job.filter);
  const resolved = parsed.ok ? await resolveReviewFilter(services.db, campaign, parsed.filter) : parsed;
  if (!resolved.ok) return finish(services, job, campaign.title, job.filter, resolved.problem);
  const { filter } = resolved;
  await ensureVolunteer(services, campaign.id, job.target);
  for (;;) {
    const result = await runReviewBatch(services.db, {
      job,
      filter,
      size: reviewTiming.batchSize,
      onMoved: async (tx, moved) => {
        for (const m of moved)
          await postThreadTo(tx, { campaignId: campaign.id, conversationId: m.id, to: job.target, key: `j${job.id}` });
      },
    });
    if (result.kind === "lost") return;
    services.outbox.kick();
    if (result.kind === "done") return finish(services, job, campaign.title, filter.label);
  }
}

/**
 * Carries on every "reassign all matching" that is running and not leased (a crash, a restart,
 * or a runner stopped by an error leaves its lease to run out), or runs one job just created by
 * this instance. Returns how many jobs it ran.
 */
export async function runReviewJobs(services: SlackDeps, only?: { jobId: number; token: string }): Promise<number> {
  const token = only?.token ?? randomBytes(8).toString("hex");
  let ran = 0;
  const seen = new Set<number>();
  for (;;) {
    const job = await claimReviewJob(services.db, token, only?.jobId);
    if (!job || seen.has(job.id)) return ran;
    seen.add(job.id);
    await runJob(services, job);
    ran += 1;
    if (only) return ran;
  }
}
