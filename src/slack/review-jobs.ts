import { randomBytes } from "node:crypto";
import { campaignById } from "../campaigns/campaigns.ts";
import { loadConversation } from "../campaigns/conversations/conversations.ts";
import { parseReviewFilter } from "../campaigns/review/filter.ts";
import {
  claimReviewJob,
  finishReviewJob,
  moveOneConversation,
  resolveReviewFilter,
  reviewJobPlan,
  runReviewBatch,
  type ResolvedReviewFilter,
  type MoveOneResult,
  type ReviewJob,
  type ReviewJobSummary,
} from "../campaigns/review/review.ts";
import { volunteerDm } from "../campaigns/volunteers.ts";
import type { Database } from "../db/database.ts";
import { enqueuePost } from "../outbox/outbox.ts";
import { contactLabel, movedAwayText, movedManyAwayText, reviewJobSummaryText } from "./blocks/review.ts";
import { movedNote, moveIntroText } from "./blocks/moves.ts";
import type { SlackDeps } from "./deps.ts";
import { REASSIGNED_WHY } from "./handoff.ts";
import { postMovedThreads } from "./moves.ts";
import { ensureVolunteer } from "./volunteers.ts";

/** Conversations per batch of a "reassign all matching" (one short transaction each). */
export const reviewTiming = { batchSize: 200 };

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
      await postMovedThreads(tx, {
        campaignId: input.campaignId,
        to: input.to,
        moved: [{ id: input.conversationId, ...moved }],
        key,
        why: REASSIGNED_WHY,
        note: () => movedNote({ to: input.to, by: input.organizer }),
        intro: {
          dedupeKey: `move-intro:${input.campaignId}:${input.to}:${key}`,
          text: moveIntroText({
            count: 1,
            from: [moved.from],
            campaignTitle: input.campaignTitle,
            by: input.organizer,
            order: "newest activity first",
          }),
        },
      });
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

const introKey = (job: ReviewJob) => `review-all:${job.id}:intro`;

/**
 * The target's one introduction to a job's conversations, posted before the first batch's
 * threads (so first in their DM): how many, from whom. Once per job (its dedupe key), however
 * often the job is carried on; nothing when nothing will move.
 */
async function introduceJob(services: SlackDeps, job: ReviewJob, title: string, filter: ResolvedReviewFilter) {
  const plan = await reviewJobPlan(services.db, { campaignId: job.campaignId, filter, target: job.target });
  const count = plan.reduce((sum, p) => sum + p.count, 0);
  if (!count) return;
  const channel = (await volunteerDm(services.db, job.campaignId, job.target)) ?? job.target;
  await enqueuePost(services.db, {
    dedupeKey: introKey(job),
    channel,
    payload: {
      text: moveIntroText({
        count,
        from: plan.map((p) => p.volunteerId),
        campaignTitle: title,
        by: job.requestedBy,
        order: "oldest first",
        filterLabel: filter.label,
      }),
    },
  });
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
  if (job.moved === 0) await introduceJob(services, job, campaign.title, filter);
  for (;;) {
    const result = await runReviewBatch(services.db, {
      job,
      filter,
      size: reviewTiming.batchSize,
      onMoved: (tx, moved) =>
        postMovedThreads(tx, {
          campaignId: campaign.id,
          to: job.target,
          moved,
          key: `j${job.id}`,
          why: REASSIGNED_WHY,
          note: () => movedNote({ to: job.target, by: job.requestedBy }),
          after: introKey(job),
        }),
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
