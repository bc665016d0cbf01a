import type { Readable } from "node:stream";
import type { CountryCode } from "libphonenumber-js";
import Papa from "papaparse";
import { KNOWN_COLUMNS, knownColumnFor, normalizeFieldName, type KnownColumn } from "../fields.ts";
import {
  NOT_CSV_BINARY,
  firstInvalidUtf8,
  notUtf8Reason,
  sniffLayout,
  sniffNotCsv,
  type Delimiter,
} from "./csv-sniff.ts";
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

/** Bytes gathered before deciding whether the file is CSV and how it is delimited. */
const SAMPLE_BYTES = 64 * 1024;
/**
 * A record longer than this is an unclosed quote swallowing the file, not data; without a cap it
 * would be held whole in memory and re-scanned on every chunk.
 */
const MAX_RECORD_CHARS = 1 << 20;

interface PapaChunk {
  data: string[][];
  errors: Papa.ParseError[];
  meta: { cursor: number };
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
export class ContactsCsvReader {
  bytesRead = 0;
  finished = false;
  private sample: Uint8Array[] | null = [];
  private sampleBytes = 0;
  private readonly decoder = new TextDecoder("utf-8", { fatal: true });
  /** The last bytes of the previous chunk, to locate an encoding error split across chunks. */
  private tail: Uint8Array = new Uint8Array(0);
  private parser: Papa.Parser | undefined;
  private delimiter: Delimiter = ",";
  /** Text after the last complete record, parsed again with the next chunk. */
  private carry = "";
  private rowNumber = 0;
  private columns: ColumnMapping | undefined;
  private batch: ParsedRow[] = [];
  private valid = 0;
  private invalid = 0;
  private events: ParseEvent[] = [];
  private readonly batchSize: number;

  constructor(private readonly opts: ParseOptions) {
    this.batchSize = Math.max(1, opts.batchSize ?? 1000);
  }

  push(chunk: Uint8Array): ParseEvent[] {
    if (this.finished || chunk.length === 0) return [];
    this.bytesRead += chunk.length;
    if (!this.sample) return this.feed(chunk, false);
    this.sample.push(chunk);
    this.sampleBytes += chunk.length;
    return this.sampleBytes < SAMPLE_BYTES ? [] : this.start(false);
  }

  end(): ParseEvent[] {
    if (this.finished) return [];
    return this.sample ? this.start(true) : this.feed(new Uint8Array(0), true);
  }

  private start(final: boolean): ParseEvent[] {
    const sample = Buffer.concat(this.sample!);
    this.sample = null;
    const notCsv = sniffNotCsv(sample);
    if (notCsv) return this.fail(notCsv).take();
    return this.feed(sample, final);
  }

  private feed(bytes: Uint8Array, final: boolean): ParseEvent[] {
    let text: string;
    try {
      text = this.decoder.decode(bytes, { stream: !final }); // also drops a leading BOM
    } catch {
      return this.fail(this.encodingReason(bytes, final)).take();
    }
    // A copy: chunks can be views of a pooled buffer that is reused.
    this.tail =
      bytes.length >= 3 ? Uint8Array.prototype.slice.call(bytes, -3) : Buffer.concat([this.tail, bytes]).subarray(-3);
    const nul = text.indexOf("\0");
    if (nul >= 0) {
      const row = this.rowNumber + 1 + countLines(this.carry) + countLines(text.slice(0, nul));
      return this.fail(`${NOT_CSV_BINARY} (it holds binary data near row ${row})`).take();
    }
    if (!this.parser) {
      const layout = sniffLayout(text);
      this.delimiter = layout.delimiter;
      this.parser = new Papa.Parser({ delimiter: layout.delimiter, newline: layout.newline });
    }
    const input = this.carry + text;
    const result = this.parser.parse(input, 0, !final) as PapaChunk;
    this.carry = final ? "" : input.slice(result.meta.cursor);
    const unclosed = result.errors.find((error) => error.code === "MissingQuotes");
    if (unclosed) {
      const row = this.rowNumber + (unclosed.row ?? 0) + 1;
      return this.fail(
        `Row ${row} opens a quote (") that is never closed, so the rest of the file would be one cell`,
      ).take();
    }
    for (const fields of result.data) {
      this.record(fields);
      if (this.finished) return this.take();
    }
    if (this.carry.length > MAX_RECORD_CHARS) {
      this.fail(`Row ${this.rowNumber + 1} is over 1 MB long: a quote (") in it is probably never closed`);
    } else if (final) {
      this.finish();
    }
    return this.take();
  }

  private record(fields: string[]): void {
    this.rowNumber++;
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

  private finish(): void {
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

  private encodingReason(bytes: Uint8Array, final: boolean): string {
    const joined = Buffer.concat([this.tail, bytes]);
    const bad = firstInvalidUtf8(joined);
    if (bad < 0 && final) {
      return (
        "The file ends in the middle of a character: it was cut short or is not UTF-8 text. " +
        'Save it as "CSV UTF-8" and upload again.'
      );
    }
    const before = Buffer.from(bytes.buffer, bytes.byteOffset, Math.max(0, bad - this.tail.length));
    const row = this.rowNumber + 1 + countLines(this.carry) + countLines(before.toString("latin1"));
    return notUtf8Reason(joined, bad, this.bytesRead - joined.length + Math.max(bad, 0), row);
  }

  private flush(): void {
    if (this.batch.length) this.events.push({ type: "batch", rows: this.batch });
    this.batch = [];
  }

  private fail(reason: string): this {
    this.events.push({ type: "fatal", reason });
    this.finished = true;
    this.batch = [];
    this.carry = "";
    return this;
  }

  private take(): ParseEvent[] {
    const events = this.events;
    this.events = [];
    return events;
  }
}

function countLines(text: string): number {
  let lines = 0;
  for (let at = text.indexOf("\n"); at >= 0; at = text.indexOf("\n", at + 1)) lines++;
  return lines;
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
