import { sql } from "kysely";
import type { Database } from "../db/database.ts";

/** The UTC instant of a wall-clock time in an IANA zone (DST-aware, via Intl). */
export function zonedTimeToUtc(
  local: { year: number; month: number; day: number; hour: number; minute: number },
  zone: string,
): Date {
  const asUtc = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute);
  const offsetAt = (t: number) => {
    const parts = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
    }).formatToParts(new Date(t));
    const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
    return Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute")) - t;
  };
  let guess = asUtc - offsetAt(asUtc);
  guess = asUtc - offsetAt(guess);
  return new Date(guess);
}

export type ScheduleInput = { campaignId: number; startsAt: Date; endsAt: Date; channelId: string; createdBy: string };

/** Stores a shift unless it overlaps another shift of the same campaign. */
export async function scheduleShift(
  db: Database,
  input: ScheduleInput,
): Promise<{ ok: true; id: number } | { ok: false; overlapsWith: Date }> {
  return db.transaction().execute(async (tx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtext('shifts'), ${input.campaignId})`.execute(tx);
    const overlap = await tx
      .selectFrom("shifts")
      .select("starts_at")
      .where("campaign_id", "=", input.campaignId)
      .where("starts_at", "<", input.endsAt)
      .where("ends_at", ">", input.startsAt)
      .executeTakeFirst();
    if (overlap) return { ok: false, overlapsWith: overlap.starts_at } as const;
    const row = await tx
      .insertInto("shifts")
      .values({
        campaign_id: input.campaignId,
        starts_at: input.startsAt,
        ends_at: input.endsAt,
        channel_id: input.channelId,
        created_by: input.createdBy,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    return { ok: true, id: row.id } as const;
  });
}

/**
 * Claims the kickoffs that are due: a shift whose start has come and whose end has not. The
 * conditional UPDATE is the claim, so one instance posts each kickoff however many run; a
 * shift whose whole window passed while the app was down gets no late kickoff.
 */
export async function claimDueKickoffs(db: Database, now: Date) {
  return db
    .updateTable("shifts")
    .set({ kickoff_posted_at: now })
    .where("kickoff_posted_at", "is", null)
    .where("starts_at", "<=", now)
    .where("ends_at", ">", now)
    .returningAll()
    .execute();
}

/** Claims the recaps that are due (the shift has ended), once across instances. */
export async function claimDueRecaps(db: Database, now: Date) {
  return db
    .updateTable("shifts")
    .set({ recap_posted_at: now })
    .where("recap_posted_at", "is", null)
    .where("ends_at", "<=", now)
    .returningAll()
    .execute();
}

export interface ShiftRecap {
  sent: number;
  replies: number;
  optOuts: number;
  top: { userId: string; sent: number }[];
  released: number;
}

/** Ends a shift: held contacts go back to the pool, and the figures of its window. */
export async function closeShift(
  db: Database,
  shift: { campaign_id: number; starts_at: Date; ends_at: Date },
): Promise<ShiftRecap> {
  const released = await db
    .updateTable("contacts")
    .set({ status: "pool", held_by: null, held_at: null })
    .where("campaign_id", "=", shift.campaign_id)
    .where("status", "=", "held")
    .executeTakeFirst();
  await db.updateTable("volunteers").set({ on_shift: false }).where("campaign_id", "=", shift.campaign_id).execute();
  const { rows } = await sql<{ sent: number; replies: number; opt_outs: number }>`
    SELECT count(*) FILTER (WHERE kind = 'opening')::int AS sent,
           count(*) FILTER (WHERE direction = 'in')::int AS replies,
           (SELECT count(*)::int FROM opt_out_events e JOIN contacts c ON c.phone = e.phone
              WHERE c.campaign_id = ${shift.campaign_id} AND e.action = 'out'
                AND e.created_at >= ${shift.starts_at} AND e.created_at < ${shift.ends_at}) AS opt_outs
    FROM messages WHERE campaign_id = ${shift.campaign_id}
      AND created_at >= ${shift.starts_at} AND created_at < ${shift.ends_at}`.execute(db);
  const top = await db
    .selectFrom("messages")
    .select(["sent_by as userId", (eb) => eb.fn.countAll<number>().as("sent")])
    .where("campaign_id", "=", shift.campaign_id)
    .where("kind", "=", "opening")
    .where("created_at", ">=", shift.starts_at)
    .where("created_at", "<", shift.ends_at)
    .groupBy("sent_by")
    .orderBy("sent", "desc")
    .limit(3)
    .execute();
  const figures = rows[0]!;
  return {
    sent: figures.sent,
    replies: figures.replies,
    optOuts: figures.opt_outs,
    top: top.map((t) => ({ userId: t.userId ?? "?", sent: Number(t.sent) })),
    released: Number(released.numUpdatedRows),
  };
}

/**
 * Who still has replies waiting over an hour, an hour to a day after a shift ended (the
 * reminder goes once per volunteer and shift).
 */
export async function waitingAfterShifts(
  db: Database,
  now: Date,
): Promise<{ shiftId: number; volunteerId: string; waiting: number }[]> {
  const shifts = await db
    .selectFrom("shifts")
    .select(["id", "campaign_id"])
    .where("recap_posted_at", "is not", null)
    .where("ends_at", "<=", new Date(now.getTime() - 60 * 60_000))
    .where("ends_at", ">", new Date(now.getTime() - 24 * 3600_000))
    .execute();
  const result: { shiftId: number; volunteerId: string; waiting: number }[] = [];
  for (const shift of shifts) {
    const rows = await db
      .selectFrom("conversations")
      .select(["volunteer_id", (eb) => eb.fn.countAll<number>().as("n")])
      .where("campaign_id", "=", shift.campaign_id)
      .where("volunteer_id", "is not", null)
      .where("waiting_since", "<", new Date(now.getTime() - 60 * 60_000))
      .groupBy("volunteer_id")
      .execute();
    for (const row of rows) result.push({ shiftId: shift.id, volunteerId: row.volunteer_id!, waiting: Number(row.n) });
  }
  return result;
}
