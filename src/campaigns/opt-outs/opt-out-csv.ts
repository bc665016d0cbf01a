import type { Readable } from "node:stream";
import type { CountryCode } from "libphonenumber-js";
import { normalizeFieldName } from "../fields.ts";
import { normalizePhone } from "../contacts/normalize.ts";
import { CsvRecordReader } from "../contacts/csv-records.ts";

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

/** Rows looked at to find the phone column when no header names one. */
const DETECT_ROWS = 50;

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

export class OptOutCsvReader extends CsvRecordReader<OptOutCsvEvent> {
  /** Rows kept until the phone columns are known. */
  private pending: { rowNumber: number; fields: string[] }[] = [];
  private columns: Columns | undefined;
  private entries: OptOutEntry[] = [];
  /** Data rows read (not the header, not blank rows). */
  private rows = 0;
  private readonly batchSize: number;

  constructor(private readonly opts: OptOutCsvOptions) {
    super();
    this.batchSize = Math.max(1, opts.batchSize ?? 1000);
  }

  protected record(fields: string[]): void {
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

  protected finish(): void {
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

  protected fatal(reason: string): OptOutCsvEvent {
    return { type: "fatal", reason, rows: this.rows };
  }

  protected override fail(reason: string): this {
    // The rows read before the refusal are handed on; nothing after it is read.
    this.flush();
    return super.fail(reason);
  }
}

/** A cell as typed, without a BOM or the apostrophe an export puts before "+1…" for spreadsheets. */
function cleanCell(cell: string | undefined): string {
  return (cell ?? "")
    .trim()
    .replace(/^\uFEFF/, "")
    .replace(/^'/, "");
}
