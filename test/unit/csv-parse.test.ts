import { Readable } from "node:stream";
import type { CountryCode } from "libphonenumber-js";
import { parsePhoneNumberFromString } from "libphonenumber-js/max";
import { describe, expect, it } from "vitest";
import {
  normalizePhone,
  normalizeZip,
  parseContactsCsv,
  type ParseEvent,
} from "../../src/campaigns/contacts/csv-parse.ts";

function chunks(bytes: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) out.push(bytes.subarray(at, at + size));
  return out;
}

async function parse(csv: string | Buffer, opts: { chunk?: number; country?: CountryCode; batchSize?: number } = {}) {
  const bytes = typeof csv === "string" ? Buffer.from(csv) : csv;
  const events: ParseEvent[] = [];
  const progress: number[] = [];
  const input = Readable.from(chunks(bytes, opts.chunk ?? 65536));
  const options = {
    defaultCountry: opts.country ?? "US",
    batchSize: opts.batchSize,
    onProgress: (n: number) => progress.push(n),
  };
  for await (const event of parseContactsCsv(input, options)) events.push(event);
  const pick = <T extends ParseEvent["type"]>(type: T) =>
    events.find((e): e is Extract<ParseEvent, { type: T }> => e.type === type);
  return {
    events,
    progress,
    header: pick("header")?.columns,
    rows: events.flatMap((e) => (e.type === "batch" ? e.rows : [])),
    fatal: pick("fatal")?.reason,
    done: pick("done"),
  };
}

const contacts = async (csv: string | Buffer, opts?: Parameters<typeof parse>[1]) =>
  (await parse(csv, opts)).rows.map((row) => (row.ok ? row.contact : row));

describe("parseContactsCsv: files refused before any row", () => {
  it.each([
    ["zero bytes", ""],
    ["only a BOM", "\uFEFF"],
    ["only blank lines", "\r\n\r\n  \n"],
  ])("%s is empty", async (_name, csv) => {
    expect((await parse(csv)).fatal).toBe("The file is empty");
  });

  it("a header without rows has no contacts", async () => {
    const result = await parse("Phone,First Name\r\n,\r\n\r\n");
    expect(result.header?.known.phone).toBe(0);
    expect(result.fatal).toBe("The file has a header row but no contacts");
    expect(result.done).toBeUndefined();
  });

  it("no phone column lists the columns found and the accepted names", async () => {
    const { fatal } = await parse("Name,Tel,Email\nAnn,202-555-0123,a@b.c\n");
    expect(fatal).toContain('the columns found are "Name", "Tel", "Email"');
    expect(fatal).toContain("phone, cell, cellphone, mobile, phonenumber, number");
  });

  it("a first row of data instead of names asks for a header row", async () => {
    expect((await parse("(202) 555-0123,Ann\n(202) 555-0124,Bo\n")).fatal).toMatch(
      /looks like a contact: add a header row/,
    );
  });

  const excel = "This looks like an Excel/binary file, not CSV: save it as CSV UTF-8 and upload again";
  it.each([
    [
      "an .xlsx renamed .csv",
      Buffer.concat([Buffer.from("PK\x03\x04\x14\x00\x06\x00", "latin1"), Buffer.alloc(2000, 7)]),
    ],
    ["an old .xls", Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0, 1])],
    ["text with NUL bytes", Buffer.from("phone,name\n2025550123,A\0nn\n")],
    ["random binary", Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919) % 256))],
  ])("%s is binary", async (_name, bytes) => {
    expect((await parse(bytes)).fatal).toBe(excel);
  });

  it("NUL bytes past the sample are found with their row", async () => {
    const csv = `phone\n${"2025550123\n".repeat(10000)}20255\u000050123\n`;
    expect((await parse(csv)).fatal).toBe(`${excel} (it holds binary data near row 10002)`);
  });

  it.each([
    [
      "with a BOM",
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("phone\tname\r\n2025550123\tAnn\r\n", "utf16le")]),
    ],
    ["without a BOM", Buffer.from("phone\tname\r\n2025550123\tAnn\r\n", "utf16le")],
  ])("UTF-16 %s is refused", async (_name, bytes) => {
    expect((await parse(bytes)).fatal).toMatch(/UTF-16 .*save it as "CSV UTF-8"/);
  });

  it("an HTML page (a share link, not a download) is refused", async () => {
    expect((await parse("<!DOCTYPE html>\n<html><body>Sign in</body></html>")).fatal).toMatch(/web page \(HTML\)/);
  });

  it("Windows-1252 text says so, with the row and the cell decoded", async () => {
    const bytes = Buffer.concat([
      Buffer.from("phone,first\n2025550123,Ann\n2025550124,Jos"),
      Buffer.from([0xe9]),
      Buffer.from("\n"),
    ]);
    for (const chunk of [1, 5, 65536]) {
      const { fatal } = await parse(bytes, { chunk });
      expect(fatal).toMatch(/^The file is not UTF-8 text: near row 3 \(byte 42, "2025550124,José"\)/);
      expect(fatal).toContain("Windows-1252/Latin-1");
      expect(fatal).toContain('"CSV UTF-8"');
    }
  });

  it("invalid UTF-8 deep in the file is fatal even after batches", async () => {
    const bytes = Buffer.concat([
      Buffer.from(`phone\n${"2025550123\n".repeat(20000)}`),
      Buffer.from([0xc3, 0x28, 0x0a]),
    ]);
    const result = await parse(bytes);
    expect(result.rows.length).toBeGreaterThan(0);
    expect(result.fatal).toMatch(/not UTF-8 text: near row 20002 .*0xC3/);
    expect(result.events.at(-1)?.type).toBe("fatal");
  });

  it("a file cut off inside a character is refused", async () => {
    const { fatal } = await parse(
      Buffer.concat([Buffer.from("phone,name\n2025550123,Ann "), Buffer.from([0xf0, 0x9f])]),
    );
    expect(fatal).toMatch(/ends in the middle of a character/);
  });

  it("duplicate headers after normalization are named", async () => {
    const { fatal } = await parse("Phone,First Name,phone,first_name,City\n1,2,3,4,5\n");
    expect(fatal).toContain('"Phone" and "phone"; "First Name" and "first_name"');
  });

  it("two aliases of one field are refused rather than guessed", async () => {
    expect((await parse("Phone,Cell Phone\n2025550123,2025550124\n")).fatal).toBe(
      'Columns "Phone" and "Cell Phone" both mean the phone column: keep one (or rename the others) and upload again.',
    );
  });

  it("an unclosed quote is fatal, not one giant cell", async () => {
    expect((await parse('phone,notes\n2025550123,"ok"\n2025550124,"oops\n2025550125,x\n')).fatal).toMatch(
      /^Row 3 opens a quote/,
    );
    const long = `phone,notes\n2025550123,"${"x".repeat(1_200_000)}`;
    expect((await parse(long)).fatal).toMatch(/^Row 2 is over 1 MB long/);
  });

  it("a fatal stops reading the input", async () => {
    const input = Readable.from([
      Buffer.from("PK\x03\x04", "latin1"),
      ...Array.from({ length: 50 }, () => Buffer.alloc(65536, 1)),
    ]);
    const events: ParseEvent[] = [];
    for await (const event of parseContactsCsv(input, { defaultCountry: "US" })) events.push(event);
    expect(events).toEqual([{ type: "fatal", reason: excel }]);
    expect(input.destroyed).toBe(true);
  });
});

describe("parseContactsCsv: layout", () => {
  const expected = [
    { phone: "+12025550123", firstName: "Ann", lastName: "Lee", customFields: { city: "Austin, TX" } },
    { phone: "+12025550124", firstName: "Bo", lastName: null, customFields: { city: "Line one\nline two" } },
  ];
  it.each([
    ["comma, LF", 'phone,first,last,city\n2025550123,Ann,Lee,"Austin, TX"\n2025550124,Bo,,"Line one\nline two"\n'],
    [
      "BOM and CRLF",
      '\uFEFFphone,first,last,city\r\n2025550123,Ann,Lee,"Austin, TX"\r\n2025550124,Bo,,"Line one\nline two"',
    ],
    ["semicolon", 'phone;first;last;city\n2025550123;Ann;Lee;Austin, TX\n2025550124;Bo;;"Line one\nline two"\n'],
    [
      "tab",
      'phone\tfirst\tlast\tcity\r\n2025550123\tAnn\tLee\tAustin, TX\r\n2025550124\tBo\t\t"Line one\nline two"\r\n',
    ],
    ["old Mac CR", 'phone,first,last,city\r2025550123,Ann,Lee,"Austin, TX"\r2025550124,Bo,,"Line one\nline two"\r'],
    [
      "quotes everywhere",
      '"phone","first","last","city"\r\n"2025550123","Ann","Lee","Austin, TX"\r\n"2025550124","Bo","","Line one\nline two"\r\n',
    ],
  ])("%s", async (_name, csv) => {
    for (const chunk of [1, 3, 65536]) {
      expect(await contacts(csv, { chunk })).toMatchObject(expected);
    }
  });

  it("reports the delimiter", async () => {
    expect((await parse("phone;name, suffix\n2025550123;Ann\n")).header?.delimiter).toBe(";");
    expect((await parse("phone\tname\n2025550123\tAnn\n")).header?.delimiter).toBe("\t");
    expect((await parse("phone\n2025550123\n")).header?.delimiter).toBe(",");
  });

  it("numbers rows as a spreadsheet does: records, not lines, and blank rows count", async () => {
    const { rows, done } = await parse('phone,notes\n2025550123,"a\nb\nc"\n\n,\n555\n2025550124,x\n', { batchSize: 1 });
    expect(rows.map((row) => [row.rowNumber, row.ok])).toEqual([
      [2, true],
      [5, false],
      [6, true],
    ]);
    expect(done).toMatchObject({ rows: 3, valid: 2, invalid: 1 });
  });

  it("a ragged row is invalid on its own; the file goes on", async () => {
    const rows = await contacts(
      "phone,first,last,zip\n2025550123,A,B,20001,extra\n2025550124,A\n2025550125,A,B,20001\n",
    );
    expect(rows).toEqual([
      {
        ok: false,
        rowNumber: 2,
        reason: "has 5 fields, header has 4 — put double quotes around a cell that contains a comma",
      },
      { ok: false, rowNumber: 3, reason: "has 2 fields, header has 4 — add the missing cells (empty ones are fine)" },
      expect.objectContaining({ phone: "+12025550125" }),
    ]);
  });

  it("header aliases, custom columns and blank-named columns", async () => {
    const { header, rows } = await parse(
      "Cell Phone,First-Name,Last_Name,VANID,Zip5,Time Zone,Favorite Issue,,Home-Phone\n" +
        "202.555.0123,Zoë,Ñúñez,V-1,20001-1234, America/New_York ,Housing,dropped,\n",
    );
    expect(header).toEqual({
      delimiter: ",",
      headers: [
        "Cell Phone",
        "First-Name",
        "Last_Name",
        "VANID",
        "Zip5",
        "Time Zone",
        "Favorite Issue",
        "",
        "Home-Phone",
      ],
      known: { phone: 0, first_name: 1, last_name: 2, external_id: 3, zip: 4, timezone: 5 },
      custom: [
        { index: 6, key: "favoriteissue", header: "Favorite Issue" },
        { index: 8, key: "homephone", header: "Home-Phone" },
      ],
      ignored: [7],
    });
    expect(rows[0]).toEqual({
      ok: true,
      rowNumber: 2,
      contact: {
        phone: "+12025550123",
        firstName: "Zoë",
        lastName: "Ñúñez",
        zip: "20001",
        timezone: "America/New_York",
        externalId: "V-1",
        customFields: { favoriteissue: "Housing" },
      },
    });
  });

  it("a BOM mangled into ï»¿ still finds the phone column", async () => {
    expect((await parse("ï»¿Phone,Name\n2025550123,Ann\n")).header?.known.phone).toBe(0);
  });

  it("cells starting with = + - @ are kept verbatim; +1 in the phone column is a phone", async () => {
    const [contact] = await contacts(
      'phone,first,last,notes,tag\n+1 202 555 0123,=HYPERLINK("x"),-Lee,@here,+cmd|calc\n',
    );
    expect(contact).toMatchObject({
      phone: "+12025550123",
      firstName: '=HYPERLINK("x")',
      lastName: "-Lee",
      customFields: { notes: "@here", tag: "+cmd|calc" },
    });
  });

  it("UTF-8 accents and emoji survive chunk boundaries inside characters", async () => {
    const csv = "phone,first,last,note\n2025550123,José,Ødegård,🗳️ voted ✅\n2025550124,Zoë,Nguyễn,日本語\n";
    const whole = await contacts(csv);
    expect(whole[0]).toMatchObject({ firstName: "José", lastName: "Ødegård", customFields: { note: "🗳️ voted ✅" } });
    expect(whole[1]).toMatchObject({ lastName: "Nguyễn", customFields: { note: "日本語" } });
    for (const chunk of [1, 2, 3, 5, 7, 13]) expect(await contacts(csv, { chunk })).toEqual(whole);
  });

  it("reports progress in bytes read", async () => {
    const csv = `phone\n${"2025550123\n".repeat(30000)}`;
    const { progress } = await parse(csv, { chunk: 50000 });
    expect(progress.at(-1)).toBe(Buffer.byteLength(csv));
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  });
});

describe("normalizePhone", () => {
  it.each([
    ["(202) 555-0123", "+12025550123"],
    ["202.555.0123", "+12025550123"],
    ["1-202-555-0123", "+12025550123"],
    ["+1 (415) 867-5309", "+14158675309"],
    ["2025550123.0", "+12025550123"],
    ["415.867.5309 ext 12", "+14158675309"],
    ["+44 7911 123456", "+447911123456"],
    ["+44 20 7946 0958", "+442079460958"],
    ["(416) 555-0199", "+14165550199"],
  ])("%s → %s", (raw, e164) => {
    expect(normalizePhone(raw, "US")).toEqual({ ok: true, e164 });
  });

  it.each([
    ["", "missing phone"],
    ["   ", "missing phone"],
    ["555-12", "too short"],
    ["911", "too short"],
    ["12345678901234567", "too long"],
    ["call me", "not a phone number"],
    ["555-123-4567", "not a valid US number"],
    ["123-456-7890", "not a valid US number"],
    ["+44 5911 123456", "not a valid GB number"],
    ["+44 20 7946 09588", "too long"],
    ["2.02555E+09", '"2.02555E+09" lost its digits in Excel\'s scientific notation: format the column as text'],
  ])("%j is refused: %s", (raw, reason) => {
    expect(normalizePhone(raw, "US")).toEqual({ ok: false, reason });
  });

  it("uses the default region for national numbers", () => {
    expect(normalizePhone("07911 123456", "GB")).toEqual({ ok: true, e164: "+447911123456" });
    expect(normalizePhone("+1 202 555 0123", "GB")).toEqual({ ok: true, e164: "+12025550123" });
  });

  it("the NANP fast path agrees with full parsing", () => {
    let seed = 12345;
    const random = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
    for (let i = 0; i < 20000; i++) {
      const digits = String(1_000_000_000 + random(900_000_000) * 10 + random(10));
      const raw = [
        digits,
        `(${digits.slice(0, 3)}) ${digits.slice(3, 6)}-${digits.slice(6)}`,
        `+1 ${digits}`,
        `1.${digits}`,
      ][i % 4]!;
      const full = parsePhoneNumberFromString(raw, "US");
      const result = normalizePhone(raw, "US");
      expect(result.ok ? result.e164 : undefined, raw).toBe(full?.isValid() ? full.number : undefined);
    }
  });
});

describe("normalizeZip", () => {
  it.each([
    ["20001", "20001"],
    ["20001-1234", "20001"],
    ["12345-abcd", "12345"],
    ["200011234", "20001"],
    ["2134", "02134"],
    ["2134-5678", "02134"],
    ["21345678", "02134"],
    ["501", "00501"],
    [" 94105 ", "94105"],
    ["", null],
    ["K1A 0B1", "K1A 0B1"],
  ])("%j → %j in the US", (raw, zip) => {
    expect(normalizeZip(raw, "US")).toBe(zip);
  });

  it("keeps other countries' postal codes as typed", () => {
    expect(normalizeZip("0123", "NO")).toBe("0123");
    expect(normalizeZip("SW1A 1AA", "GB")).toBe("SW1A 1AA");
  });
});

describe("parseContactsCsv: large files", () => {
  it("streams 200,000 rows with the right counts", async () => {
    const total = 200_000;
    async function* body() {
      yield Buffer.from("Phone,First Name,Zip,Notes\r\n");
      for (let start = 0; start < total; start += 2000) {
        let text = "";
        for (let i = start; i < start + 2000; i++) {
          const phone = i % 1000 === 999 ? "555-12" : `(202) ${200 + (i % 800)}-${String(i % 10000).padStart(4, "0")}`;
          text += `${phone},Ann ${i},${i % 2 ? "2134" : "20001-0001"},"a, ""quoted"" note"\r\n`;
        }
        yield Buffer.from(text);
      }
    }
    // CPU time, not time on the clock: the parse takes about 1.6 s of either on an idle machine,
    // but beside other work the clock time grows with the load (over 5 s with two busy cores)
    // while the CPU time the parse needs does not.
    const cpuStarted = process.cpuUsage();
    let valid = 0;
    let lastRow = 0;
    const invalidRows: number[] = [];
    let done: ParseEvent | undefined;
    for await (const event of parseContactsCsv(Readable.from(body()), { defaultCountry: "US", batchSize: 5000 })) {
      if (event.type === "batch") {
        for (const row of event.rows) {
          if (row.ok) valid++;
          else invalidRows.push(row.rowNumber);
          lastRow = row.rowNumber;
        }
      } else if (event.type !== "header") done = event;
    }
    expect(done).toEqual({
      type: "done",
      rows: total,
      valid: total - 200,
      invalid: 200,
      bytesRead: expect.any(Number),
    });
    expect(valid).toBe(total - 200);
    expect(invalidRows.slice(0, 2)).toEqual([1001, 2001]);
    expect(lastRow).toBe(total + 1);
    const cpu = process.cpuUsage(cpuStarted);
    expect((cpu.user + cpu.system) / 1000).toBeLessThan(5000);
  });

  it("applies backpressure: reads ahead only a bounded amount", async () => {
    let pulled = 0;
    let closed = false;
    async function* body() {
      try {
        yield Buffer.from("phone,first\n");
        for (let i = 0; i < 2000; i++, pulled++) yield Buffer.from("2025550123,Ann\n".repeat(100));
      } finally {
        closed = true;
      }
    }
    const input = Readable.from(body());
    for await (const event of parseContactsCsv(input, { defaultCountry: "US", batchSize: 100 })) {
      if (event.type === "batch") break;
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(pulled).toBeLessThan(100);
    expect(input.destroyed).toBe(true);
    expect(closed).toBe(true);
  });
});
