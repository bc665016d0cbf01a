import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CARD_ACTIONS } from "../../src/slack/blocks/card.ts";
import { OPTOUT_ACTIONS } from "../../src/slack/blocks/optouts.ts";
import { buttonsOf, press, pressAndWait, startShift, textOf } from "../support/cards.ts";
import { Harness, ORGANIZER } from "../support/harness.ts";
import { waitFor } from "../support/http-util.ts";
import { phones, seedCampaign } from "../support/seed.ts";

const VOLUNTEER = "UVOLUNTEER";
const masked = (e164: string) => `•••${e164.slice(-4)}`;
/** "+12025550141" → "+1 202 555 0141", as an organizer types it. */
const typed = (e164: string) => `+1 ${e164.slice(2, 5)} ${e164.slice(5, 8)} ${e164.slice(8)}`;

describe("/campaign optouts: the workspace's opt-out list for organizers", () => {
  let h: Harness;
  let fileCounter = 0;

  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(async () => {
    await h?.stop();
  });

  const answer = (text: string, user = ORGANIZER) => h.commandAnswer(user, `optouts ${text}`);
  const say = async (text: string, user = ORGANIZER) => (await answer(text, user)).text;
  const optOut = (phone: string) =>
    h.db.selectFrom("opt_outs").selectAll().where("phone", "=", phone).executeTakeFirst();
  const eventsOf = (phone: string) =>
    h.db
      .selectFrom("opt_out_events")
      .select(["action", "source", "actor"])
      .where("phone", "=", phone)
      .orderBy("id")
      .execute();
  const statusOf = async (phone: string) =>
    (await h.db.selectFrom("contacts").select("status").where("phone", "=", phone).executeTakeFirstOrThrow()).status;
  /** Everything an opt-out change could touch, to show that a refused command changed nothing. */
  const snapshot = async () =>
    JSON.stringify([
      await h.db.selectFrom("opt_outs").selectAll().orderBy("phone").execute(),
      await h.db.selectFrom("opt_out_events").selectAll().orderBy("id").execute(),
      await h.db.selectFrom("contacts").select(["id", "status", "held_by"]).orderBy("id").execute(),
    ]);

  /** Uploads a file through the Import opt-outs modal; returns the final DM text. */
  async function importFile(content: string | Buffer, name = "optouts.csv"): Promise<string> {
    const fileId = `FOPT${++fileCounter}`;
    h.slack.addFile({ id: fileId, name, content: Buffer.isBuffer(content) ? content : Buffer.from(content) });
    const opened = h.slack.callsTo("views.open").length;
    expect((await h.command(ORGANIZER, "optouts import")).text).toBe("");
    await waitFor(() => h.slack.callsTo("views.open").length > opened, { what: "the import modal" });
    const view = h.slack.callsTo("views.open").at(-1)!.args.view as { callback_id: string };
    const updates = h.slack.callsTo("chat.update").length;
    const res = await h.interact({
      type: "view_submission",
      user: { id: ORGANIZER },
      view: {
        id: "VOPT",
        callback_id: view.callback_id,
        private_metadata: "",
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
          .find((c) => /finished|was not imported|failed on our side/.test(String(c.args.text))),
      { what: "the opt-out import summary" },
    );
    return String(done.args.text);
  }

  it("is listed in help for organizers only, and refused to anyone else with nothing changed", async () => {
    expect(await h.commandText(ORGANIZER, "help")).toContain("/campaign optouts check|add|remove|import|export");
    expect(await h.commandText(VOLUNTEER, "help")).not.toContain("optouts");
    const [phone] = phones(1, 2025550190);
    const before = await snapshot();
    for (const text of [`add ${phone}`, `remove ${phone}`, `check ${phone}`, "import", "export", ""]) {
      expect(await say(text, VOLUNTEER)).toContain("Only organizers can use `/campaign optouts`");
    }
    expect(h.slack.callsTo("views.open")).toHaveLength(0);
    expect(await snapshot()).toBe(before);
  });

  it("answers bad input with what was wrong and changes nothing", async () => {
    const before = await snapshot();
    const bare = await say("");
    expect(bare).toContain("Say what to do: `check`, `add`, `remove`, `import`, `export`.");
    expect(bare).toContain("Usage: `/campaign optouts check|add|remove|import|export [phone]`");
    const unknown = await say("delete +1 202 555 0143");
    expect(unknown).toContain("`delete` is not `check`, `add`, `remove`, `import` or `export`.");
    expect(unknown).toContain("Usage: `/campaign optouts");
    expect(await say("add")).toContain("Give the number: `/campaign optouts add +1 202 555 0143`.");
    expect(await say("check")).toContain("Give the number: `/campaign optouts check +1 202 555 0143`.");
    expect(await say("add 12")).toBe(
      "`12` is not a phone number (too short): give a full number such as +1 202 555 0143. Nothing was changed.",
    );
    expect(await say("remove call-me-maybe")).toContain("`call-me-maybe` is not a phone number (not a phone number)");
    expect(await say("check 202 555 01")).toContain("`202 555 01` is not a phone number (too short)");
    expect(await say("add +1 999 555 0143")).toContain("is not a phone number (not a valid US number)");
    expect(await snapshot()).toBe(before);
  });

  it("add records who and when, and is honoured at once: pooled and held contacts leave", async () => {
    const [held, pooled] = phones(2, 2025550141);
    await seedCampaign(h.db, {
      slug: "honour",
      contacts: [
        { phone: held!, first_name: "Hal" },
        { phone: pooled!, first_name: "Pia" },
      ],
    });
    const card = await startShift(h, VOLUNTEER, "honour");
    expect(textOf(card.blocks)).toContain(masked(held!));
    expect(await statusOf(held!)).toBe("held");

    const checked = await say(`check ${typed(pooled!)}`);
    expect(checked).toBe(`:white_check_mark: ${masked(pooled!)} is not on the opt-out list: campaigns may text it.`);

    const added = await say(`add ${typed(pooled!)}`);
    expect(added).toContain(`Added ${masked(pooled!)} to the opt-out list.`);
    expect(added).not.toContain(pooled!.slice(2));
    expect(await statusOf(pooled!)).toBe("opted_out");
    expect(await optOut(pooled!)).toMatchObject({ source: "organizer", actor: ORGANIZER, keyword: null });
    expect(await eventsOf(pooled!)).toEqual([{ action: "out", source: "organizer", actor: ORGANIZER }]);

    // Typed another way: the same number.
    expect(await say(`add (${held!.slice(2, 5)}) ${held!.slice(5, 8)}-${held!.slice(8)}`)).toContain(
      `Added ${masked(held!)}`,
    );
    expect(await statusOf(held!)).toBe("opted_out");

    // The card the volunteer holds sends nothing, and the other contact is never handed out.
    const after = await pressAndWait(h, VOLUNTEER, buttonsOf(card.blocks)[CARD_ACTIONS.send]!);
    expect(textOf(after.blocks)).toContain("opted out meanwhile; nothing was sent");
    expect(textOf(after.blocks)).toContain("has been texted");
    await h.app.deliveries.idle();
    expect(h.twilio.messagesTo(held!)).toHaveLength(0);
    expect(h.twilio.messagesTo(pooled!)).toHaveLength(0);

    // Already there: said so, nothing changes.
    const before = await snapshot();
    const again = await say(`add ${pooled!}`);
    expect(again).toContain(`${masked(pooled!)} has been on the opt-out list since <!date^`);
    expect(again).toContain(`<@${ORGANIZER}> added it with \`/campaign optouts add\``);
    expect(again).toContain("It is already on the list; nothing was changed.");
    expect(await snapshot()).toBe(before);

    const status = await say(`check ${pooled!}`);
    expect(status).toMatch(
      /^:no_entry: •••0142 has been on the opt-out list since <!date\^\d+\^[^>]*\|[\d-]+ [\d:]+ UTC>:/,
    );
    expect(status).toContain(`<@${ORGANIZER}> added it with`);
    expect(status).not.toContain(pooled!.slice(2));
  });

  it("check says how a number opted out: a keyword text, the thread's button, the carrier", async () => {
    const [texted, button, carrier] = phones(3, 2025550151);
    await h.inboundSms(texted!, "STOP");
    await waitFor(async () => (await optOut(texted!)) !== undefined, { what: "the keyword opt-out" });
    expect(await say(`check ${texted!}`)).toContain(`${masked(texted!)} has been on the opt-out list since`);
    expect(await say(`check ${texted!}`)).toContain("they texted “STOP”");

    // Rows as the thread's Opt out button and a carrier refusal write them.
    await h.db
      .insertInto("opt_outs")
      .values({ phone: button!, source: "volunteer:UMAYA", keyword: null, campaign_id: null })
      .execute();
    await h.db
      .insertInto("opt_outs")
      .values({ phone: carrier!, source: "twilio_21610", keyword: null, campaign_id: null })
      .execute();
    expect(await say(`check ${button!}`)).toContain("<@UMAYA> pressed *Opt out* in a conversation thread");
    expect(await say(`check ${carrier!}`)).toContain("the carrier refused a text to it (Twilio error 21610");
  });

  it("remove asks first: Cancel keeps it, Remove takes it off and a never-texted contact returns", async () => {
    const [phone, absent] = phones(2, 2025550161);
    await seedCampaign(h.db, { slug: "comeback", contacts: [{ phone: phone!, first_name: "Cam" }] });
    await say(`add ${phone!}`);
    expect(await statusOf(phone!)).toBe("opted_out");

    // Not on the list: a clear answer, no question.
    const none = await answer(`remove ${absent!}`);
    expect(none.text).toBe(`${masked(absent!)} is not on the opt-out list; nothing to remove.`);
    expect(none.body.blocks).toBeUndefined();

    const before = await snapshot();
    const question = await answer(`remove ${typed(phone!)}`);
    expect(question.text).toContain(`Take ${masked(phone!)} off the opt-out list?`);
    expect(question.body.response_type).toBe("ephemeral");
    const buttons = buttonsOf(question.body.blocks);
    expect(Object.keys(buttons)).toEqual([OPTOUT_ACTIONS.remove, OPTOUT_ACTIONS.cancel]);
    const elements = (
      question.body.blocks as { elements?: { action_id: string; style?: string; text: { text: string } }[] }[]
    ).flatMap((b) => b.elements ?? []);
    expect(elements.map((e) => [e.text.text, e.style])).toEqual([
      ["Remove", "danger"],
      ["Cancel", undefined],
    ]);
    expect(JSON.stringify(question.body)).not.toContain(`${phone!.slice(2, 5)} ${phone!.slice(5, 8)}`);
    expect(await snapshot()).toBe(before); // asking changes nothing

    const cancelled = await press(h, ORGANIZER, buttons[OPTOUT_ACTIONS.cancel]!);
    const cancelAnswer = await h.slack.waitForResponse(cancelled.responseUrl);
    expect(cancelAnswer.body).toMatchObject({
      replace_original: true,
      text: `${masked(phone!)} stays on the opt-out list; nothing was changed.`,
    });
    expect(await snapshot()).toBe(before);

    // Another person's press is refused.
    const forged = await press(h, VOLUNTEER, buttons[OPTOUT_ACTIONS.remove]!);
    expect(String((await h.slack.waitForResponse(forged.responseUrl)).body.text)).toContain(
      "Only organizers can change the opt-out list; nothing was changed.",
    );
    expect(await snapshot()).toBe(before);

    const removed = await press(h, ORGANIZER, buttons[OPTOUT_ACTIONS.remove]!);
    const removedAnswer = await h.slack.waitForResponse(removed.responseUrl);
    expect(removedAnswer.body).toMatchObject({ replace_original: true });
    expect(String(removedAnswer.body.text)).toContain(`Took ${masked(phone!)} off the opt-out list.`);
    expect(await optOut(phone!)).toBeUndefined();
    expect(await eventsOf(phone!)).toEqual([
      { action: "out", source: "organizer", actor: ORGANIZER },
      { action: "in", source: "organizer", actor: ORGANIZER },
    ]);
    expect(await statusOf(phone!)).toBe("pool");
    const card = await startShift(h, VOLUNTEER, "comeback");
    expect(textOf(card.blocks)).toContain(masked(phone!));
    expect(await say(`check ${phone!}`)).toContain(`It was taken off the list <!date^`);
    expect(await say(`check ${phone!}`)).toContain(`by <@${ORGANIZER}>.`);

    // The same question answered again, after the number came back on the list: a newer
    // opt-out than the one shown is never undone.
    await say(`add ${phone!}`);
    const afterReadd = await snapshot();
    const stale = await press(h, ORGANIZER, buttons[OPTOUT_ACTIONS.remove]!);
    expect(String((await h.slack.waitForResponse(stale.responseUrl)).body.text)).toContain(
      `The opt-out of ${masked(phone!)} changed since you asked, so nothing was removed.`,
    );
    expect(await snapshot()).toBe(afterReadd);
    // …and once it is gone, a late press says so.
    const fresh = buttonsOf((await answer(`remove ${phone!}`)).body.blocks);
    await h.slack.waitForResponse((await press(h, ORGANIZER, fresh[OPTOUT_ACTIONS.remove]!)).responseUrl);
    const late = await press(h, ORGANIZER, fresh[OPTOUT_ACTIONS.remove]!);
    expect(String((await h.slack.waitForResponse(late.responseUrl)).body.text)).toBe(
      `${masked(phone!)} is not on the opt-out list any more; nothing to remove.`,
    );
  });

  it("import opens an Opt-out CSV modal; no file or a volunteer's submission is refused", async () => {
    const opened = h.slack.callsTo("views.open").length;
    await h.command(ORGANIZER, "optouts import");
    await waitFor(() => h.slack.callsTo("views.open").length > opened, { what: "the import modal" });
    const view = h.slack.callsTo("views.open").at(-1)!.args.view as {
      callback_id: string;
      blocks: { type: string; block_id?: string; label?: { text: string } }[];
    };
    expect(view.blocks.find((b) => b.type === "input")).toMatchObject({
      block_id: "csv",
      label: { text: "Opt-out CSV" },
    });
    const before = await snapshot();
    const submit = (user: string, files: { id: string }[]) =>
      h.interact({
        type: "view_submission",
        user: { id: user },
        view: { id: "VOPT", callback_id: view.callback_id, state: { values: { csv: { file: { files } } } } },
      });
    expect((await submit(ORGANIZER, [])).json()).toEqual({
      response_action: "errors",
      errors: { csv: "Choose a CSV file to import." },
    });
    h.slack.addFile({ id: "FSNEAKY", name: "x.csv", content: Buffer.from("phone\n+12025550199\n") });
    expect((await submit(VOLUNTEER, [{ id: "FSNEAKY" }])).json()).toEqual({
      response_action: "errors",
      errors: { csv: "Only organizers can change the opt-out list." },
    });
    expect(await snapshot()).toBe(before);
  });

  it("import adds the phone columns' numbers: counts already there, repeats, invalid rows by number", async () => {
    const [fresh1, fresh2, fresh3, inPool] = phones(4, 2025550171);
    const [listed] = phones(1, 2025550141); // added earlier in this file
    await seedCampaign(h.db, { slug: "imported", contacts: [{ phone: inPool!, first_name: "Ivy" }] });
    const csv =
      "\uFEFFName,Home Phone,Mobile,Email\r\n" +
      `Ann,${typed(fresh1!)},,ann@example.org\r\n` + // row 2
      `Ben,,${fresh2!.slice(2)},ben@example.org\r\n` + // row 3
      `Cy,12,${listed!},cy@example.org\r\n` + // row 4: one invalid cell, one already listed
      "\r\n" + // row 5: blank, skipped but counted
      `Dee,,,dee@example.org\r\n` + // row 6: no number at all
      `Eve,${fresh1!},'${fresh3!},eve@example.org\r\n` + // row 7: a repeat; an exported "'+1…" cell
      `Flo,${inPool!},not a number,flo@example.org\r\n`; // row 8
    const text = await importFile(csv, "list.csv");
    expect(text).toContain("*Opt-out import* of *list.csv* finished: *4 added* to the opt-out list from 6 rows");
    expect(text).toContain('(phone columns "Home Phone", "Mobile")');
    expect(text).toContain("• Added: 4");
    expect(text).toContain("• Already on the list: 1");
    expect(text).toContain("• Repeated in the file (counted once): 1");
    expect(text).toContain("• Invalid: 3");
    expect(text).toContain("    row 4: Home Phone: too short");
    expect(text).toContain("    row 6: missing phone");
    expect(text).toContain("    row 8: Mobile: not a phone number");
    expect(text).not.toContain("row 5");
    for (const phone of [fresh1!, fresh2!, fresh3!, inPool!])
      expect(await optOut(phone)).toMatchObject({ source: "import", actor: ORGANIZER });
    expect(await eventsOf(fresh2!)).toEqual([{ action: "out", source: "import", actor: ORGANIZER }]);
    expect(await optOut(listed!)).toMatchObject({ source: "organizer" }); // left as it was
    expect(await statusOf(inPool!)).toBe("opted_out");
    expect(await say(`check ${fresh2!}`)).toContain(`<@${ORGANIZER}> imported it from an opt-out CSV`);
  });

  it("import finds the phone column by its values, caps the invalid list, reads big files in batches", async () => {
    const numbers = phones(2500, 2025560000);
    const lines = numbers.map((phone, i) => `${i % 100 === 0 ? `bad${i}` : phone.slice(2)};V${i}`);
    const text = await importFile(lines.join("\n") + "\n", "no-header.csv");
    expect(text).toContain("*2,475 added* to the opt-out list from 2,500 rows");
    expect(text).toContain('(phone column "column 1")');
    expect(text).toContain("• Invalid: 25");
    expect(text).toContain("    row 1: not a phone number");
    expect(text).toContain("    row 101: not a phone number");
    expect(text).toContain("    …and 5 more");
    expect(text).not.toContain("row 2001:");
    const { n } = await h.db
      .selectFrom("opt_outs")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("source", "=", "import")
      .where("phone", ">=", "+12025560000")
      .where("phone", "<=", "+12025562499")
      .executeTakeFirstOrThrow();
    expect(Number(n)).toBe(2475);
  });

  it("import refuses a file that is not a list of numbers and changes nothing", async () => {
    const before = await snapshot();
    expect(await importFile("Name,Email\nAnn,ann@example.org\nBen,ben@example.org\n", "names.csv")).toBe(
      ":warning: *names.csv* was not imported into the opt-out list: No column of phone numbers: name the column " +
        "holding them phone (or mobile, cell, number), or check the file holds phone numbers\nNothing was changed.",
    );
    expect(await importFile(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 1, 2]), "list.xlsx")).toContain(
      "This looks like an Excel/binary file",
    );
    expect(await importFile("phone\n", "empty.csv")).toContain("The file has a header row but no phone numbers");
    expect(await snapshot()).toBe(before);
  });

  it("a file shared in the DM with `optouts import` is imported the same way", async () => {
    const [phone] = phones(1, 2025550181);
    h.slack.addFile({ id: "FDMOPT", name: "big.csv", content: Buffer.from(`mobile\n${phone!}\n`) });
    const updates = h.slack.callsTo("chat.update").length;
    const res = await h.event({
      type: "message",
      subtype: "file_share",
      channel: `D${ORGANIZER.slice(1)}`,
      channel_type: "im",
      user: ORGANIZER,
      text: "optouts import",
      ts: "1700000100.000100",
      files: [{ id: "FDMOPT" }],
    });
    expect(res.status).toBe(200);
    const done = await waitFor(
      () =>
        h.slack
          .callsTo("chat.update")
          .slice(updates)
          .find((c) => /finished/.test(String(c.args.text))),
      { what: "the DM import summary" },
    );
    expect(String(done.args.text)).toContain("*1 added*");
    expect(await optOut(phone!)).toMatchObject({ source: "import", actor: ORGANIZER });
  });

  it("export uploads the whole list as CSV to the organizer's DM; importing it back adds nothing", async () => {
    const uploadsBefore = h.slack.callsTo("files.completeUploadExternal").length;
    expect(await say("export")).toBe(
      "Preparing the export of the opt-out list; the CSV file will arrive in your DM with Textbank.",
    );
    const done = await waitFor(() => h.slack.callsTo("files.completeUploadExternal").slice(uploadsBefore)[0], {
      what: "the export upload",
    });
    expect(done.args.channel_id).toBe(`D${ORGANIZER.slice(1)}`);
    const fileId = (done.args.files as { id: string }[])[0]!.id;
    const csv = h.slack.uploads.get(fileId)!.toString("utf8");
    const upload = h.slack.callsTo("files.getUploadURLExternal").at(-1)!;
    expect(String(upload.args.filename)).toMatch(/^opt-outs-\d{4}-\d{2}-\d{2}\.csv$/);
    const lines = csv.trimEnd().split("\r\n");
    expect(lines[0]).toBe("phone,opted_out_at,source,keyword,by");
    const total = (
      await h.db
        .selectFrom("opt_outs")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow()
    ).n;
    expect(lines).toHaveLength(Number(total) + 1);
    expect(String(done.args.initial_comment)).toContain(`${Number(total).toLocaleString("en-US")} numbers`);
    // A phone number runs nothing in a spreadsheet: written bare, it reads back as it is.
    expect(lines.slice(1).every((line) => /^\+\d{8,15},/.test(line))).toBe(true);
    const row = (phone: string) => lines.find((line) => line.startsWith(`${phone},`));
    expect(row("+12025550142")).toMatch(/^\+12025550142,\d{4}-\d{2}-\d{2}T[\d:.]+Z,organizer,,UORGANIZER$/);
    expect(row("+12025550151")).toMatch(/,keyword,STOP,$/);
    expect(row("+12025550152")).toMatch(/,button,,UMAYA$/);
    expect(row("+12025550153")).toMatch(/,carrier,,$/);
    expect(row("+12025550171")).toMatch(/,import,,UORGANIZER$/);

    const before = await snapshot();
    const text = await importFile(csv, "opt-outs.csv");
    expect(text).toContain(`*0 added* to the opt-out list from ${Number(total).toLocaleString("en-US")} rows`);
    expect(text).toContain(`• Already on the list: ${Number(total).toLocaleString("en-US")}`);
    expect(text).toContain("• Invalid: 0");
    expect(await snapshot()).toBe(before);
  });
});
