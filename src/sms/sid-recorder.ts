import { sql } from "kysely";
import type { Database } from "../db/database.ts";

export type AcceptedStatus = "queued" | "accepted" | "sent" | "delivered";

interface Pending {
  id: number;
  sid: string;
  status: AcceptedStatus;
  resolve: () => void;
  reject: (error: unknown) => void;
}

const MAX_BATCH = 500;

/**
 * Writes the sids Twilio hands back, many per statement. Every text used to cost its own
 * UPDATE — a second database round trip per Send press, after the one that stored the text.
 * Sids that arrive in the same turn of the event loop, or while a write is under way, go in
 * the next write together, so under load one statement records a handful and at a trickle
 * each is written at once. `record` resolves when its row is written, as before.
 *
 * The write commits without waiting for its WAL flush: a sid lost to a crash leaves the message
 * in 'sending' without one, and the sweep asks Twilio for it (findRecent) before any retry, so
 * it is never sent twice. If a batch fails (a sid already on another row, say), each row is
 * written on its own, so one bad row never holds up the rest.
 */
export class SidRecorder {
  private pending: Pending[] = [];
  private scheduled = false;
  private writing = false;

  constructor(private readonly db: Database) {}

  record(id: number, sid: string, status: AcceptedStatus): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ id, sid, status, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.writing) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.write();
    });
  }

  private async write(): Promise<void> {
    const batch = this.pending.splice(0, MAX_BATCH);
    if (batch.length === 0) return;
    this.writing = true;
    try {
      await writeSids(this.db, batch);
      for (const entry of batch) entry.resolve();
    } catch {
      for (const entry of batch) {
        await writeSids(this.db, [entry]).then(entry.resolve, entry.reject);
      }
    } finally {
      this.writing = false;
      if (this.pending.length) this.schedule();
    }
  }
}

async function writeSids(db: Database, batch: Pending[]): Promise<void> {
  await sql`
    UPDATE messages m SET twilio_sid = v.sid, status = v.status, error_code = NULL, updated_at = now()
    FROM unnest(${batch.map((e) => e.id)}::bigint[], ${batch.map((e) => e.sid)}::text[], ${batch.map((e) => e.status)}::text[]) AS v(id, sid, status)
    WHERE m.id = v.id AND set_config('synchronous_commit', 'off', true) = 'off'`.execute(db);
}

const recorders = new WeakMap<Database, SidRecorder>();

/** The recorder for this database (one per pool, shared by every delivery on it). */
export function sidRecorder(db: Database): SidRecorder {
  let recorder = recorders.get(db);
  if (!recorder) recorders.set(db, (recorder = new SidRecorder(db)));
  return recorder;
}
