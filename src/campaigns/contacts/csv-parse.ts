import type { Readable } from "node:stream";
import type { CountryCode } from "libphonenumber-js";
import { KNOWN_COLUMNS, knownColumnFor, normalizeFieldName, type KnownColumn } from "../fields.ts";
import { CsvRecordReader } from "./csv-records.ts";
import type { Delimiter } from "./csv-sniff.ts";
import { invalidPhoneText, normalizePhone, normalizeZip } from "./normalize.ts";

export { normalizePhone, normalizeZip, type PhoneResult } from "./normalize.ts";
export type { Delimiter } from "./csv-sniff.ts";

/**
 * The contacts CSV (docs/user-guide.md, "The contacts CSV") as a stream of events: first the header analysis,
 * then batches of rows, each a contact or a row-level reason, then a summary. A "fatal" event refuses the
 * whole file and ends the stream; it can come after batches (a bad byte at 150 MB is only seen
 * there), so the importer must keep nothing until "done" — an upload is all-or-nothing for its good rows.
 */
export type ParseEvent =
  | { type: "header"; columns: ColumnMapping }
  | { type: "batch"; rows: ParsedRow[] }
  | { type: "fatal"; reason: string }
  | { type: "done"; rows: number; valid: number; invalid: number; bytesRead: number };

export interface ColumnMapping {
  delimiter: Delimiter;
  /** The header cells as the organizer typed them (trimmed), by position. */
  headers: string[];
  /** Position of each known column present; there is always a phone column. */
  known: { phone: number } & Partial<Record<KnownColumn, number>>;
  /** Every other named column, keyed by its normalized name (merge fields use the key). */
  custom: { index: number; key: string; header: string }[];
  /** Positions of columns whose header is blank; their cells are dropped. */
  ignored: number[];
}

export interface ContactFields {
  phone: string;
  firstName: string | null;
  lastName: string | null;
  zip: string | null;
  timezone: string | null;
  externalId: string | null;
  /** Non-empty custom cells only, kept verbatim (a leading "=" is escaped at export, not here). */
  customFields: Record<string, string>;
}

/**
 * rowNumber is the row the organizer sees in a spreadsheet: header = 1, first data row = 2.
 * It counts records, not lines: a quoted cell with line breaks is still one spreadsheet row.
 * Blank rows are skipped silently but still counted, so later numbers match the sheet.
 */
export type ParsedRow =
  | { ok: true; rowNumber: number; contact: ContactFields }
  /** `name`: the contact's name (or external ID) when the row has one, to find the row by. */
  | { ok: false; rowNumber: number; reason: string; name?: string };

export interface ParseOptions {
  defaultCountry: CountryCode;
  /** Rows per batch event (default 1000). */
  batchSize?: number;
  /** Called after each chunk read with the bytes read so far (before decoding). */
  onProgress?: (bytesRead: number) => void;
}

/**
 * Reads an upload as it downloads. Pulling chunks with `for await` is the backpressure: the
 * next chunk is read only when the consumer asks for the next event. Leaving early (a fatal
 * event, or the consumer breaking off) destroys the input, which stops the download.
 * A failing input stream (network error) throws: that is not the organizer's file's fault.
 */
export async function* parseContactsCsv(
  input: Readable | AsyncIterable<Uint8Array>,
  opts: ParseOptions,
): AsyncGenerator<ParseEvent, void, undefined> {
  const reader = new ContactsCsvReader(opts);
  for await (const chunk of input as AsyncIterable<Uint8Array | string>) {
    yield* reader.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
    opts.onProgress?.(reader.bytesRead);
    if (reader.finished) return;
  }
  yield* reader.end();
}

/** The synchronous core of parseContactsCsv: push byte chunks, then end; each returns events. */
export class ContactsCsvReader extends CsvRecordReader<ParseEvent> {
  private columns: ColumnMapping | undefined;
  private batch: ParsedRow[] = [];
  private valid = 0;
  private invalid = 0;
  private readonly batchSize: number;

  constructor(private readonly opts: ParseOptions) {
    super();
    this.batchSize = Math.max(1, opts.batchSize ?? 1000);
  }

  protected record(fields: string[]): void {
    // The first cell is nearly always filled, so blank rows cost one trim on data rows.
    if (fields[0]!.trim() === "" && fields.every((field) => field.trim() === "")) return;
    if (!this.columns) {
      const header = analyzeHeader(fields, this.delimiter, this.opts.defaultCountry);
      if (typeof header === "string") this.fail(header);
      else this.events.push({ type: "header", columns: (this.columns = header) });
      return;
    }
    const row = toRow(fields, this.rowNumber, this.columns, this.opts.defaultCountry);
    if (row.ok) this.valid++;
    else this.invalid++;
    this.batch.push(row);
    if (this.batch.length >= this.batchSize) this.flush();
  }

  protected finish(): void {
    if (!this.columns) return void this.fail("The file is empty");
    if (this.valid + this.invalid === 0) return void this.fail("The file has a header row but no contacts");
    this.flush();
    this.finished = true;
    this.events.push({
      type: "done",
      rows: this.valid + this.invalid,
      valid: this.valid,
      invalid: this.invalid,
      bytesRead: this.bytesRead,
    });
  }

  protected fatal(reason: string): ParseEvent {
    return { type: "fatal", reason };
  }

  private flush(): void {
    if (this.batch.length) this.events.push({ type: "batch", rows: this.batch });
    this.batch = [];
  }

  protected override fail(reason: string): this {
    this.batch = [];
    return super.fail(reason);
  }
}

const DELIMITER_NAMES: Record<string, string> = { ",": "a comma", ";": "a semicolon", "\t": "a tab" };

function toRow(fields: string[], rowNumber: number, columns: ColumnMapping, country: CountryCode): ParsedRow {
  if (fields.length !== columns.headers.length) {
    const fix =
      fields.length > columns.headers.length
        ? `put double quotes around a cell that contains ${DELIMITER_NAMES[columns.delimiter] ?? columns.delimiter}`
        : "add the missing cells (empty ones are fine)";
    return {
      ok: false,
      rowNumber,
      reason: `has ${fields.length} fields, header has ${columns.headers.length} — ${fix}`,
    };
  }
  const cell = (index: number | undefined) => (index === undefined ? null : fields[index]!.trim() || null);
  const phone = normalizePhone(fields[columns.known.phone]!, country);
  if (!phone.ok) {
    const name =
      [cell(columns.known.first_name), cell(columns.known.last_name)].filter(Boolean).join(" ") ||
      cell(columns.known.external_id);
    return {
      ok: false,
      rowNumber,
      reason: invalidPhoneText(fields[columns.known.phone]!, country),
      ...(name ? { name: name.length > 40 ? `${name.slice(0, 39)}…` : name } : {}),
    };
  }
  const customFields: Record<string, string> = {};
  for (const { index, key } of columns.custom) {
    const value = fields[index]!.trim();
    if (value) customFields[key] = value;
  }
  const { known } = columns;
  const zip = known.zip === undefined ? null : normalizeZip(fields[known.zip]!, country);
  return {
    ok: true,
    rowNumber,
    contact: {
      phone: phone.e164,
      firstName: cell(known.first_name),
      lastName: cell(known.last_name),
      zip,
      timezone: cell(known.timezone),
      externalId: cell(known.external_id),
      customFields,
    },
  };
}

const quote = (names: string[]) => names.map((name) => `"${name}"`).join(" and ");

/** The column mapping of a header row, or why the file can't be imported with it. */
export function analyzeHeader(cells: string[], delimiter: Delimiter, country: CountryCode): ColumnMapping | string {
  // A UTF-8 BOM read as Windows-1252 and saved again as UTF-8 arrives as "ï»¿".
  const headers = cells.map((cell, i) => (i === 0 ? cell.replace(/^(?:\uFEFF|ï»¿)+/, "") : cell).trim());
  const byKey = new Map<string, string[]>();
  const byKnown = new Map<KnownColumn, string[]>();
  const known: Partial<Record<KnownColumn, number>> = {};
  const custom: ColumnMapping["custom"] = [];
  const ignored: number[] = [];
  headers.forEach((header, index) => {
    const key = normalizeFieldName(header);
    if (!key) return void ignored.push(index);
    byKey.set(key, [...(byKey.get(key) ?? []), header]);
    const column = knownColumnFor(header);
    if (!column) return void custom.push({ index, key, header });
    known[column] ??= index;
    byKnown.set(column, [...(byKnown.get(column) ?? []), header]);
  });

  const duplicates = [...byKey.values()].filter((names) => names.length > 1);
  if (duplicates.length) {
    return (
      `Some columns have the same name (names match ignoring case, spaces, "_" and "-"): ` +
      `${duplicates.map(quote).join("; ")}. ` +
      `Rename or remove the extra columns and upload again.`
    );
  }
  // Two aliases of one field ("Phone" and "Cell") leave no safe choice: texting a landline
  // instead of the cell phone would be a silent mistake.
  const clash = [...byKnown].find(([, names]) => names.length > 1);
  if (clash) {
    return (
      `Columns ${quote(clash[1])} ${clash[1].length > 2 ? "all" : "both"} ` +
      `mean the ${clash[0].replace("_", " ")} column: ` +
      `keep one (or rename the others) and upload again.`
    );
  }
  if (known.phone === undefined) return noPhoneColumnReason(headers, country);
  return { delimiter, headers, known: { ...known, phone: known.phone }, custom, ignored };
}

function noPhoneColumnReason(headers: string[], country: CountryCode): string {
  if (headers.some((header) => normalizePhone(header, country).ok)) {
    return (
      "The first row should hold column names, but it looks like a contact: " +
      'add a header row with a "phone" column and upload again.'
    );
  }
  const named = headers.filter(Boolean);
  const found = named.length
    ? named
        .slice(0, 20)
        .map((name) => `"${name}"`)
        .join(", ")
    : "none";
  const more = named.length > 20 ? ` and ${named.length - 20} more` : "";
  return (
    `No phone column: the columns found are ${found}${more}. ` +
    `Name the column holding phone numbers one of: ${KNOWN_COLUMNS.phone.join(", ")} ` +
    `(case, spaces, "_" and "-" don't matter).`
  );
}
