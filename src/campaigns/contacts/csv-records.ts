import Papa from "papaparse";
import {
  NOT_CSV_BINARY,
  firstInvalidUtf8,
  notUtf8Reason,
  sniffLayout,
  sniffNotCsv,
  type Delimiter,
} from "./csv-sniff.ts";

/** Bytes gathered before deciding whether the file is CSV and how it is delimited. */
const SAMPLE_BYTES = 64 * 1024;
/**
 * A record this long means a quote that never closes: the parser would otherwise buffer the
 * rest of the file as one cell.
 */
const MAX_RECORD_CHARS = 1 << 20;

interface PapaChunk {
  data: string[][];
  errors: Papa.ParseError[];
  meta: { cursor: number };
}

/**
 * The streaming front end every CSV reader shares (a contacts upload, an opt-out list): byte
 * chunks in, records out, synchronously, one chunk at a time. It sniffs the first 64 KB (not CSV
 * at all? which delimiter and newline?), decodes strict UTF-8 across chunk boundaries, and
 * refuses binary data, a quote that never closes and a record over 1 MB, naming the row. A
 * subclass reads the records (`record`, with `rowNumber` already counting this one; blank rows
 * count too, as in a spreadsheet) and says what the end means (`finish`); both push events.
 */
export abstract class CsvRecordReader<E> {
  bytesRead = 0;
  finished = false;
  /** The spreadsheet row number of the record being read. */
  protected rowNumber = 0;
  protected delimiter: Delimiter = ",";
  protected events: E[] = [];
  private sample: Uint8Array[] | null = [];
  private sampleBytes = 0;
  private readonly decoder = new TextDecoder("utf-8", { fatal: true });
  /** The last bytes of the previous chunk, to locate an encoding error split across chunks. */
  private tail: Uint8Array = new Uint8Array(0);
  private parser: Papa.Parser | undefined;
  /** Text after the last complete record, parsed again with the next chunk. */
  private carry = "";

  /** Reads one record; may call `fail`, which stops the reading. */
  protected abstract record(fields: string[]): void;
  /** The whole file was read: push what the end means (or `fail`). */
  protected abstract finish(): void;
  /** The event that refuses the file with this reason. */
  protected abstract fatal(reason: string): E;

  push(chunk: Uint8Array): E[] {
    if (this.finished || chunk.length === 0) return [];
    this.bytesRead += chunk.length;
    if (!this.sample) return this.feed(chunk, false);
    this.sample.push(chunk);
    this.sampleBytes += chunk.length;
    return this.sampleBytes < SAMPLE_BYTES ? [] : this.start(false);
  }

  end(): E[] {
    if (this.finished) return [];
    return this.sample ? this.start(true) : this.feed(new Uint8Array(0), true);
  }

  /** Refuses the file: nothing after this is read. Subclasses may first hand on what they hold. */
  protected fail(reason: string): this {
    this.events.push(this.fatal(reason));
    this.finished = true;
    this.carry = "";
    return this;
  }

  protected take(): E[] {
    const events = this.events;
    this.events = [];
    return events;
  }

  private start(final: boolean): E[] {
    const sample = Buffer.concat(this.sample!);
    this.sample = null;
    const notCsv = sniffNotCsv(sample);
    if (notCsv) return this.fail(notCsv).take();
    return this.feed(sample, final);
  }

  private feed(bytes: Uint8Array, final: boolean): E[] {
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
      this.rowNumber++;
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
}

function countLines(text: string): number {
  let lines = 0;
  for (let at = text.indexOf("\n"); at >= 0; at = text.indexOf("\n", at + 1)) lines++;
  return lines;
}
