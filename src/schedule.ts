import { releaseIdleHolds } from "./campaigns/sending/assignment.ts";
import { compactCampaignCounts } from "./campaigns/counters.ts";
import type { Deliveries } from "./campaigns/sending/outgoing.ts";
import type { Job } from "./jobs/scheduler.ts";
import { pruneRuns } from "./jobs/run-once.ts";
import { prunePosted } from "./outbox/outbox.ts";
import { pruneSlackEvents } from "./campaigns/slack-events.ts";
import { pruneEarlyStatuses } from "./campaigns/messages/status.ts";
import { pruneHelpReplies } from "./campaigns/opt-outs/replies.ts";
import { postUnknownSummaries, processLeftoverInbound, type InboundDeps } from "./relay/inbound.ts";
import type { SlackDeps } from "./slack/deps.ts";
import { autoReleaseStale, postKickoffs, postRecaps, postReminders } from "./slack/shift-posts.ts";
import { runReviewJobs } from "./slack/review-jobs.ts";

/** A held contact goes back to the pool after this long without the volunteer acting. */
export const IDLE_HOLD_MINUTES = 15;

/**
 * Every scheduled job of the app and what it runs; each runs once per slot across all
 * instances (jobs/run-once.ts). Each one also repairs what a crash may have left behind, so
 * none of them needs memory of an earlier run.
 */
export function appJobs(deps: { slack: SlackDeps; inbound: InboundDeps; deliveries: Deliveries }): Job[] {
  const { slack, inbound, deliveries } = deps;
  return [
    {
      name: "release-idle-holds",
      schedule: "0 * * * * *",
      everySeconds: 60,
      run: () => releaseIdleHolds(slack.db, IDLE_HOLD_MINUTES),
    },
    {
      name: "retry-unsent-messages",
      schedule: "*/15 * * * * *",
      everySeconds: 15,
      run: () => deliveries.sweep(30),
    },
    {
      name: "process-leftover-inbound",
      schedule: "*/15 * * * * *",
      everySeconds: 15,
      run: () => processLeftoverInbound(inbound, 10),
    },
    {
      // Shifts live in the database, so a restart loses none; each post is claimed by one instance.
      name: "shift-kickoffs-and-recaps",
      schedule: "*/20 * * * * *",
      everySeconds: 20,
      run: async () => (await postKickoffs(slack)) + (await postRecaps(slack)),
    },
    {
      name: "stale-replies-and-reminders",
      schedule: "30 * * * * *",
      everySeconds: 60,
      run: async () => (await autoReleaseStale(slack)) + (await postReminders(slack)),
    },
    {
      name: "unknown-text-summaries",
      schedule: "5 * * * * *",
      everySeconds: 60,
      run: () => postUnknownSummaries(inbound, slack.now()),
    },
    {
      // The stats counters' deltas folded into one row per figure, so reading them stays small.
      name: "compact-campaign-counts",
      schedule: "10,40 * * * * *",
      everySeconds: 30,
      run: () => compactCampaignCounts(slack.db),
    },
    {
      // A "reassign all matching" whose runner crashed or stopped carries on once its lease ran out.
      name: "review-reassign-all",
      schedule: "10,40 * * * * *",
      everySeconds: 30,
      run: () => runReviewJobs(slack),
    },
    {
      // Bookkeeping tables that only guard against retries would otherwise grow forever.
      name: "prune-old-rows",
      schedule: "0 17 * * * *",
      everySeconds: 3600,
      run: async () =>
        (await prunePosted(slack.db, 7)) +
        (await pruneSlackEvents(slack.db, 2)) +
        (await pruneRuns(slack.db, 2)) +
        (await pruneEarlyStatuses(slack.db, 2)) +
        (await pruneHelpReplies(slack.db, 2)),
    },
  ];
}
