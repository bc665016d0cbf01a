import { areaCodeZones } from "./area-codes.ts";
import { zipZones } from "./zips.ts";

/**
 * A contact's candidate time zones (docs/user-guide.md, "Where a contact's clock comes from"): the `timezone`
 * column if it names a real zone, else the ZIP, else the phone's area code, else unknown. Several
 * candidates mean the contact could be on any of those clocks; the window must be open on all of them.
 */

export type TimezoneSource = "column" | "zip" | "area_code" | "unknown";

export interface ResolvedTimezones {
  /** Sorted and de-duplicated, so equal sets are equal arrays (the claim index groups by them). */
  zones: string[];
  source: TimezoneSource;
}

/**
 * The zones checked for a contact we cannot place: the 50 states, DC and Puerto Rico. Puerto
 * Rico (Atlantic, no DST) and Honolulu are the two ends: together they leave a 9–20 window
 * open 14:00–19:00 New York time in winter and 15:00–20:00 in summer (the Virgin Islands
 * share Puerto Rico's clock). The Pacific territories are left out: Guam (UTC+10) would cut
 * that to a single hour a day, and contacts there have their own area codes (671, 670, 684)
 * and ZIPs, so they are placed rather than unknown.
 */
export const ALL_US_ZONES: readonly string[] = Object.freeze([
  "America/Anchorage",
  "America/Chicago",
  "America/Denver",
  "America/Los_Angeles",
  "America/New_York",
  "America/Phoenix",
  "America/Puerto_Rico",
  "Pacific/Honolulu",
]);

const validity = new Map<string, string | null>();
let canonicalCase: Map<string, string> | undefined;

/**
 * The zone name a `timezone` cell holds, as Intl spells it, or null. Only Area/Location names
 * count ("America/Chicago", "US/Eastern", "Etc/GMT+5"): bare abbreviations are refused
 * although Intl accepts some, because they mislead: ICU reads "EST" as Panama (no DST) and
 * "MST" as Phoenix, so a summer contact would be texted an hour off. Cached, since an import
 * asks about the same few names a million times.
 */
export function canonicalTimeZone(name: string | null | undefined): string | null {
  if (typeof name !== "string") return null;
  const trimmed = name.trim();
  if (!trimmed.includes("/")) return null;
  const cached = validity.get(trimmed);
  if (cached !== undefined) return cached;
  let result: string | null = null;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: trimmed });
    // Intl matches names in any case; keep one spelling per zone ("america/chicago" → the
    // listed one). Links Intl does not list (US/Eastern, America/Indiana/Indianapolis on
    // some ICU versions) stay as written: Intl accepts them everywhere.
    canonicalCase ??= new Map(Intl.supportedValuesOf("timeZone").map((zone) => [zone.toLowerCase(), zone]));
    result = canonicalCase.get(trimmed.toLowerCase()) ?? trimmed;
  } catch {
    result = null;
  }
  if (validity.size < 10_000) validity.set(trimmed, result);
  return result;
}

export function isValidTimeZone(name: string | null | undefined): boolean {
  return canonicalTimeZone(name) !== null;
}

/** The area code of a US/Canada-style NANP number in E.164 (+1NXXNXXXXXX), or null. */
export function nanpAreaCode(phone: string): string | null {
  const match = /^\+1([2-9]\d{2})[2-9]\d{6}$/.exec(phone.trim());
  return match?.[1] ?? null;
}

export function resolveTimezones(input: {
  timezone?: string | null;
  zip?: string | null;
  phone: string;
}): ResolvedTimezones {
  const column = canonicalTimeZone(input.timezone);
  if (column) return { zones: [column], source: "column" };

  const fromZip = zipZones(input.zip);
  if (fromZip) return { zones: [...fromZip], source: "zip" };

  const areaCode = nanpAreaCode(input.phone);
  const fromAreaCode = areaCode ? areaCodeZones(areaCode) : undefined;
  if (fromAreaCode) return { zones: [...fromAreaCode], source: "area_code" };

  return { zones: [...ALL_US_ZONES], source: "unknown" };
}
