import { Readable } from "node:stream";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Harness, ORGANIZER } from "../support/harness.ts";
import { waitFor } from "../support/http-util.ts";
import { onPostgres } from "../support/test-db.ts";

/**
 * A contacts file made as it is read, 1,000 rows a chunk; `row(i)` is the line of row i, written
 * in `encoding` (latin1 turns an "é" into the byte a Windows spreadsheet would save).
 */
function csv(
  rows: number,
  row: (i: number) => string,
  encoding: BufferEncoding = "utf8",
): { size: number; content: () => Readable } {
  const header = "phone,first_name\n";
  let size = header.length;
  for (let i = 0; i < rows; i++) size += Buffer.byteLength(row(i), encoding);
  const content = () =>
    Readable.from(
      (function* () {
        yield Buffer.from(header);
        for (let i = 0; i < rows; i += 1000)
          yield Buffer.from(Array.from({ length: Math.min(1000, rows - i) }, (_, j) => row(i + j)).join(""), encoding);
      })(),
    );
  return { size, content };
}

const phone = (n: number) => `202${String(n).padStart(7, "0")}`;

// The embedded database has one connection for everything: an upload must leave room on it,
// in short transactions, and still put all of a file in or none of it.
describe.skipIf(onPostgres)("an upload on the embedded database", () => {
  let h: Harness;
  let files = 0;
  beforeAll(async () => {
    h = await Harness.start();
    await h.commandText(ORGANIZER, "create busy Busy upload");
  });
  afterAll(async () => {
    await h?.stop();
  });

  const importTexts = (from: number, pattern: RegExp) =>
    h.slack
      .callsTo("chat.update")
      .slice(from)
      .map((c) => String(c.args.text))
      .filter((text) => pattern.test(text));
  /** Shares the file in the organizer's DM, as `upload busy`; returns where its DM updates begin. */
  async function share(file: { size: number; content: () => Readable }): Promise<number> {
    const id = `FEMB${++files}`;
    h.slack.addFile({ id, name: "contacts.csv", content: file.content, size: file.size });
    const from = h.slack.callsTo("chat.update").length;
    await h.event({
      type: "message",
      subtype: "file_share",
      channel: "DORGANIZER",
      channel_type: "im",
      user: ORGANIZER,
      text: "upload busy",
      ts: `${Date.now()}.${files}`,
      files: [{ id }],
    });
    return from;
  }
  const summaryAfter = (from: number, timeoutMs = 20_000) =>
    waitFor(() => importTexts(from, /finished|was not imported|nothing was imported/)[0], {
      what: "the import summary",
      timeoutMs,
      intervalMs: 100,
    });
  const contacts = async (status?: "pool") => {
    let query = h.db
      .selectFrom("contacts")
      .innerJoin("campaigns", "campaigns.id", "contacts.campaign_id")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("campaigns.slug", "=", "busy");
    if (status) query = query.where("contacts.status", "=", status);
    return (await query.executeTakeFirstOrThrow()).n;
  };
  const staged = async () =>
    (
      await h.db
        .selectFrom("import_staging")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow()
    ).n;

  it("answers Twilio and /healthz mid-upload; the contacts reach the campaign only once the file is read", async () => {
    const rows = 100_000;
    const from = await share(csv(rows, (i) => `${phone(3_000_000 + i)},Voter${i}\n`));
    // A progress report means rows are being read: the webhook comes in the middle of the upload.
    await waitFor(() => importTexts(from, /^Importing/).length > 0, { what: "the first progress report" });
    const [answer, health] = await Promise.all([
      h.twilioWebhook("/twilio/sms", {
        MessageSid: `SMembedded${"0".repeat(23)}1`,
        AccountSid: h.twilio.accountSid,
        From: "+12025550177",
        To: h.twilio.fromNumber,
        Body: "Is this the campaign?",
        NumMedia: "0",
      }),
      fetch(`${h.url}/healthz`),
    ]);
    const answeredAt = h.slack.callsTo("chat.update").length;
    expect(answer.status).toBe(200);
    expect(health.status).toBe(200);
    // Still running when both were answered, and none of the file's contacts is in the campaign yet.
    const running = await h.db.selectFrom("imports").select("state").orderBy("id", "desc").executeTakeFirstOrThrow();
    expect(running.state).toBe("running");
    expect(await contacts()).toBe(0);

    const summary = await summaryAfter(from, 150_000);
    expect(summary).toContain(`*${rows.toLocaleString("en-US")} imported*`);
    // The upload went on reading after the webhook's answer: more progress came, then the summary.
    expect(importTexts(answeredAt, /^Importing/).length).toBeGreaterThan(0);
    expect(await contacts("pool")).toBe(rows);
    expect(await staged()).toBe(0);
  }, 180_000);

  it("counts repeats and numbers already in the campaign across chunks as one transaction did", async () => {
    const campaign = await h.db
      .selectFrom("campaigns")
      .select("id")
      .where("slug", "=", "busy")
      .executeTakeFirstOrThrow();
    await h.db
      .insertInto("contacts")
      .values({ campaign_id: campaign.id, phone: `+1${phone(7_000_000)}`, custom_fields: "{}" })
      .execute();
    const before = await contacts();
    await h.db
      .insertInto("opt_outs")
      .values({ phone: "+12025554700", source: "test", keyword: "STOP", campaign_id: null })
      .execute();
    // Row 3000 is already in the campaign; row 4500 repeats row 10; row 4700 has opted out.
    const from = await share(
      csv(5000, (i) => {
        const n = i === 3000 ? 7_000_000 : i === 4500 ? 4_000_010 : i === 4700 ? 5_554_700 : 4_000_000 + i;
        return `${phone(n)},Row${i}\n`;
      }),
    );
    const summary = await summaryAfter(from);
    expect(summary).toContain("*4,998 imported* from 5,000 rows");
    expect(summary).toContain("Duplicates: 2 (1 repeated in the file, 1 already in the campaign)");
    expect(summary).toContain("Opted out earlier (kept, never texted): 1");
    expect(await contacts()).toBe(before + 4998);
    const first = await h.db
      .selectFrom("contacts")
      .select("first_name")
      .where("phone", "=", `+1${phone(4_000_010)}`)
      .executeTakeFirstOrThrow();
    expect(first.first_name).toBe("Row10");
    expect(await staged()).toBe(0);
  });

  it("a database failure while rows move in takes out the ones already in, and the upload fails whole", async () => {
    const before = await contacts();
    // A real fault in the database: the 4,000th row's insert into contacts raises.
    await sql`CREATE FUNCTION fail_one() RETURNS trigger LANGUAGE plpgsql AS $$
              BEGIN RAISE EXCEPTION 'disk on fire'; END $$`.execute(h.db);
    await sql`CREATE TRIGGER fail_one BEFORE INSERT ON contacts FOR EACH ROW
              WHEN (NEW.phone = ${sql.lit(`+1${phone(8_003_999)}`)}) EXECUTE FUNCTION fail_one()`.execute(h.db);
    try {
      const summary = await summaryAfter(await share(csv(5000, (i) => `${phone(8_000_000 + i)},M${i}\n`)));
      expect(summary).toContain("failed on our side");
    } finally {
      await sql`DROP TRIGGER fail_one ON contacts`.execute(h.db);
      await sql`DROP FUNCTION fail_one()`.execute(h.db);
    }
    expect(await contacts()).toBe(before);
    expect(await staged()).toBe(0);
    const failed = await h.db.selectFrom("imports").select("state").orderBy("id", "desc").executeTakeFirstOrThrow();
    expect(failed.state).toBe("failed");
  });

  it("a bad byte in the last row refuses the file and leaves no contacts and no staged rows", async () => {
    const before = await contacts();
    const rows = 12_000;
    const from = await share(
      csv(rows, (i) => `${phone(6_000_000 + i)},${i === rows - 1 ? "Jos\xe9" : `N${i}`}\n`, "latin1"),
    );
    const summary = await summaryAfter(from);
    expect(summary).toContain("was not imported");
    expect(summary).toContain(`row ${rows + 1}`);
    expect(await contacts()).toBe(before);
    expect(await staged()).toBe(0);
  });
});
