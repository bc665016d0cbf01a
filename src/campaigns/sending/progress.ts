import { sql } from "kysely";
import type { Database } from "../../db/database.ts";

/**
 * The figures of the progress line on the volunteer's card after Send (src/slack/progress.ts:
 * "✓ Texted Maria A. · 3 openings sent by you · 6 left in the pool"). The Send path runs at
 * hundreds of presses a second, so neither figure is counted per press; both are hints this
 * instance keeps in memory, safe to lose and at worst a few seconds behind what other instances
 * did meanwhile:
 *
 * - openings sent: the volunteer's `v_sent` summary counter (counters.ts; its compacted row and
 *   the deltas since, a few dozen rows at most), read at most every SENT_TTL_MS per volunteer
 *   and campaign, plus the Sends this instance made since that read;
 * - left in the pool: a count of the `contacts_pool` index range capped at POOL_CAP rows, read at
 *   most every POOL_TTL_MS per campaign, minus the contacts this instance handed out since
 *   ("about N left"). Only when the pool was last seen small (≤ EXACT_BELOW) is it counted on
 *   the press itself: then the range is at most EXACT_BELOW + 1 index entries, and it is exact.
 *
 * A refresh never makes a press wait once a figure is known: the old figure is shown while the
 * new one is read (one read at a time per figure).
 */
const SENT_TTL_MS = 10_000;
const POOL_TTL_MS = 5_000;
const POOL_CAP = 10_000;
const EXACT_BELOW = 50;

interface Hint {
  /** The figure as last read. */
  base: number;
  /** Changes this instance made since that read (+1 per Send for sent, +1 per hand-out for the pool). */
  local: number;
  at: number;
  capped: boolean;
  refreshing?: Promise<void>;
}

const sentHints = new WeakMap<Database, Map<string, Hint>>();
const poolHints = new WeakMap<Database, Map<number, Hint>>();

function hintsOf<K>(maps: WeakMap<Database, Map<K, Hint>>, db: Database): Map<K, Hint> {
  let map = maps.get(db);
  if (!map) maps.set(db, (map = new Map()));
  return map;
}

/** Reads the figure into the hint; changes made meanwhile stay counted once. */
function refresh(hint: Hint, read: () => Promise<{ n: number; capped: boolean }>, now: number): Promise<void> {
  if (hint.refreshing) return hint.refreshing;
  const localAtStart = hint.local;
  hint.refreshing = read()
    .then(({ n, capped }) => {
      hint.base = n;
      hint.capped = capped;
      hint.local -= localAtStart;
      hint.at = now;
    })
    .catch(() => undefined)
    .finally(() => {
      hint.refreshing = undefined;
    });
  return hint.refreshing;
}

async function readSent(db: Database, campaignId: number, userId: string): Promise<{ n: number; capped: boolean }> {
  const { rows } = await sql<{ n: number | null }>`
    SELECT sum(n)::float8 AS n FROM campaign_counts
    WHERE campaign_id = ${campaignId} AND name = 'v_sent' AND key = ${userId}`.execute(db);
  return { n: Number(rows[0]?.n ?? 0), capped: false };
}

async function readPool(db: Database, campaignId: number, cap: number): Promise<{ n: number; capped: boolean }> {
  const { rows } = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM (
      SELECT 1 FROM contacts WHERE campaign_id = ${campaignId} AND status = 'pool' LIMIT ${cap + 1}) p`.execute(db);
  const n = rows[0]?.n ?? 0;
  return { n: Math.min(n, cap), capped: n > cap };
}

export interface Progress {
  sent: number;
  left: number;
  /** `left` is a hint that may be a few seconds old. */
  about: boolean;
  /** The pool holds more than `left`. */
  more: boolean;
}

/**
 * The volunteer's figures after a press. `sent` and `handedOut` say what this press did (an
 * opening stored, a next contact claimed), so the hints move with it without a read.
 */
export async function progressAfterPress(
  db: Database,
  input: { campaignId: number; userId: string; now: Date; sent: boolean; handedOut: boolean },
): Promise<Progress> {
  const now = input.now.getTime();
  const sentMap = hintsOf(sentHints, db);
  const sentKey = `${input.campaignId}:${input.userId}`;
  let sentHint = sentMap.get(sentKey);
  if (!sentHint) {
    sentHint = { base: 0, local: 0, at: 0, capped: false };
    sentMap.set(sentKey, sentHint);
    // First time here: the read includes this press's Send (it is committed).
    await refresh(sentHint, () => readSent(db, input.campaignId, input.userId), now);
  } else {
    if (input.sent) sentHint.local += 1;
    if (now - sentHint.at >= SENT_TTL_MS)
      void refresh(sentHint, () => readSent(db, input.campaignId, input.userId), now);
  }

  const poolMap = hintsOf(poolHints, db);
  let poolHint = poolMap.get(input.campaignId);
  let fresh = false;
  if (poolHint?.refreshing && poolHint.at === 0) {
    // Presses arriving while the first count runs wait for it rather than counting again.
    await poolHint.refreshing;
  } else if (!poolHint || poolHint.base - poolHint.local <= EXACT_BELOW) {
    // First time here, or a small pool: counted now (a small pool is a short index range).
    const cap = poolHint ? EXACT_BELOW * 4 : POOL_CAP;
    poolHint ??= { base: 0, local: 0, at: 0, capped: false };
    poolMap.set(input.campaignId, poolHint);
    await refresh(poolHint, () => readPool(db, input.campaignId, cap), now);
    fresh = poolHint.at === now;
  } else {
    if (input.handedOut) poolHint.local += 1;
    if (now - poolHint.at >= POOL_TTL_MS) void refresh(poolHint, () => readPool(db, input.campaignId, POOL_CAP), now);
  }
  return {
    sent: Math.max(0, sentHint.base + sentHint.local),
    left: Math.max(0, poolHint.base - poolHint.local),
    about: !fresh,
    more: poolHint.capped,
  };
}

/** Forgets this instance's hints (tests that change rows behind the app's back). */
export function forgetProgress(db: Database): void {
  sentHints.delete(db);
  poolHints.delete(db);
}
