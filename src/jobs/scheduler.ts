import cron, { type ScheduledTask } from "node-cron";
import type { Database } from "../db/database.ts";
import type { Logger } from "../logger.ts";
import { claimRun, finishRun, slotKey } from "./run-once.ts";

/** A scheduled job; what it does is bound where the app is put together (src/schedule.ts). */
export interface Job {
  name: string;
  /** node-cron expression (seconds field included). */
  schedule: string;
  /** The slot length in seconds: one run per slot across all instances. */
  everySeconds: number;
  run: () => Promise<unknown>;
}

export interface SchedulerDeps {
  db: Database;
  instanceId: string;
  logger: Logger;
  now: () => Date;
}

/** Runs one job's slot if no other instance has claimed it. Returns whether it ran here. */
export async function runJobOnce(deps: SchedulerDeps, job: Job, at = deps.now()): Promise<boolean> {
  const key = slotKey(at, job.everySeconds);
  if (!(await claimRun(deps.db, job.name, key, deps.instanceId))) return false;
  try {
    await job.run();
  } finally {
    await finishRun(deps.db, job.name, key);
  }
  return true;
}

export function startJobs(deps: SchedulerDeps, list: Job[]): { stop: () => Promise<void> } {
  const tasks: ScheduledTask[] = list.map((job) =>
    cron.schedule(
      job.schedule,
      () => {
        runJobOnce(deps, job).catch((error: unknown) => deps.logger.error(`job ${job.name} failed`, error));
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
