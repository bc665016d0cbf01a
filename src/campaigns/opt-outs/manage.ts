import { createWriteStream } from "node:fs";
import { once } from "node:events";
import type { Readable } from "node:stream";
import type { CountryCode } from "libphonenumber-js";
import Papa from "papaparse";
import type { Database } from "../../db/database.ts";
import { PhoneSet } from "../contacts/phone-set.ts";
import { neutralizeCell } from "../export.ts";
import { recordOptIn, recordOptOut, recordOptOuts } from "./opt-outs.ts";
import { parseOptOutCsv } from "./opt-out-csv.ts";

/**
 * The organizers' side of the workspace's opt-out list (/campaign optouts): look a number up,
 * add or remove one, import a list, export the list. Every change goes through recordOptOut /
 * recordOptIn (or its batch form), so contacts leave and return to their pools exactly as for an
 * opt-out by text, and every change is kept in opt_out_events with who made it.
 */

/** How a number came onto the list, from the stored source. */
export type OptOutHow = "keyword" | "button" | "carrier" | "organizer" | "import" | "other";

export interface OptOutRecord {
  phone: string;
  since: Date;
  how: OptOutHow;
  /** The stored source, as written by whoever recorded it. */
  source: string;
  keyword: string | null;
  /** The Slack user who did it, when a person in Slack did. */
  by: string | null;
  campaignTitle: string | null;
}

/** The sources the app writes: "sms" (a text), "volunteer:U…" (the thread's button), "twilio_21610"… */
export function optOutHow(source: string): OptOutHow {
  if (source === "sms") return "keyword";
  if (source.startsWith("volunteer:")) return "button";
  if (source.startsWith("twilio_")) return "carrier";
  if (source === "organizer") return "organizer";
  if (source === "import") return "import";
  return "other";
}

function actorOf(source: string, actor: string | null): string | null {
  return actor ?? (source.startsWith("volunteer:") ? source.slice("volunteer:".length) || null : null);
}

const asDate = (value: Date | string) => (value instanceof Date ? value : new Date(value));

export async function findOptOut(db: Database, phone: string): Promise<OptOutRecord | undefined> {
  const row = await db
    .selectFrom("opt_outs as o")
    .leftJoin("campaigns as c", "c.id", "o.campaign_id")
    .select(["o.phone", "o.created_at", "o.source", "o.keyword", "o.actor", "c.title"])
    .where("o.phone", "=", phone)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    phone: row.phone,
    since: asDate(row.created_at),
    how: optOutHow(row.source),
    source: row.source,
    keyword: row.keyword,
    by: actorOf(row.source, row.actor),
    campaignTitle: row.title,
  };
}

/** The last time this number was taken off the list, if ever: by whom (a person) or how. */
export async function lastOptIn(
  db: Database,
  phone: string,
): Promise<{ at: Date; source: string; by: string | null } | undefined> {
  const row = await db
    .selectFrom("opt_out_events")
    .select(["action", "created_at", "source", "actor"])
    .where("phone", "=", phone)
    .orderBy("id", "desc")
    .limit(1)
    .executeTakeFirst();
  if (row?.action !== "in") return undefined;
  return { at: asDate(row.created_at), source: row.source, by: row.actor };
}

/** An organizer puts a number on the list; one already there is left exactly as it was. */
export async function addOptOut(
  db: Database,
  input: { phone: string; actor: string },
): Promise<{ added: true } | { added: false; existing: OptOutRecord }> {
  const { created } = await db
    .transaction()
    .execute((tx) => recordOptOut(tx, { phone: input.phone, source: "organizer", actor: input.actor }));
  if (created) return { added: true };
  const existing = await findOptOut(db, input.phone);
  // Taken off again in the instant between: try once more rather than report a stale state.
  if (!existing) return addOptOut(db, input);
  return { added: false, existing };
}

/**
 * An organizer takes a number off the list, as confirmed for the opt-out they were shown
 * (`since`): if it changed meanwhile (taken off and opted out again by a new STOP), nothing
 * happens, so a confirmation never undoes an opt-out it did not show.
 */
export async function removeOptOut(
  db: Database,
  input: { phone: string; since: number; actor: string },
): Promise<"removed" | "not_listed" | "changed"> {
  return db.transaction().execute(async (tx) => {
    const row = await tx
      .selectFrom("opt_outs")
      .select("created_at")
      .where("phone", "=", input.phone)
      .forUpdate()
      .executeTakeFirst();
    if (!row) return "not_listed";
    if (asDate(row.created_at).getTime() !== input.since) return "changed";
    const { removed } = await recordOptIn(tx, { phone: input.phone, source: "organizer", actor: input.actor });
    return removed ? "removed" : "not_listed";
  });
}

export interface OptOutImportSummary {
  /** Data rows read (not the header, not blank rows). */
  rows: number;
  /** The columns read as phone numbers, as headed in the file. */
  phoneColumns: string[];
  added: number;
  alreadyListed: number;
  repeatedInFile: number;
  invalid: number;
  /** The first 20 invalid entries, by spreadsheet row number. */
  invalidRows: { rowNumber: number; reason: string }[];
}

export type OptOutImportResult =
  | { ok: true; summary: OptOutImportSummary }
  /** Refused; what was read before the refusal is in the summary (and stays on the list). */
  | { ok: false; reason: string; summary: OptOutImportSummary };

const IMPORT_BATCH = 1000;
export const INVALID_ROWS_SHOWN = 20;

/**
 * Reads an opt-out CSV as it downloads and adds its numbers in batches of 1,000, each batch one
 * short transaction (on the embedded database, other requests take their turn between them).
 * Adding opt-outs is the safe direction, so a file refused part-way keeps what was read before.
 */
export async function importOptOuts(
  db: Database,
  input: {
    input: Readable | AsyncIterable<Uint8Array>;
    defaultCountry: CountryCode;
    actor: string;
    onProgress?: (bytesRead: number, rows: number) => void;
  },
): Promise<OptOutImportResult> {
  const summary: OptOutImportSummary = {
    rows: 0,
    phoneColumns: [],
    added: 0,
    alreadyListed: 0,
    repeatedInFile: 0,
    invalid: 0,
    invalidRows: [],
  };
  const seen = new PhoneSet();
  for await (const event of parseOptOutCsv(input.input, {
    defaultCountry: input.defaultCountry,
    batchSize: IMPORT_BATCH,
    onProgress: (bytes) => input.onProgress?.(bytes, summary.rows),
  })) {
    if (event.type === "columns") summary.phoneColumns = event.labels;
    if (event.type === "fatal") {
      summary.rows = event.rows;
      return { ok: false, reason: event.reason, summary };
    }
    if (event.type === "done") summary.rows = event.rows;
    if (event.type !== "batch") continue;
    summary.rows = event.rows;
    const fresh: string[] = [];
    for (const entry of event.entries) {
      if (entry.phone === undefined) {
        summary.invalid++;
        if (summary.invalidRows.length < INVALID_ROWS_SHOWN)
          summary.invalidRows.push({ rowNumber: entry.rowNumber, reason: entry.reason });
      } else if (seen.add(entry.phone)) fresh.push(entry.phone);
      else summary.repeatedInFile++;
    }
    if (fresh.length) {
      const { added } = await db
        .transaction()
        .execute((tx) => recordOptOuts(tx, fresh, { source: "import", actor: input.actor }));
      summary.added += added.length;
      summary.alreadyListed += fresh.length - added.length;
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { ok: true, summary };
}

const EXPORT_PAGE = 5000;

/**
 * The whole list as CSV (phone, opted_out_at, source, keyword, by), read in keyset pages so
 * memory stays flat. Cells a spreadsheet would run as formulas get an apostrophe, as in the
 * campaign export; the phone numbers, which run nothing, stay bare (+12025550123).
 */
export async function exportOptOuts(db: Database, path: string): Promise<number> {
  const stream = createWriteStream(path);
  const write = async (rows: string[][]) => {
    const text =
      Papa.unparse(
        rows.map((row) => row.map(neutralizeCell)),
        { newline: "\r\n" },
      ) + "\r\n";
    if (!stream.write(text)) await once(stream, "drain");
  };
  let count = 0;
  try {
    await write([["phone", "opted_out_at", "source", "keyword", "by"]]);
    let after = "";
    for (;;) {
      const page = await db
        .selectFrom("opt_outs")
        .select(["phone", "created_at", "source", "keyword", "actor"])
        .where("phone", ">", after)
        .orderBy("phone")
        .limit(EXPORT_PAGE)
        .execute();
      if (page.length === 0) break;
      await write(
        page.map((row) => {
          const how = optOutHow(row.source);
          return [
            row.phone,
            asDate(row.created_at).toISOString(),
            how === "other" ? row.source : how,
            row.keyword ?? "",
            actorOf(row.source, row.actor) ?? "",
          ];
        }),
      );
      count += page.length;
      after = page.at(-1)!.phone;
    }
  } finally {
    stream.end();
    await once(stream, "finish");
  }
  return count;
}
