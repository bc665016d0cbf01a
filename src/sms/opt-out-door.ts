import { CompiledQuery } from "kysely";
import type { Database } from "../db/database.ts";

interface Asker {
  resolve: (optedOut: boolean) => void;
  reject: (error: unknown) => void;
}

/**
 * The opt-out check at Twilio's door (sendClaimed), many numbers per query. A number asked
 * about when no query is under way is looked up at once, alone; numbers asked about while one
 * is under way wait for it to end and then go together in the next. So a quiet instance pays
 * nothing in latency, and at hundreds of texts a second the check costs a few queries a second
 * instead of one round trip and one transaction per text.
 *
 * Every answer comes from a query that started after the question was asked, as a lookup of
 * its own would: an opt-out committed before the question is always seen.
 */
export class OptOutDoor {
  private waiting = new Map<string, Asker[]>();
  private busy = false;

  constructor(private readonly db: Database) {}

  isOptedOut(phone: string): Promise<boolean> {
    return new Promise((resolve, reject) => {
      const askers = this.waiting.get(phone);
      if (askers) askers.push({ resolve, reject });
      else this.waiting.set(phone, [{ resolve, reject }]);
      if (!this.busy) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.busy = true;
    try {
      while (this.waiting.size) {
        const batch = this.waiting;
        this.waiting = new Map();
        try {
          const optedOut = await optedOutAmong(this.db, [...batch.keys()]);
          for (const [phone, askers] of batch) for (const asker of askers) asker.resolve(optedOut.has(phone));
        } catch (error) {
          for (const askers of batch.values()) for (const asker of askers) asker.reject(error);
        }
      }
    } finally {
      this.busy = false;
    }
  }
}

async function optedOutAmong(db: Database, phones: string[]): Promise<Set<string>> {
  const query = CompiledQuery.raw("SELECT phone FROM opt_outs WHERE phone = ANY($1::text[])", [phones]);
  const { rows } = await db.executeQuery<{ phone: string }>(query);
  return new Set(rows.map((row) => row.phone));
}

const doors = new WeakMap<Database, OptOutDoor>();

/** The door for this database (one per pool, shared by every delivery on it). */
export function optOutDoor(db: Database): OptOutDoor {
  let door = doors.get(db);
  if (!door) doors.set(db, (door = new OptOutDoor(db)));
  return door;
}
