import { CompiledQuery } from "kysely";
import { statusRankSql } from "../campaigns/messages/status.ts";
import type { Database } from "../db/database.ts";
import type { MessageStatus } from "../db/schema.ts";

export type AcceptedStatus = "queued" | "accepted" | "sent" | "delivered";

/** Where the text stands once its sid is written: a status that came early may have moved it on. */
export interface RecordedSid {
  status: MessageStatus;
  errorCode: number | null;
}

interface Pending {
  id: number;
  sid: string;
  status: AcceptedStatus;
  resolve: (recorded: RecordedSid) => void;
  reject: (error: unknown) => void;
}

const MAX_BATCH = 500;
/** How long a sid waits for others to share its UPDATE. */
const CARRY_WINDOW_MS = 20;

/**
 * Writes the sids Twilio hands back, many per statement. Every text used to cost its own
 * UPDATE — a second database round trip per Send press, after the one that stored the text.
 * A sid waits up to 20 ms for others, and every sid waiting then (or arriving while a write is
 * under way) goes in one UPDATE: at 200 texts a second that is one statement per four texts.
 * `record` resolves when its row is written, as before; 20 ms is nothing next to the time
 * Twilio takes to call back with a status.
 *
 * The write commits without waiting for its WAL flush: a sid lost to a crash leaves the message
 * in 'submitting' without one, and the sweep asks Twilio for it (findRecent) before any retry, so
 * it is never sent twice. If a batch fails (a sid already on another row, say), each row is
 * written on its own, so one bad row never holds up the rest.
 */
export class SidRecorder {
  private pending: Pending[] = [];
  private scheduled = false;
  private writing = false;

  constructor(private readonly db: Database) {}

  record(id: number, sid: string, status: AcceptedStatus): Promise<RecordedSid> {
    return new Promise((resolve, reject) => {
      this.pending.push({ id, sid, status, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.writing) return;
    this.scheduled = true;
    setTimeout(() => {
      this.scheduled = false;
      void this.write();
    }, CARRY_WINDOW_MS);
  }

  private async write(): Promise<void> {
    const batch = this.pending.splice(0, MAX_BATCH);
    if (batch.length === 0) return;
    this.writing = true;
    try {
      const written = await writeSids(this.db, batch);
      for (const entry of batch) entry.resolve(written.get(entry.id) ?? { status: entry.status, errorCode: null });
    } catch {
      for (const entry of batch) {
        await writeSids(this.db, [entry]).then(
          (written) => entry.resolve(written.get(entry.id) ?? { status: entry.status, errorCode: null }),
          entry.reject,
        );
      }
    } finally {
      this.writing = false;
      if (this.pending.length) this.schedule();
    }
  }
}

// Not a prepared statement: its plan is made for the batch at hand (a cached generic plan made
// while messages was nearly empty would scan the table, as the outbox claim once did).
// A status callback that came before the sid (early_statuses) is applied in the same write when
// it ranks above what the create answered, so a status never moves backwards and none is lost.
const WRITE_SIDS = `
  UPDATE messages m SET
    twilio_sid = v.sid,
    status = CASE WHEN ${statusRankSql("e.status")} > ${statusRankSql("v.status")} THEN e.status ELSE v.status END,
    error_code = CASE WHEN ${statusRankSql("e.status")} > ${statusRankSql("v.status")} THEN e.error_code END,
    updated_at = now()
  FROM unnest($1::bigint[], $2::text[], $3::text[]) AS v(id, sid, status)
  LEFT JOIN early_statuses e ON e.sid = v.sid
  WHERE m.id = v.id AND set_config('synchronous_commit', 'off', true) = 'off'
  RETURNING m.id, m.status, m.error_code`;

async function writeSids(db: Database, batch: Pending[]): Promise<Map<number, RecordedSid>> {
  const query = CompiledQuery.raw(WRITE_SIDS, [
    batch.map((e) => e.id),
    batch.map((e) => e.sid),
    batch.map((e) => e.status),
  ]);
  const { rows } = await db.executeQuery<{ id: number; status: MessageStatus; error_code: number | null }>(query);
  return new Map(rows.map((row) => [Number(row.id), { status: row.status, errorCode: row.error_code }]));
}

const recorders = new WeakMap<Database, SidRecorder>();

/** The recorder for this database (one per pool, shared by every delivery on it). */
export function sidRecorder(db: Database): SidRecorder {
  let recorder = recorders.get(db);
  if (!recorder) recorders.set(db, (recorder = new SidRecorder(db)));
  return recorder;
}
