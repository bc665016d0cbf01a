import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Harness, ORGANIZER } from "../support/harness.ts";
import { waitFor } from "../support/http-util.ts";
import { onPostgres } from "../support/test-db.ts";

const MB = 1_000_000;

/**
 * A contacts file of about `megabytes` MB, made as it is read (nothing on disk): 2 kB rows with
 * a long notes column, as a CRM export has. `badByteAtRow` puts a Latin-1 "é" in that row.
 */
function bigCsv(megabytes: number, badByteAtRow?: number): { size: number; rows: number; content: () => Readable } {
  const notes = "Met at the Saturday canvass; wants a yard sign; prefers texts after 5pm. ".repeat(26);
  const row = (i: number) => `202${String(2_000_000 + i).padStart(7, "0")},Voter${i},Last${i},20001,"${notes}${i}"\n`;
  const header = "phone,first_name,last_name,zip,notes\n";
  let size = header.length;
  let rows = 0;
  while (size < megabytes * MB) size += row(rows++).length;
  const content = () =>
    Readable.from(
      (function* () {
        yield Buffer.from(header);
        for (let i = 0; i < rows; i += 500) {
          const chunk = Array.from({ length: Math.min(500, rows - i) }, (_, j) => row(i + j)).join("");
          if (badByteAtRow !== undefined && badByteAtRow >= i && badByteAtRow < i + 500) {
            const at = chunk.indexOf("Voter" + badByteAtRow);
            yield Buffer.concat([
              Buffer.from(chunk.slice(0, at)),
              Buffer.from("Jos\xe9 ", "latin1"),
              Buffer.from(chunk.slice(at)),
            ]);
          } else yield Buffer.from(chunk);
        }
      })(),
    );
  return { size, rows, content };
}

// 200 MB through the embedded database would take minutes of CI; the path is the same code.
describe.runIf(onPostgres)("a 200 MB contacts file shared in the DM", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
    await h.commandText(ORGANIZER, "create big Big list");
  });
  afterAll(async () => {
    await h?.stop();
  });

  async function shareInDm(
    fileId: string,
    file: ReturnType<typeof bigCsv>,
  ): Promise<{ final: string; progress: string[] }> {
    h.slack.addFile({ id: fileId, name: "crm-export.csv", content: file.content, size: file.size });
    const updates = h.slack.callsTo("chat.update").length;
    await h.event({
      type: "message",
      subtype: "file_share",
      channel: "DORGANIZER",
      channel_type: "im",
      user: ORGANIZER,
      text: "upload big",
      ts: `${Date.now()}.1`,
      files: [{ id: fileId }],
    });
    const done = await waitFor(
      () =>
        h.slack
          .callsTo("chat.update")
          .slice(updates)
          .find((c) => /finished|was not imported/.test(String(c.args.text))),
      { what: "the import summary", timeoutMs: 240_000, intervalMs: 200 },
    );
    const texts = h.slack
      .callsTo("chat.update")
      .slice(updates)
      .map((c) => String(c.args.text));
    return { final: String(done.args.text), progress: texts.filter((t) => t.startsWith("Importing")) };
  }
  const contacts = async () =>
    (
      await h.db
        .selectFrom("contacts")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow()
    ).n;

  it("a bad byte at 150 MB refuses the whole file, naming the row, and leaves nothing behind", async () => {
    const file = bigCsv(200, 75_000);
    const { final } = await shareInDm("FBIG1", file);
    expect(final).toContain("was not imported");
    expect(final).toMatch(/UTF-8/);
    expect(final).toContain("row 75002"); // the spreadsheet row: the header is row 1
    expect(await contacts()).toBe(0);
  }, 300_000);

  it("imports every row with progress in steps of at most 10%, and keeps the long column as a merge field", async () => {
    const file = bigCsv(200);
    expect(file.size).toBeGreaterThanOrEqual(200 * MB);
    const { final, progress } = await shareInDm("FBIG2", file);
    expect(final).toContain(`*${file.rows.toLocaleString("en-US")} imported*`);
    expect(final).toContain("notes");
    const percents = progress.map((t) => Number(/: (\d+)% read/.exec(t)?.[1])).filter((n) => Number.isFinite(n));
    expect(percents.length).toBeGreaterThanOrEqual(9);
    for (let i = 1; i < percents.length; i++) expect(percents[i]! - percents[i - 1]!).toBeLessThanOrEqual(20);
    expect(await contacts()).toBe(file.rows);
    const sample = await h.db
      .selectFrom("contacts")
      .select(["phone", "first_name", "custom_fields"])
      .where("first_name", "=", "Voter54321")
      .executeTakeFirstOrThrow();
    expect(sample.phone).toBe(`+1202${2_000_000 + 54_321}`);
    expect(String((sample.custom_fields as Record<string, string>).notes)).toMatch(
      /^Met at the Saturday canvass.*54321$/,
    );
  }, 300_000);
});
