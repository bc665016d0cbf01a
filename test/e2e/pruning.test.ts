import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { Harness } from "../support/harness.ts";

/** Bookkeeping that only guards against retries is pruned on a schedule, once across instances. */
describe("pruning old bookkeeping", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it("deletes posted outbox rows, event ids, job runs and stray early statuses past their age, and nothing else", async () => {
    const old = sql<Date>`now() - interval '30 days'`;
    await h.db
      .insertInto("slack_events")
      .values([{ event_id: "Ev-old", received_at: old }, { event_id: "Ev-new" }])
      .execute();
    await h.db
      .insertInto("job_runs")
      .values([
        { job: "j", run_key: "old", instance: "i", started_at: old },
        { job: "j", run_key: "new", instance: "i" },
      ])
      .execute();
    const payload = JSON.stringify({ text: "x" });
    await h.db
      .insertInto("slack_outbox")
      .values([
        { dedupe_key: "old-posted", channel: "C1", payload, state: "posted" as "pending", created_at: old },
        {
          dedupe_key: "old-pending",
          channel: "C1",
          payload,
          state: "pending",
          created_at: old,
          next_attempt_at: sql`now() + interval '1 day'`,
        },
        { dedupe_key: "new-posted", channel: "C1", payload, state: "posted" as "pending" },
      ])
      .execute();
    await h.db
      .insertInto("early_statuses")
      .values([
        { sid: "SMold", status: "delivered", error_code: null, received_at: old },
        { sid: "SMnew", status: "delivered", error_code: null },
      ])
      .execute();

    await h.db
      .insertInto("help_replies")
      .values([
        { phone: "+12025550001", day: sql<string>`current_date - 5`, message_id: null },
        { phone: "+12025550001", day: sql<string>`current_date`, message_id: null },
      ])
      .execute();

    expect(await h.app.runJob("prune-old-rows")).toBe(true);
    // Once per slot across instances: a second run in the same hour does nothing.
    expect(await h.app.runJob("prune-old-rows")).toBe(false);

    const keys = async (table: "slack_events" | "job_runs" | "slack_outbox" | "early_statuses", column: string) =>
      (await sql<{ k: string }>`SELECT ${sql.ref(column)} AS k FROM ${sql.table(table)} ORDER BY 1`.execute(h.db)).rows
        .map((r) => r.k)
        .filter((k) => /old|new/i.test(k));
    expect(await keys("slack_events", "event_id")).toEqual(["Ev-new"]);
    expect(await keys("job_runs", "run_key")).toEqual(["new"]);
    expect(await keys("slack_outbox", "dedupe_key")).toEqual(["new-posted", "old-pending"]);
    expect(await keys("early_statuses", "sid")).toEqual(["SMnew"]);
    // Only today's HELP answer is needed for the once-a-day rule.
    const help = await h.db.selectFrom("help_replies").select("phone").where("phone", "=", "+12025550001").execute();
    expect(help).toHaveLength(1);
  });
});
