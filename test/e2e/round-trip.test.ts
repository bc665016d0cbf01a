import Papa from "papaparse";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { textOf } from "../support/cards.ts";
import { Harness, ORGANIZER } from "../support/harness.ts";
import { waitFor } from "../support/http-util.ts";
import { seedCampaign } from "../support/seed.ts";

describe("data that round-trips: exports that import again, row errors that say what to fix, segment hints", () => {
  let h: Harness;
  let fileCounter = 0;
  const PHONES = ["+12025550101", "+12025550102", "+13125550103"];
  beforeAll(async () => {
    h = await Harness.start();
    const { campaignId } = await seedCampaign(h.db, {
      slug: "rt-src",
      title: "Round Trip",
      contacts: [
        {
          phone: PHONES[0]!,
          first_name: '=HYPERLINK("x")',
          last_name: "Lee",
          zip: "02134",
          custom_fields: { notes: "likes dogs", homephone: "+1 202 555 0199", score: "-5" },
        },
        { phone: PHONES[1]!, first_name: "Ann", custom_fields: { notes: "@home", score: "7" } },
        { phone: PHONES[2]!, first_name: "Bo", last_name: "Ng" },
      ],
    });
    await h.db
      .updateTable("campaigns")
      .set({
        custom_fields: JSON.stringify([
          { key: "notes", header: "Notes" },
          { key: "homephone", header: "Home Phone" },
          { key: "score", header: "Score" },
        ]),
      })
      .where("id", "=", campaignId)
      .execute();
  });
  afterAll(async () => {
    await h?.stop();
  });

  /** Uploads a file through the modal, as an organizer would; returns the summary in the DM. */
  async function upload(slug: string, content: string): Promise<string> {
    const fileId = `FRT${++fileCounter}`;
    h.slack.addFile({ id: fileId, name: "contacts.csv", content: Buffer.from(content) });
    const opened = h.slack.callsTo("views.open").length;
    await h.command(ORGANIZER, `upload ${slug}`);
    await waitFor(() => h.slack.callsTo("views.open").length > opened, { what: "the upload modal" });
    const view = h.slack.callsTo("views.open").at(-1)!.args.view as { callback_id: string; private_metadata: string };
    const updates = h.slack.callsTo("chat.update").length;
    await h.interact({
      type: "view_submission",
      user: { id: ORGANIZER },
      view: {
        id: "VRT",
        callback_id: view.callback_id,
        private_metadata: view.private_metadata,
        state: { values: { csv: { file: { type: "file_input", files: [{ id: fileId, name: "contacts.csv" }] } } } },
      },
    });
    const done = await waitFor(
      () =>
        h.slack
          .callsTo("chat.update")
          .slice(updates)
          .find((c) => /finished|was not imported/.test(String(c.args.text))),
      { what: "the import summary", timeoutMs: 20_000 },
    );
    return String(done.args.text);
  }

  const phonesOf = async (slug: string) =>
    (
      await h.db
        .selectFrom("contacts")
        .innerJoin("campaigns", "campaigns.id", "contacts.campaign_id")
        .select("contacts.phone")
        .where("campaigns.slug", "=", slug)
        .orderBy("contacts.phone")
        .execute()
    ).map((r) => r.phone);

  let exported = "";

  it("the export writes phone numbers bare and still neutralises formulas", async () => {
    const uploads = h.slack.callsTo("files.completeUploadExternal").length;
    expect(await h.commandText(ORGANIZER, "export rt-src")).toContain("Preparing the export of *Round Trip*");
    await waitFor(() => h.slack.callsTo("files.completeUploadExternal").length === uploads + 2, {
      what: "two uploads",
    });
    const [contactsCsv, messagesCsv] = [...h.slack.uploads.values()].slice(-2).map((b) => b.toString("utf8"));
    exported = contactsCsv!;
    const parsed = Papa.parse<Record<string, string>>(exported, { header: true, skipEmptyLines: true });
    // The uploaded "Notes" column comes first; the export's own notes column gets a name of its own.
    expect(parsed.meta.fields!.slice(0, 8)).toEqual([
      "external_id",
      "first_name",
      "last_name",
      "phone",
      "zip",
      "Notes",
      "Home Phone",
      "Score",
    ]);
    expect(parsed.meta.fields!.at(-1)).toBe("notes (2)");
    const rows = parsed.data;
    expect(rows.map((r) => r.phone).sort()).toEqual(PHONES);
    const lee = rows.find((r) => r.last_name === "Lee")!;
    expect(lee).toMatchObject({
      first_name: '\'=HYPERLINK("x")',
      zip: "02134",
      Notes: "likes dogs",
      "Home Phone": "+1 202 555 0199",
      Score: "'-5",
    });
    expect(rows.find((r) => r.first_name === "Ann")!.Notes).toBe("'@home");
    expect(exported).not.toContain("'+1");
    expect(messagesCsv!.split("\r\n")[0]).toBe("time,direction,phone,volunteer,kind,text,status,error_code");
  });

  it("the exported file imports again as it is, every row valid", async () => {
    await h.commandText(ORGANIZER, "create rt-back Round Trip Again");
    const summary = await upload("rt-back", exported);
    expect(summary).toContain("*Upload to Round Trip Again* finished: *3 imported* from 3 rows.");
    expect(summary).toContain("• Duplicates: 0 (0 repeated in the file, 0 already in the campaign)");
    expect(summary).toContain("• Invalid: 0\n");
    expect(summary).toContain("`{Notes}`");
    expect(await phonesOf("rt-back")).toEqual(PHONES);
    const back = await h.db
      .selectFrom("contacts")
      .innerJoin("campaigns", "campaigns.id", "contacts.campaign_id")
      .select(["contacts.first_name", "contacts.zip", "contacts.custom_fields"])
      .where("campaigns.slug", "=", "rt-back")
      .where("contacts.phone", "=", PHONES[0]!)
      .executeTakeFirstOrThrow();
    expect(back.zip).toBe("02134");
    expect(back.custom_fields).toMatchObject({ notes: "likes dogs", homephone: "+1 202 555 0199" });
  });

  it("an export written the old way (apostrophe before each phone) imports too", async () => {
    await h.commandText(ORGANIZER, "create rt-old Old Export");
    const old = exported.replace(/(^|\n)(.*?),(.*?),(.*?),\+/gm, "$1$2,$3,$4,'+");
    expect(old).toContain(",'+12025550101,");
    const summary = await upload("rt-old", old);
    expect(summary).toContain("*3 imported* from 3 rows.");
    expect(await phonesOf("rt-old")).toEqual(PHONES);
  });

  it("an invalid row names the contact, the value and a fix; a full number is still masked", async () => {
    await h.commandText(ORGANIZER, "create rt-errors Row Errors");
    const csv =
      "phone,first_name,last_name,external_id\n" +
      "555-1234,Grace,Lee,V1\n" +
      "call me,Alan,Turing,V2\n" +
      "555-123-4567,,,V3\n" +
      "2025550123456789,Ada,,V4\n" +
      "+999 123 4567,,,\n" +
      "2.02555E+09,Edsger,Dijkstra,V6\n" +
      ",Barbara,Liskov,V7\n" +
      "2025550150,Ok,Row,V8\n" +
      "2025550151,Too,Many,V9,extra\n" +
      "2025550152,Too Few\n";
    const summary = await upload("rt-errors", csv);
    expect(summary).toContain("*1 imported* from 10 rows.");
    expect(summary).toContain(
      [
        "• Invalid: 9",
        "    row 2 (Grace Lee): phone 555-1234 is too short — add the area code",
        '    row 3 (Alan Turing): phone "call me" is not a phone number — put only the number in the phone column',
        "    row 4 (V3): phone •••4567 is not a valid US number — check it for a typo (its area code may not exist)",
        "    row 5 (Ada): phone •••6789 is too long (16 digits) — keep one number per cell, without an extension",
        "    row 6: phone •••4567 starts with a country code that does not exist — check the digits after the +",
        '    row 7 (Edsger Dijkstra): phone "2.02555E+09" lost its digits in Excel\'s scientific notation — ' +
          "format the phone column as text in your spreadsheet and export again",
        "    row 8 (Barbara Liskov): phone is empty — fill in the number, or delete the row",
        "    row 10: has 5 fields, header has 4 — put double quotes around a cell that contains a comma",
        "    row 11: has 2 fields, header has 4 — add the missing cells (empty ones are fine)",
      ].join("\n"),
    );
    for (const full of ["555-123-4567", "2025550123456789", "999 123 4567"]) expect(summary).not.toContain(full);
  });

  describe("the script preview's segment hint", () => {
    const saveAndPreview = async (opening: string) => {
      const { id } = await h.db
        .selectFrom("campaigns")
        .select("id")
        .where("slug", "=", "rt-src")
        .executeTakeFirstOrThrow();
      const res = await h.interact({
        type: "view_submission",
        user: { id: ORGANIZER },
        view: {
          id: "VSEG",
          callback_id: "campaign_script",
          private_metadata: JSON.stringify({ c: id }),
          state: { values: { opening: { value: { type: "plain_text_input", value: opening } } } },
        },
      });
      const body = res.json() as { response_action: string; view: { blocks: unknown[] } };
      expect(body.response_action).toBe("update");
      return textOf(body.view.blocks);
    };
    const opening = (length: number) => {
      const end = " Reply STOP to opt out.";
      return "x".repeat(length - end.length) + end;
    };

    it("says how many characters over one SMS a text just past 160 is", async () => {
      expect(await saveAndPreview(opening(162))).toContain(
        "GSM-7 · 2 segments · 162 characters · *2 characters over one SMS*",
      );
      expect(await saveAndPreview(opening(161))).toContain(
        "GSM-7 · 2 segments · 161 characters · *1 character over one SMS*",
      );
    });

    it("past a later boundary it names that one; far past a boundary, or in one segment, it says nothing", async () => {
      expect(await saveAndPreview(opening(310))).toContain(
        "GSM-7 · 3 segments · 310 characters · *4 characters over 2 segments*",
      );
      const far = await saveAndPreview(opening(200));
      expect(far).toContain("GSM-7 · 2 segments · 200 characters");
      expect(far).not.toContain("over one SMS");
      expect(await saveAndPreview(opening(160))).not.toMatch(/characters? over/);
      // UCS-2 counts 70 to a single text: an emoji makes 72 units two segments, 2 over.
      expect(await saveAndPreview(`${opening(70)}😀`)).toContain(
        "UCS-2 · 2 segments · 71 characters · *2 characters over one SMS*",
      );
    });
  });
});
