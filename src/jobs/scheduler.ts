import cron, { type ScheduledTask } from "node-cron";
import { releaseIdleHolds } from "../campaigns/sending/assignment.ts";
import type { Services } from "../services.ts";
import { processLeftoverInbound } from "../relay/inbound.ts";
import { autoReleaseStale, postKickoffs, postRecaps, postReminders } from "../relay/shift-posts.ts";
import { claimRun, finishRun, slotKey } from "./run-once.ts";

export interface Job {
  name: string;
  /** node-cron expression (seconds field included). */
  schedule: string;
  /** The slot length in seconds: one run per slot across all instances. */
  everySeconds: number;
  run: (services: Services) => Promise<unknown>;
}

/** A held contact goes back to the pool after this long without the volunteer acting. */
export const IDLE_HOLD_MINUTES = 15;

export const jobs: Job[] = [
  {
    name: "release-idle-holds",
    schedule: "0 * * * * *",
    everySeconds: 60,
    run: (services) => releaseIdleHolds(services.db, IDLE_HOLD_MINUTES),
  },
  {
    name: "retry-unsent-messages",
    schedule: "*/15 * * * * *",
    everySeconds: 15,
    run: (services) => services.deliveries.sweep(30),
  },
  {
    name: "process-leftover-inbound",
    schedule: "*/15 * * * * *",
    everySeconds: 15,
    run: (services) => processLeftoverInbound(services, 10),
  },
  {
    // Shifts live in the database, so a restart loses none; each post is claimed by one instance.
    name: "shift-kickoffs-and-recaps",
    schedule: "*/20 * * * * *",
    everySeconds: 20,
    run: async (services) => (await postKickoffs(services)) + (await postRecaps(services)),
  },
  {
    name: "stale-replies-and-reminders",
    schedule: "30 * * * * *",
    everySeconds: 60,
    run: async (services) => (await autoReleaseStale(services)) + (await postReminders(services)),
  },
];

/** Runs one job's slot if no other instance has claimed it. Returns whether it ran here. */
export async function runJobOnce(services: Services, job: Job, at = services.now()): Promise<boolean> {
  const key = slotKey(at, job.everySeconds);
  if (!(await claimRun(services.db, job.name, key, services.instanceId))) return false;
  try {
    await job.run(services);
  } finally {
    await finishRun(services.db, job.name, key);
  }
  return true;
}

export function startJobs(services: Services, list: Job[] = jobs): { stop: () => Promise<void> } {
  const tasks: ScheduledTask[] = list.map((job) =>
    cron.schedule(
      job.schedule,
      () => {
        runJobOnce(services, job).catch((error: unknown) => services.logger.error(`job ${job.name} failed`, error));
      },
      { name: job.name, noOverlap: true },
    ),
  );
  return {
    stop: async () => {
      for (const task of tasks) await task.stop();
    },
  };
}
