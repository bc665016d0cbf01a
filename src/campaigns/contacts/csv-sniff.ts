/**
 * What the first bytes of an upload say about it, before any row is read: whether it is text
 * at all, which encoding mistakes it shows, and how its rows and fields are separated.
 * Organizers upload what their spreadsheet gave them, so every refusal says what to do instead.
 */

export const NOT_CSV_BINARY = "This looks like an Excel/binary file, not CSV: save it as CSV UTF-8 and upload again";
export const NOT_CSV_UTF16 =
  'This file is UTF-16 text (Excel\'s "Unicode Text"), not CSV UTF-8: save it as "CSV UTF-8" and upload again';
export const NOT_CSV_HTML =
  "This is a web page (HTML), not CSV: download the sheet as CSV (in Google Sheets: File › Download › " +
  "Comma-separated values) and upload again";

const startsWith = (bytes: Uint8Array, magic: number[]) => magic.every((byte, i) => bytes[i] === byte);

/** Why the sample is not CSV text, or undefined when it may be. */
export function sniffNotCsv(sample: Uint8Array): string | undefined {
  // .xlsx/.ods/.docx are ZIP archives; .xls and old Office files are OLE2 compound files.
  if (startsWith(sample, [0x50, 0x4b, 0x03, 0x04]) || startsWith(sample, [0x50, 0x4b, 0x05, 0x06]))
    return NOT_CSV_BINARY;
  if (startsWith(sample, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])) return NOT_CSV_BINARY;
  if (startsWith(sample, [0xff, 0xfe]) || startsWith(sample, [0xfe, 0xff])) return NOT_CSV_UTF16;

  const head = sample.subarray(0, 4096);
  let nulsAtOdd = 0;
  let nulsAtEven = 0;
  let controls = 0;
  for (let i = 0; i < head.length; i++) {
    const byte = head[i]!;
    if (byte === 0) {
      if (i % 2) nulsAtOdd++;
      else nulsAtEven++;
    } else if ((byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d && byte !== 0x0c) || byte === 0x7f) {
      controls++;
    }
  }
  const nuls = nulsAtOdd + nulsAtEven;
  // UTF-16 without a BOM: ASCII text with a NUL in every other byte.
  if (nuls > head.length / 4 && (nulsAtOdd === 0 || nulsAtEven === 0)) return NOT_CSV_UTF16;
  // Text never holds NUL, and a few stray control characters are tolerated but not a binary's worth.
  if (nuls > 0 || controls > head.length / 50) return NOT_CSV_BINARY;
  const text = new TextDecoder()
    .decode(head.subarray(0, 512))
    .replace(/^\uFEFF/, "")
    .trimStart()
    .toLowerCase();
  if (text.startsWith("<!doctype html") || text.startsWith("<html")) return NOT_CSV_HTML;
  return undefined;
}

export type Delimiter = "," | ";" | "\t";
export type Newline = "\n" | "\r";

/**
 * The delimiter is the candidate seen most often outside quotes in the header line, preferring
 * one that splits the next lines into as many fields (ties go to the comma): header names rarely
 * hold delimiters, while data cells (addresses, notes) often do.
 * The newline is "\n" for both LF and CRLF files — the "\r" left at the end of a row is trimmed
 * with the cell, and files mixing both still split — and "\r" when the first row ends with a lone
 * "\r" (old Mac files).
 */
export function sniffLayout(text: string): { delimiter: Delimiter; newline: Newline } {
  const fresh = (): Record<Delimiter, number> => ({ ",": 0, ";": 0, "\t": 0 });
  const lines: Record<Delimiter, number>[] = [];
  let counts = fresh();
  let inQuotes = false;
  let newline: Newline | undefined;
  for (let i = 0; i < text.length && lines.length < 6; i++) {
    const char = text[i]!;
    if (char === '"') inQuotes = !inQuotes;
    else if (inQuotes) continue;
    else if (char === "," || char === ";" || char === "\t") counts[char]++;
    else if (char === "\n" || char === "\r") {
      if (char === "\r" && text[i + 1] === "\n") continue; // CRLF: the "\n" ends the line
      newline ??= char;
      lines.push(counts);
      counts = fresh();
    }
  }
  if (lines.length === 0) lines.push(counts);
  const [header, ...rest] = lines as [Record<Delimiter, number>, ...Record<Delimiter, number>[]];
  const score = (d: Delimiter) => [
    header[d] > 0 ? 1 : 0,
    rest.filter((line) => line[d] === header[d]).length,
    header[d],
  ];
  const better = (a: Delimiter, b: Delimiter) => {
    const [sa, sb] = [score(a), score(b)];
    const diff = sa.findIndex((value, i) => value !== sb[i]);
    return diff >= 0 && sa[diff]! > sb[diff]! ? a : b;
  };
  const delimiter = ([";", "\t"] as const).reduce<Delimiter>((best, d) => better(d, best), ",");
  return { delimiter, newline: newline ?? "\n" };
}

/**
 * Offset of the first byte that is not valid UTF-8, or -1 if none can be pinned down (the
 * decoder also refuses a sequence cut off by the end of the file). Leading continuation bytes
 * belong to a character begun in the previous chunk and are skipped.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < 3 && i < bytes.length && (bytes[i]! & 0xc0) === 0x80) i++;
  while (i < bytes.length) {
    const lead = bytes[i]!;
    if (lead < 0x80) {
      i++;
      continue;
    }
    const extra =
      lead >= 0xc2 && lead <= 0xdf ? 1 : lead >= 0xe0 && lead <= 0xef ? 2 : lead >= 0xf0 && lead <= 0xf4 ? 3 : 0;
    if (extra === 0) return i;
    const second = bytes[i + 1];
    if (second === undefined) return -1;
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF.
    if ((lead === 0xe0 && second < 0xa0) || (lead === 0xed && second >= 0xa0)) return i;
    if ((lead === 0xf0 && second < 0x90) || (lead === 0xf4 && second >= 0x90)) return i;
    for (let k = 1; k <= extra; k++) {
      const next = bytes[i + k];
      if (next === undefined) return -1;
      if ((next & 0xc0) !== 0x80) return i;
    }
    i += extra + 1;
  }
  return -1;
}

/**
 * The refusal for a file that is not UTF-8. Excel on Windows saves plain "CSV" in Windows-1252,
 * where "é" is the lone byte 0xE9: a high byte not followed by continuation bytes is its mark, and
 * the snippet is shown decoded that way so the organizer recognizes the cell.
 */
export function notUtf8Reason(bytes: Uint8Array, badIndex: number, byteOffset: number, rowNear: number): string {
  const advice = 'Save it as "CSV UTF-8" and upload again.';
  if (badIndex < 0) return `The file is not UTF-8 text (near row ${rowNear}). ${advice}`;
  const bad = bytes[badIndex]!;
  const next = bytes[badIndex + 1];
  const looksWindows1252 = next === undefined || (next & 0xc0) !== 0x80;
  const decoder = new TextDecoder(looksWindows1252 ? "windows-1252" : "utf-8");
  const before = decoder
    .decode(bytes.subarray(Math.max(0, badIndex - 20), badIndex))
    .split(/[\r\n]/)
    .pop()!;
  const after = decoder.decode(bytes.subarray(badIndex, badIndex + 20)).split(/[\r\n]/)[0]!;
  const snippet = (before + after).trim();
  const where = `near row ${rowNear} (byte ${byteOffset + 1}${snippet ? `, "${snippet}"` : ""})`;
  const hex = `0x${bad.toString(16).toUpperCase().padStart(2, "0")}`;
  const guess = looksWindows1252
    ? ' It looks like Windows-1252/Latin-1 (what Excel saves as plain "CSV"): in Excel choose Save As › "CSV UTF-8", ' +
      "or in Google Sheets download as CSV, and upload again."
    : ` ${advice}`;
  return `The file is not UTF-8 text: ${where} has a byte (${hex}) that is not valid UTF-8.${guess}`;
}
