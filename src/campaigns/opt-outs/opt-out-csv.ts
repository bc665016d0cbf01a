import type { Readable } from "node:stream";
import type { CountryCode } from "libphonenumber-js";
import Papa from "papaparse";
import { normalizeFieldName } from "../fields.ts";
import { normalizePhone } from "../contacts/normalize.ts";
import { sniffLayout, sniffNotCsv } from "../contacts/csv-sniff.ts";

/**
 * An opt-out list as organizers have them: any CSV with one or more columns of phone numbers,
 * with or without a header row. A column counts when its header names a phone (phone, mobile,
 * cell, number, "Home Phone"…); without such a header, when most of its values read as phone
 * numbers. Read as it downloads, like the contacts CSV (papaparse over UTF-8 chunks).
 */
export type OptOutCsvEvent =
  | { type: "columns"; labels: string[]; headerRow: boolean }
  | { type: "batch"; entries: OptOutEntry[]; rows: number }
  | { type: "fatal"; reason: string; rows: number }
  | { type: "done"; rows: number };

/** One phone cell (or a row without any): a number, or why it is not one. */
export type OptOutEntry =
  { rowNumber: number; phone: string } | { rowNumber: number; phone?: undefined; reason: string };

export interface OptOutCsvOptions {
  defaultCountry: CountryCode;
  /** Entries per batch event (default 1000). */
  batchSize?: number;
  onProgress?: (bytesRead: number) => void;
}

const SAMPLE_BYTES = 64 * 1024;
const MAX_RECORD_CHARS = 1 << 20;
/** Rows looked at to find the phone column when no header names one. */
const DETECT_ROWS = 50;

interface PapaChunk {
  data: string[][];
  errors: Papa.ParseError[];
  meta: { cursor: number };
}

/** A header that names a phone column: the contacts CSV's names, and any "… phone", "mobile …", "cell …". */
export function isPhoneHeader(header: string): boolean {
  const key = normalizeFieldName(header);
  if (!key) return false;
  return (
    ["phone", "cell", "cellphone", "mobile", "phonenumber", "number", "tel", "telephone", "msisdn"].includes(key) ||
    key.includes("phone") ||
    key.includes("mobile") ||
    key.startsWith("cell") ||
    key.endsWith("cell")
  );
}

export async function* parseOptOutCsv(
  input: Readable | AsyncIterable<Uint8Array>,
  opts: OptOutCsvOptions,
): AsyncGenerator<OptOutCsvEvent, void, undefined> {
  const reader = new OptOutCsvReader(opts);
  for await (const chunk of input as AsyncIterable<Uint8Array | string>) {
    yield* reader.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
    opts.onProgress?.(reader.bytesRead);
    if (reader.finished) return;
  }
  yield* reader.end();
}

interface Columns {
  indexes: number[];
  labels: string[];
}

export class OptOutCsvReader {
  bytesRead = 0;
  finished = false;
  private sample: Uint8Array[] | null = [];
  private sampleBytes = 0;
  private readonly decoder = new TextDecoder("utf-8", { fatal: true });
  private parser: Papa.Parser | undefined;
  private carry = "";
  /** The spreadsheet row number of the last record read (blank rows count). */
  private rowNumber = 0;
  /** Data rows read (not the header, not blank rows). */
  private rows = 0;
  /** Rows kept until the phone columns are known. */
  private pending: { rowNumber: number; fields: string[] }[] = [];
  private columns: Columns | undefined;
  private entries: OptOutEntry[] = [];
  private events: OptOutCsvEvent[] = [];
  private readonly batchSize: number;

  constructor(private readonly opts: OptOutCsvOptions) {
    this.batchSize = Math.max(1, opts.batchSize ?? 1000);
  }

  push(chunk: Uint8Array): OptOutCsvEvent[] {
    if (this.finished || chunk.length === 0) return [];
    this.bytesRead += chunk.length;
    if (!this.sample) return this.feed(chunk, false);
    this.sample.push(chunk);
    this.sampleBytes += chunk.length;
    return this.sampleBytes < SAMPLE_BYTES ? [] : this.start(false);
  }

  end(): OptOutCsvEvent[] {
    if (this.finished) return [];
    return this.sample ? this.start(true) : this.feed(new Uint8Array(0), true);
  }

  private start(final: boolean): OptOutCsvEvent[] {
    const sample = Buffer.concat(this.sample!);
    this.sample = null;
    const notCsv = sniffNotCsv(sample);
    if (notCsv) return this.fail(notCsv).take();
    return this.feed(sample, final);
  }

  private feed(bytes: Uint8Array, final: boolean): OptOutCsvEvent[] {
    let text: string;
    try {
      text = this.decoder.decode(bytes, { stream: !final });
    } catch {
      return this.fail(
        `The file is not UTF-8 text (near row ${this.rowNumber + 1}): save it as "CSV UTF-8" and upload again`,
      ).take();
    }
    if (text.includes("\0")) return this.fail("This looks like a binary file, not CSV: save it as CSV UTF-8").take();
    if (!this.parser) {
      const layout = sniffLayout(text);
      this.parser = new Papa.Parser({ delimiter: layout.delimiter, newline: layout.newline });
    }
    const input = this.carry + text;
    const result = this.parser.parse(input, 0, !final) as PapaChunk;
    this.carry = final ? "" : input.slice(result.meta.cursor);
    const unclosed = result.errors.find((error) => error.code === "MissingQuotes");
    if (unclosed) {
      const row = this.rowNumber + (unclosed.row ?? 0) + 1;
      return this.fail(`Row ${row} opens a quote (") that is never closed`).take();
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
    if (fields.every((field) => field.trim() === "")) return;
    if (this.columns) return this.entry(this.rowNumber, fields);
    this.pending.push({ rowNumber: this.rowNumber, fields });
    if (this.pending.length === 1) {
      const named = fields.flatMap((cell, index) => (isPhoneHeader(cell) ? [index] : []));
      if (named.length) {
        this.pending = [];
        this.useColumns(
          { indexes: named, labels: named.map((index) => fields[index]!.trim().replace(/^\uFEFF/, "")) },
          true,
        );
      }
      return;
    }
    if (this.pending.length >= DETECT_ROWS) this.detect();
  }

  /** No header names a phone column: the columns where most values are phone numbers. */
  private detect(): void {
    const [first, ...rest] = this.pending;
    this.pending = [];
    if (!first) return;
    const looked = rest.length ? rest : [first];
    const width = Math.max(...looked.map((row) => row.fields.length));
    const indexes: number[] = [];
    for (let index = 0; index < width; index++) {
      let filled = 0;
      let phones = 0;
      for (const { fields } of looked) {
        const cell = cleanCell(fields[index]);
        if (!cell) continue;
        filled++;
        if (normalizePhone(cell, this.opts.defaultCountry).ok) phones++;
      }
      if (phones > 0 && phones * 2 >= filled) indexes.push(index);
    }
    if (!indexes.length) {
      this.fail(
        "No column of phone numbers: name the column holding them phone (or mobile, cell, number), " +
          "or check the file holds phone numbers",
      );
      return;
    }
    // A header names its columns; a first row whose phone cells hold digits is a number too.
    const headerRow = rest.length > 0 && indexes.every((index) => !/\d/.test(first.fields[index] ?? ""));
    const labels = indexes.map((index) => (headerRow && first.fields[index]?.trim()) || `column ${index + 1}`);
    this.useColumns({ indexes, labels }, headerRow);
    for (const row of headerRow ? rest : [first, ...rest]) this.entry(row.rowNumber, row.fields);
  }

  private useColumns(columns: Columns, headerRow: boolean): void {
    this.columns = columns;
    this.events.push({ type: "columns", labels: columns.labels, headerRow });
  }

  private entry(rowNumber: number, fields: string[]): void {
    const { indexes, labels } = this.columns!;
    this.rows++;
    let any = false;
    indexes.forEach((index, i) => {
      const cell = cleanCell(fields[index]);
      if (!cell) return;
      any = true;
      const phone = normalizePhone(cell, this.opts.defaultCountry);
      if (phone.ok) this.entries.push({ rowNumber, phone: phone.e164 });
      else
        this.entries.push({ rowNumber, reason: indexes.length > 1 ? `${labels[i]}: ${phone.reason}` : phone.reason });
    });
    if (!any) this.entries.push({ rowNumber, reason: "missing phone" });
    if (this.entries.length >= this.batchSize) this.flush();
  }

  private finish(): void {
    if (!this.columns) {
      if (this.pending.length === 0) return void this.fail("The file is empty");
      this.detect();
      if (this.finished) return;
    }
    if (this.rows === 0) return void this.fail("The file has a header row but no phone numbers");
    this.flush();
    this.finished = true;
    this.events.push({ type: "done", rows: this.rows });
  }

  private flush(): void {
    if (this.entries.length) this.events.push({ type: "batch", entries: this.entries, rows: this.rows });
    this.entries = [];
  }

  private fail(reason: string): this {
    // The rows read before the refusal are handed on; nothing after it is read.
    this.flush();
    this.events.push({ type: "fatal", reason, rows: this.rows });
    this.finished = true;
    this.carry = "";
    return this;
  }

  private take(): OptOutCsvEvent[] {
    const events = this.events;
    this.events = [];
    return events;
  }
}

/** A cell as typed, without a BOM or the apostrophe an export puts before "+1…" for spreadsheets. */
function cleanCell(cell: string | undefined): string {
  return (cell ?? "")
    .trim()
    .replace(/^\uFEFF/, "")
    .replace(/^'/, "");
}
