import { ALL_US_ZONES } from "./timezones.ts";

/**
 * Texting windows: whole hours [start, end) on a contact's own clock, with that zone's own
 * daylight-saving rules, which Intl knows (Arizona, Hawaii and Puerto Rico keep none; Indiana
 * does). No DST arithmetic here: every local time comes from Intl. A contact with several
 * candidate zones is texted only when all of them are open; an empty candidate list (a
 * contact never placed) counts as unknown, i.e. every US zone (docs/user-guide.md, "Texting hours").
 */
export interface TextingWindow {
  /** First open hour, 0–23. */
  start: number;
  /** First closed hour, 1–24; 24 means open until midnight. */
  end: number;
}

export const HOURS_HELP = "Use whole hours 0–24 with start before end, like 9-20";

export function isValidWindow(window: TextingWindow): boolean {
  const { start, end } = window;
  return Number.isInteger(start) && Number.isInteger(end) && start >= 0 && end <= 24 && start < end;
}

/** Windows are validated where they are typed in; reaching here with a bad one is a bug. */
export function assertValidWindow(window: TextingWindow): void {
  if (!isValidWindow(window)) {
    throw new RangeError(`Invalid texting window ${window.start}-${window.end}: ${HOURS_HELP}`);
  }
}

export type ParsedHours = { ok: true; window: TextingWindow } | { ok: false; error: string };

/** Reads "9-20" (also "9 - 20", "09–20"). Windows never cross midnight. */
export function parseHoursArgument(text: string): ParsedHours {
  const match = /^\s*(\d{1,2})\s*[-–—]\s*(\d{1,2})\s*$/.exec(text);
  if (!match) return { ok: false, error: `"${text.trim()}" is not a range of hours. ${HOURS_HELP}.` };
  const start = Number(match[1]);
  const end = Number(match[2]);
  if (start > 24 || end > 24) return { ok: false, error: `Hours go from 0 to 24. ${HOURS_HELP}.` };
  if (start >= end) {
    return { ok: false, error: `The start (${start}) must be before the end (${end}). ${HOURS_HELP}.` };
  }
  return { ok: true, window: { start, end } };
}

const hourFormatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let formatter = hourFormatters.get(zone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      hour: "2-digit",
      minute: "2-digit",
    });
    hourFormatters.set(zone, formatter);
  }
  return formatter;
}

// Every zone in use changes its offset on a whole minute, so a zone's wall clock is the same
// for a whole UTC minute: remembered per zone, every card in that minute skips the ICU call.
const lastReading = new Map<string, { minuteOfEpoch: number; hour: number; minute: number }>();

/** Wall-clock hour (0–23) and minute in `zone` at `at`. Throws RangeError for an unknown zone. */
export function localHour(zone: string, at: Date): { hour: number; minute: number } {
  const minuteOfEpoch = Math.floor(at.getTime() / 60_000);
  const last = lastReading.get(zone);
  if (last && last.minuteOfEpoch === minuteOfEpoch) return { hour: last.hour, minute: last.minute };
  const reading = readLocalHour(zone, at);
  lastReading.set(zone, { minuteOfEpoch, ...reading });
  return reading;
}

function readLocalHour(zone: string, at: Date): { hour: number; minute: number } {
  let hour = 0;
  let minute = 0;
  for (const part of formatterFor(zone).formatToParts(at)) {
    if (part.type === "hour")
      hour = Number(part.value) % 24; // some ICU builds print midnight as 24
    else if (part.type === "minute") minute = Number(part.value);
  }
  return { hour, minute };
}

function candidates(zones: readonly string[]): readonly string[] {
  return zones.length > 0 ? zones : ALL_US_ZONES;
}

export function isOpenIn(zone: string, window: TextingWindow, at: Date): boolean {
  const { hour } = localHour(zone, at);
  return hour >= window.start && hour < window.end;
}

/** True only when the window is open in every candidate zone. */
export function isWithinWindow(zones: readonly string[], window: TextingWindow, at: Date): boolean {
  assertValidWindow(window);
  return candidates(zones).every((zone) => isOpenIn(zone, window, at));
}

/** Which of `zones` are open at `at`: the set a claim query may draw contacts from. */
export function windowOpenZones(window: TextingWindow, at: Date, zones: readonly string[]): string[] {
  assertValidWindow(window);
  return zones.filter((zone) => isOpenIn(zone, window, at));
}

const MINUTE_MS = 60_000;
/** Daily windows that overlap at all do so within two days; a week covers any DST shift. */
const HORIZON_MS = 8 * 24 * 60 * MINUTE_MS;

/**
 * The earliest instant ≥ `from` at which the window is open in every zone, or null if that
 * never happens within a week (e.g. 9–10 in both Honolulu and New York).
 *
 * Whether a zone is open changes only when its wall-clock hour changes, and a DST jump is
 * itself such a change (02:00 → 03:00), so the search steps from one local hour boundary to
 * the next, the nearest among all the zones: at most a few hundred Intl look-ups per call.
 * Half- and quarter-hour offsets (St John's, India, Nepal) work the same way.
 */
export function nextWindowOpening(zones: readonly string[], window: TextingWindow, from: Date): Date | null {
  assertValidWindow(window);
  const checked = candidates(zones);
  const limit = from.getTime() + HORIZON_MS;
  let t = from.getTime();
  while (t <= limit) {
    const at = new Date(t);
    let open = true;
    // Every zone in use today has a whole-minute offset, so a local hour boundary falls on a
    // whole UTC minute: the start of this minute plus the minutes left in the local hour.
    let nextBoundary = Number.POSITIVE_INFINITY;
    for (const zone of checked) {
      const { hour, minute } = localHour(zone, at);
      if (hour < window.start || hour >= window.end) open = false;
      nextBoundary = Math.min(nextBoundary, Math.floor(t / MINUTE_MS) * MINUTE_MS + (60 - minute) * MINUTE_MS);
    }
    if (open) return at;
    t = nextBoundary;
  }
  return null;
}
