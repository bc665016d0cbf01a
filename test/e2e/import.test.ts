import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Harness, ORGANIZER } from "../support/harness.ts";
import { waitFor } from "../support/http-util.ts";

let fileCounter = 0;

describe("contact import through the modal and the DM", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
    await h.commandText(ORGANIZER, "create imp Import Test");
    await h.commandText(ORGANIZER, "create other Other");
  });
  afterAll(async () => {
    await h?.stop();
  });

  /** Uploads bytes through the modal as an organizer would; returns the final DM text. */
  async function upload(
    content: Buffer | string,
    { name = "contacts.csv", slug = "imp", downloadUrl }: { name?: string; slug?: string; downloadUrl?: string } = {},
  ) {
    const fileId = `F${++fileCounter}`;
    h.slack.addFile({
      id: fileId,
      name,
      content: Buffer.isBuffer(content) ? content : Buffer.from(content),
      downloadUrl,
    });
    const opened = h.slack.callsTo("views.open").length;
    await h.command(ORGANIZER, `upload ${slug}`);
    await waitFor(() => h.slack.callsTo("views.open").length > opened, { what: "the upload modal" });
    const view = h.slack.callsTo("views.open").at(-1)!.args.view as { callback_id: string; private_metadata: string };
    const updates = h.slack.callsTo("chat.update").length;
    const res = await h.interact({
      type: "view_submission",
      user: { id: ORGANIZER },
      view: {
        id: "V1",
        callback_id: view.callback_id,
        private_metadata: view.private_metadata,
        state: { values: { csv: { file: { type: "file_input", files: [{ id: fileId, name }] } } } },
      },
    });
    expect(res.status).toBe(200);
    expect(res.text).toBe("");
    const done = await waitFor(
      () =>
        h.slack
          .callsTo("chat.update")
          .slice(updates)
          .find((c) => /finished|was not imported|nothing was imported|won't fetch/.test(String(c.args.text))),
      { what: "the import summary", timeoutMs: 20_000 },
    );
    return String(done.args.text);
  }
  const contactCount = async (slug = "imp") =>
    (
      await h.db
        .selectFrom("contacts")
        .innerJoin("campaigns", "campaigns.id", "contacts.campaign_id")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("campaigns.slug", "=", slug)
        .executeTakeFirstOrThrow()
    ).n;

  it("opens the modal with a Contacts CSV input and the large-file hint", async () => {
    const opened = h.slack.callsTo("views.open").length;
    await h.command(ORGANIZER, "upload imp");
    await waitFor(() => h.slack.callsTo("views.open").length > opened, { what: "the upload modal" });
    const view = h.slack.callsTo("views.open").at(-1)!.args.view as {
      blocks: { type: string; label?: { text: string } }[];
    };
    expect(view.blocks.find((b) => b.type === "input")!.label!.text).toBe("Contacts CSV");
    expect(JSON.stringify(view)).toContain("upload imp");
    expect(await h.commandText("UVOLUNTEER", "upload imp")).toContain("Only organizers");
  });

  it("imports a realistic file: aliases, BOM, CRLF, quoted commas and newlines, custom fields, time zones", async () => {
    const csv =
      "\uFEFFCell Phone,First-Name,LAST,Zip5,VANID,City,Notes\r\n" +
      '(202) 555-0101,Maria,Lopez,85001,V1,Phoenix,"likes ""dogs"", cats"\r\n' +
      '202-555-0102,Ann,Lee,96813,V2,Honolulu,"two\nlines"\r\n' +
      "+1 212 555 0103,Bo,Ng,,V3,NYC,=SUM(A1)\r\n" +
      "2025550101,Dup,Row,85001,V4,Phoenix,\r\n" +
      "12345,Bad,Phone,10001,V5,NYC,\r\n" +
      ",No,Phone,10001,V6,NYC,\r\n";
    const text = await upload(csv);
    expect(text).toContain("*3 imported* from 6 rows");
    expect(text).toContain("Duplicates: 1 (1 repeated in the file, 0 already in the campaign)");
    expect(text).toContain("Invalid: 2");
    expect(text).toContain(
      "    row 6 (Bad Phone): phone 12345 is too short — a US number has 10 digits, area code first",
    );
    expect(text).toContain("    row 7 (No Phone): phone is empty — fill in the number, or delete the row");
    expect(text).toContain("`{City}`");
    const rows = await h.db.selectFrom("contacts").selectAll().orderBy("id").execute();
    expect(rows.map((r) => r.phone)).toEqual(["+12025550101", "+12025550102", "+12125550103"]);
    expect(rows[0]).toMatchObject({
      first_name: "Maria",
      zip: "85001",
      external_id: "V1",
      tz_zones: ["America/Phoenix"],
      tz_source: "zip",
      status: "pool",
    });
    expect(rows[0]!.custom_fields).toMatchObject({ city: "Phoenix", notes: 'likes "dogs", cats' });
    expect(rows[1]!.custom_fields.notes).toBe("two\nlines");
    expect(rows[2]!.custom_fields.notes).toBe("=SUM(A1)");
    expect(rows[2]!.tz_source).toBe("area_code");
    const campaign = await h.db
      .selectFrom("campaigns")
      .select("custom_fields")
      .where("slug", "=", "imp")
      .executeTakeFirstOrThrow();
    expect(campaign.custom_fields).toEqual([
      { key: "city", header: "City" },
      { key: "notes", header: "Notes" },
    ]);
  });

  it("a second upload adds only new contacts and counts the ones already there; opted-out numbers come in marked", async () => {
    await h.db
      .insertInto("opt_outs")
      .values({ phone: "+12025550199", source: "test", keyword: "STOP", campaign_id: null })
      .execute();
    const text = await upload("phone;first_name\n2025550101;Maria\n2025550104;New\n2025550199;Stopped\n");
    expect(text).toContain("*2 imported* from 3 rows");
    expect(text).toContain("0 repeated in the file, 1 already in the campaign");
    expect(text).toContain("Opted out earlier (kept, never texted): 1");
    expect(await contactCount()).toBe(5);
    const stopped = await h.db
      .selectFrom("contacts")
      .select("status")
      .where("phone", "=", "+12025550199")
      .executeTakeFirstOrThrow();
    expect(stopped.status).toBe("opted_out");
  });

  it.each([
    ["an empty file", "", "empty"],
    ["a header only", "phone,first_name\n", "no contacts"],
    ["no phone column", "name,email\nAnn,a@x.org\n", "name"],
    ["an .xlsx renamed .csv", Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(200, 1)]), "Excel"],
    ["Windows-1252 text", Buffer.from("phone,first_name\n2025550111,Jos\xe9\n", "latin1"), "UTF-8"],
  ])("refuses %s with a clear reason and changes nothing", async (_what, content, reason) => {
    const before = await contactCount();
    const text = await upload(content as string | Buffer);
    expect(text).toContain("was not imported");
    expect(text.toLowerCase()).toContain(String(reason).toLowerCase());
    expect(await contactCount()).toBe(before);
  });

  it("refuses a file whose URL points away from Slack, without sending the token there", async () => {
    const text = await upload("phone\n2025550120\n", { downloadUrl: "https://evil.example.com/steal.csv" });
    expect(text).toContain("not stored on Slack");
  });

  it("a file shared in the DM with `upload <slug>` imports the same way", async () => {
    const fileId = "FDM1";
    h.slack.addFile({
      id: fileId,
      name: "big.csv",
      content: Buffer.from("phone,first_name\n2025550130,Dm\n2025550131,Share\n"),
    });
    const updates = h.slack.callsTo("chat.update").length;
    await h.event({
      type: "message",
      subtype: "file_share",
      channel: "DORGANIZER",
      channel_type: "im",
      user: ORGANIZER,
      text: "upload other",
      ts: "1.1",
      files: [{ id: fileId }],
    });
    const done = await waitFor(
      () =>
        h.slack
          .callsTo("chat.update")
          .slice(updates)
          .find((c) => String(c.args.text).includes("finished")),
      { what: "the DM import" },
    );
    expect(String(done.args.text)).toContain("*2 imported*");
    expect(await contactCount("other")).toBe(2);
  });

  it("ragged rows are invalid rows, not a failed file", async () => {
    const text = await upload("phone,first_name,city\n2025550140,A,X\n2025550141,B\n2025550142,C,Y,extra\n");
    expect(text).toContain("*1 imported*");
    expect(text).toContain("Invalid: 2");
  });

  it("a bad byte after thousands of good rows refuses the whole file and leaves nothing behind", async () => {
    const before = await contactCount();
    const rows = Array.from({ length: 12_000 }, (_, i) => `2026${String(1000000 + i)},N${i}`).join("\n");
    const content = Buffer.concat([
      Buffer.from(`phone,first_name\n${rows}\n`),
      Buffer.from("2025550999,Jos\xe9\n", "latin1"),
    ]);
    const text = await upload(content);
    expect(text).toContain("was not imported");
    expect(text).toContain("UTF-8");
    expect(await contactCount()).toBe(before);
    const failed = await h.db
      .selectFrom("imports")
      .select(["state", "error"])
      .orderBy("id", "desc")
      .executeTakeFirstOrThrow();
    expect(failed.state).toBe("failed");
  });
});
