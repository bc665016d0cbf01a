/**
 * Texting windows: whole hours [start, end) in a contact's own IANA zone, with that zone's own
 * daylight-saving rules, which Intl knows (Arizona, Hawaii and Puerto Rico keep none; Indiana
 * does). A contact with several candidate zones is texted only when all of them are open.
 */
export interface TextingWindow {
  start: number;
  end: number;
}

const hourFormatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let formatter = hourFormatters.get(zone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", hour: "2-digit", minute: "2-digit" });
    hourFormatters.set(zone, formatter);
  }
  return formatter;
}

export function localHour(zone: string, at: Date): { hour: number; minute: number } {
  const parts = formatterFor(zone).formatToParts(at);
  const hour = Number(parts.find((p) => p.type === "hour")?.value ?? 0);
  const minute = Number(parts.find((p) => p.type === "minute")?.value ?? 0);
  return { hour, minute };
}

export function isOpenIn(zone: string, window: TextingWindow, at: Date): boolean {
  const { hour } = localHour(zone, at);
  return hour >= window.start && hour < window.end;
}

export function isWithinWindow(zones: readonly string[], window: TextingWindow, at: Date): boolean {
  return zones.length > 0 && zones.every((zone) => isOpenIn(zone, window, at));
}

/**
 * The earliest instant ≥ `from` at which every zone is open, or null within a week. Windows
 * open on the hour in every zone this app serves (whole-hour offsets and 30/45-minute ones
 * too, since we step by 15 minutes), so stepping quarter-hours finds it exactly.
 */
export function nextWindowOpening(zones: readonly string[], window: TextingWindow, from: Date): Date | null {
  if (isWithinWindow(zones, window, from)) return from;
  const step = 15 * 60 * 1000;
  let t = Math.ceil(from.getTime() / step) * step;
  const limit = from.getTime() + 8 * 24 * 3600 * 1000;
  for (; t <= limit; t += step) {
    if (isWithinWindow(zones, window, new Date(t))) return new Date(t);
  }
  return null;
}
