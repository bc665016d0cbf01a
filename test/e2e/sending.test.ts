import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CARD_ACTIONS } from "../../src/slack/blocks/card.ts";
import { buttonsOf, press, pressAndWait, startShift, textOf } from "../support/cards.ts";
import { Harness, PUBLIC_URL } from "../support/harness.ts";
import { waitFor } from "../support/http-util.ts";
import { phones, seedCampaign } from "../support/seed.ts";

const ALICE = "UALICE";
const BOB = "UBOB";

describe("shifts and sending (Twilio)", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
    h.slack.addUser({ id: ALICE, name: "Alice", real_name: "Alice Adams" });
    h.slack.addUser({ id: BOB, name: "Bob" });
  });
  afterAll(async () => {
    await h?.stop();
  });
  afterEach(async () => {
    h.clock = undefined;
    await h.app.deliveries.idle();
  });

  const openingsTo = (phone: string) => h.twilio.messagesTo(phone);

  it("shows the first card in the volunteer's DM with the message exactly as it will be sent", async () => {
    await seedCampaign(h.db, {
      slug: "card",
      title: "GOTV Card",
      contacts: [{ phone: "+12025550101", first_name: "Maria", last_name: "Lopez", custom_fields: { city: "Dayton" } }],
    });
    const { answer, blocks } = await startShift(h, ALICE, "card");
    expect(answer).toContain("your first contact is in your DM");
    const text = textOf(blocks);
    expect(text).toContain("GOTV Card");
    expect(text).toContain("Maria Lopez");
    expect(text).toContain("city: Dayton");
    expect(text).toContain("Hi Maria, this is Alice with GOTV Card. Reply STOP to opt out.");
    expect(text).toContain("•••0101");
    expect(text).not.toContain("2025550101");
    expect(Object.keys(buttonsOf(blocks))).toEqual([CARD_ACTIONS.send, CARD_ACTIONS.skip, CARD_ACTIONS.end]);
    const volunteer = await h.db
      .selectFrom("volunteers")
      .selectAll()
      .where("user_id", "=", ALICE)
      .executeTakeFirstOrThrow();
    expect(volunteer).toMatchObject({ on_shift: true, display_name: "Alice", dm_channel: "DALICE" });
  });

  it("Send texts exactly once through Twilio and replaces the card with the next contact", async () => {
    const [p1, p2] = phones(2, 2025550200);
    await seedCampaign(h.db, {
      slug: "send",
      title: "Send test",
      contacts: [
        { phone: p1!, first_name: "Ann" },
        { phone: p2!, first_name: "Ben" },
      ],
    });
    const first = await startShift(h, BOB, "send");
    const next = await pressAndWait(h, BOB, buttonsOf(first.blocks)[CARD_ACTIONS.send]!);
    expect(textOf(next.blocks)).toContain("Hi Ben");
    expect(next.body.replace_original).toBe(true);
    const sent = await h.twilio.waitForMessage((m) => m.to === p1);
    expect(sent).toMatchObject({
      body: "Hi Ann, this is Bob with Send test. Reply STOP to opt out.",
      from: h.twilio.fromNumber,
      statusCallback: `${PUBLIC_URL}/twilio/status`,
    });
    await h.app.deliveries.idle();
    const stored = await h.db.selectFrom("messages").selectAll().where("to_phone", "=", p1!).execute();
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ kind: "opening", twilio_sid: sent.sid, status: "queued", sent_by: BOB });
    expect(openingsTo(p2!)).toHaveLength(0);
  });

  it("a script or hours change while a card is open is what Send goes by, not the card's copy", async () => {
    const [p1, p2, p3] = phones(3, 2025550250);
    const { campaignId } = await seedCampaign(h.db, {
      slug: "edited",
      contacts: [
        { phone: p1!, first_name: "Ann" },
        { phone: p2!, first_name: "Ben" },
        { phone: p3!, first_name: "Cy" },
      ],
    });
    const first = await startShift(h, BOB, "edited");
    expect(textOf(first.blocks)).toContain("Hi Ann");
    await h.db
      .updateTable("campaigns")
      .set({ opening_message: "Hello {first_name}, new script. Reply STOP to opt out.", updated_at: new Date() })
      .where("id", "=", campaignId)
      .execute();
    const next = await pressAndWait(h, BOB, buttonsOf(first.blocks)[CARD_ACTIONS.send]!);
    expect((await h.twilio.waitForMessage((m) => m.to === p1)).body).toBe(
      "Hello Ann, new script. Reply STOP to opt out.",
    );
    expect(textOf(next.blocks)).toContain("Hello Ben, new script");
    // The window closes (hours 0–1 in every zone the contact may be in) while Ben's card is open.
    h.clock = new Date("2026-07-15T16:00:00Z");
    await h.db.updateTable("campaigns").set({ hours_start: 0, hours_end: 1 }).where("id", "=", campaignId).execute();
    const after = await pressAndWait(h, BOB, buttonsOf(next.blocks)[CARD_ACTIONS.send]!);
    expect(textOf(after.blocks)).toContain("texting hours just ended; nothing was sent");
    await h.app.deliveries.idle();
    expect(openingsTo(p2!)).toHaveLength(0);
    expect(openingsTo(p3!)).toHaveLength(0);
  });

  it("a double click and 20 concurrent copies of the same click send one text", async () => {
    const ps = phones(3, 2025550300);
    await seedCampaign(h.db, { slug: "dupes", contacts: ps.map((phone) => ({ phone, first_name: "X" })) });
    const first = await startShift(h, "UDOUBLE", "dupes");
    const send = buttonsOf(first.blocks)[CARD_ACTIONS.send]!;
    const results = await Promise.all(Array.from({ length: 20 }, () => press(h, "UDOUBLE", send)));
    expect(results.every((r) => r.status === 200)).toBe(true);
    await waitFor(() => openingsTo(ps[0]!).length === 1, { what: "the one text" });
    await h.app.deliveries.idle();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(openingsTo(ps[0]!)).toHaveLength(1);
    expect(openingsTo(ps[1]!)).toHaveLength(0);
    const held = await h.db
      .selectFrom("contacts")
      .select(["phone", "status"])
      .where("held_by", "=", "UDOUBLE")
      .where("status", "=", "held")
      .execute();
    expect(held).toEqual([{ phone: ps[1], status: "held" }]);
  });

  it("never hands out or texts an opted-out number, also when it opts out while the card is open", async () => {
    const [stopped, open, later] = phones(3, 2025550400);
    await h.db
      .insertInto("opt_outs")
      .values({ phone: stopped!, source: "test", keyword: "STOP", campaign_id: null })
      .execute();
    await seedCampaign(h.db, {
      slug: "optout",
      contacts: [
        { phone: stopped!, first_name: "S" },
        { phone: open!, first_name: "O" },
        { phone: later!, first_name: "L" },
      ],
    });
    const first = await startShift(h, "UOPT", "optout");
    expect(textOf(first.blocks)).toContain("•••" + open!.slice(-4));
    await h.db
      .insertInto("opt_outs")
      .values({ phone: open!, source: "test", keyword: "STOP", campaign_id: null })
      .execute();
    const next = await pressAndWait(h, "UOPT", buttonsOf(first.blocks)[CARD_ACTIONS.send]!);
    expect(textOf(next.blocks)).toContain("opted out meanwhile; nothing was sent");
    expect(textOf(next.blocks)).toContain("•••" + later!.slice(-4));
    expect(openingsTo(stopped!)).toHaveLength(0);
    expect(openingsTo(open!)).toHaveLength(0);
    const statuses = await h.db
      .selectFrom("contacts")
      .select(["phone", "status"])
      .where("phone", "in", [stopped!, open!])
      .orderBy("phone")
      .execute();
    expect(statuses.map((s) => s.status)).toEqual(["opted_out", "opted_out"]);
  });

  it("keeps to each contact's own texting hours at hand-out and again at send", async () => {
    // 2026-07-15 15:30 UTC = 11:30 in New York (EDT), 08:30 in Phoenix (MST, no DST), 05:30 in Honolulu.
    h.clock = new Date("2026-07-15T15:30:00Z");
    const [ny, phx, hnl] = phones(3, 2025550500);
    await seedCampaign(h.db, {
      slug: "hours",
      hours: [9, 12],
      contacts: [
        { phone: phx!, first_name: "Phoenix", tz_zones: ["America/Phoenix"] },
        { phone: hnl!, first_name: "Honolulu", tz_zones: ["Pacific/Honolulu"] },
        { phone: ny!, first_name: "NewYork", tz_zones: ["America/New_York"] },
      ],
    });
    const first = await startShift(h, "UHOURS", "hours");
    expect(textOf(first.blocks)).toContain("Hi NewYork");
    // The card stays open past noon in New York: pressing Send then must not text.
    h.clock = new Date("2026-07-15T16:00:00Z");
    const after = await pressAndWait(h, "UHOURS", buttonsOf(first.blocks)[CARD_ACTIONS.send]!);
    expect(textOf(after.blocks)).toContain("texting hours just ended; nothing was sent");
    // 16:00 UTC is 09:00 in Phoenix: open there now, Honolulu (06:00) still closed.
    expect(textOf(after.blocks)).toContain("Hi Phoenix");
    expect(openingsTo(ny!)).toHaveLength(0);
    const next = await pressAndWait(h, "UHOURS", buttonsOf(after.blocks)[CARD_ACTIONS.send]!);
    // Only Honolulu (06:00) and New York (closed) are left: the card says when texting resumes.
    expect(next.text).toContain("outside their texting hours");
    // Honolulu opens at 09:00 HST = 19:00 UTC, before New York's next 09:00 EDT (13:00 UTC next day).
    expect(next.text).toContain("2026-07-15T19:00:00.000Z");
    expect(openingsTo(phx!)).toHaveLength(1);
    expect(openingsTo(hnl!)).toHaveLength(0);
  });

  it("Skip hands the next contact and never gives the skipped one back to the same volunteer", async () => {
    const [a, b] = phones(2, 2025550600);
    await seedCampaign(h.db, {
      slug: "skip",
      contacts: [
        { phone: a!, first_name: "First" },
        { phone: b!, first_name: "Second" },
      ],
    });
    const first = await startShift(h, "USKIP", "skip");
    const next = await pressAndWait(h, "USKIP", buttonsOf(first.blocks)[CARD_ACTIONS.skip]!);
    expect(textOf(next.blocks)).toContain("Hi Second");
    const last = await pressAndWait(h, "USKIP", buttonsOf(next.blocks)[CARD_ACTIONS.send]!);
    expect(last.text).toContain("has been texted");
    const other = await startShift(h, "UOTHER", "skip");
    expect(textOf(other.blocks)).toContain("Hi First");
  });

  it("End shift returns the held contact to the pool; a stale card then sends nothing", async () => {
    const [a] = phones(1, 2025550700);
    await seedCampaign(h.db, { slug: "endshift", contacts: [{ phone: a!, first_name: "Held" }] });
    const first = await startShift(h, "UEND", "endshift");
    const ended = await pressAndWait(h, "UEND", buttonsOf(first.blocks)[CARD_ACTIONS.end]!);
    expect(ended.text).toContain("Shift ended");
    const contact = await h.db.selectFrom("contacts").selectAll().where("phone", "=", a!).executeTakeFirstOrThrow();
    expect(contact).toMatchObject({ status: "pool", held_by: null });
    const stale = await pressAndWait(h, "UEND", buttonsOf(first.blocks)[CARD_ACTIONS.send]!);
    expect(textOf(stale.blocks)).toContain("That card was out of date");
    expect(openingsTo(a!)).toHaveLength(0);
  });

  it("a contact returned to the pool behind the others handed out is still texted, once", async () => {
    const ps = phones(5, 2025550750);
    await seedCampaign(h.db, { slug: "returned", contacts: ps.map((phone) => ({ phone, first_name: "Ret" })) });
    const leaver = await startShift(h, "ULEAVE", "returned"); // holds the first contact
    let card: { blocks: unknown } = await startShift(h, "USTAY", "returned"); // holds the second
    card = await pressAndWait(h, "USTAY", buttonsOf(card.blocks)[CARD_ACTIONS.send]!); // sends it, holds the third
    await pressAndWait(h, "ULEAVE", buttonsOf(leaver.blocks)[CARD_ACTIONS.end]!); // the first goes back
    for (let i = 0; i < 6 && buttonsOf(card.blocks)[CARD_ACTIONS.send]; i++) {
      card = await pressAndWait(h, "USTAY", buttonsOf(card.blocks)[CARD_ACTIONS.send]!);
    }
    await h.app.deliveries.idle();
    for (const phone of ps) expect(openingsTo(phone)).toHaveLength(1);
    // and the pool is empty now: the last card has nothing to send
    expect(buttonsOf(card.blocks)[CARD_ACTIONS.send]).toBeUndefined();
  });

  it("a paused campaign answers the card instead of sending, and shift explains it", async () => {
    const [a] = phones(1, 2025550800);
    const { campaignId } = await seedCampaign(h.db, {
      slug: "paused",
      title: "Pause me",
      contacts: [{ phone: a!, first_name: "P" }],
    });
    const first = await startShift(h, "UPAUSE", "paused");
    await h.db.updateTable("campaigns").set({ state: "paused" }).where("id", "=", campaignId).execute();
    const answer = await pressAndWait(h, "UPAUSE", buttonsOf(first.blocks)[CARD_ACTIONS.send]!);
    expect(textOf(answer.blocks)).toContain("This campaign is paused now; nothing was sent");
    expect(openingsTo(a!)).toHaveLength(0);
    expect(await h.commandText("UPAUSE", "shift paused")).toContain("is paused");
    expect(await h.commandText("UPAUSE", "shift nope")).toContain("There is no campaign `nope`");
  });

  it("a tampered button value sends nothing and says so", async () => {
    const [a] = phones(1, 2025550900);
    const { contactIds } = await seedCampaign(h.db, { slug: "tamper", contacts: [{ phone: a!, first_name: "T" }] });
    await startShift(h, "UVICTIM", "tamper");
    const forged = {
      action_id: CARD_ACTIONS.send,
      block_id: "card:1",
      value: JSON.stringify({ k: contactIds[0], t: 0 }),
    };
    const answer = await pressAndWait(h, "UATTACKER", forged);
    expect(textOf(answer.blocks)).toContain("out of date");
    const garbage = await pressAndWait(h, "UATTACKER", { ...forged, value: "{not json" });
    expect(garbage.text).toContain("not one of ours");
    expect(openingsTo(a!)).toHaveLength(0);
  });

  it("a button no feature knows is answered at once and changes nothing", async () => {
    const [a] = phones(1, 2025550950);
    await seedCampaign(h.db, { slug: "unknown-button", contacts: [{ phone: a!, first_name: "U" }] });
    const card = await startShift(h, "UODD", "unknown-button");
    const send = buttonsOf(card.blocks)[CARD_ACTIONS.send]!;
    const { status, responseUrl } = await press(h, "UODD", { ...send, action_id: "card_from_an_old_version" });
    // Acked: a press no listener acks is answered 404 by Bolt's receiver after 3 s.
    expect(status).toBe(200);
    expect(h.slack.responsesTo(new URL(responseUrl).pathname.split("/").pop()!)).toHaveLength(0);
    expect(openingsTo(a!)).toHaveLength(0);
    // The real Send on the same card still works.
    await pressAndWait(h, "UODD", send);
    await h.app.deliveries.idle();
    expect(openingsTo(a!)).toHaveLength(1);
  });

  it("permanent Twilio errors mark the contact and move on; 21610 opts the number out", async () => {
    const [bad, stop] = phones(2, 2025551000);
    await seedCampaign(h.db, {
      slug: "errors",
      contacts: [
        { phone: bad!, first_name: "Bad" },
        { phone: stop!, first_name: "Stop" },
      ],
    });
    const first = await startShift(h, "UERR", "errors");
    h.twilio.failNext(400, { code: 21211, message: "The 'To' number is not a valid phone number." });
    const second = await pressAndWait(h, "UERR", buttonsOf(first.blocks)[CARD_ACTIONS.send]!);
    await h.app.deliveries.idle();
    h.twilio.failNext(400, { code: 21610, message: "Attempt to send to unsubscribed recipient" });
    await pressAndWait(h, "UERR", buttonsOf(second.blocks)[CARD_ACTIONS.send]!);
    await h.app.deliveries.idle();
    const rows = await h.db
      .selectFrom("messages")
      .select(["to_phone", "status", "error_code"])
      .where("to_phone", "in", [bad!, stop!])
      .orderBy("to_phone")
      .execute();
    expect(rows).toEqual([
      { to_phone: bad, status: "failed", error_code: 21211 },
      { to_phone: stop, status: "failed", error_code: 21610 },
    ]);
    expect(
      await h.db.selectFrom("opt_outs").select("phone").where("phone", "=", stop!).executeTakeFirst(),
    ).toBeTruthy();
    const contacts = await h.db
      .selectFrom("contacts")
      .select(["phone", "status"])
      .where("phone", "in", [bad!, stop!])
      .orderBy("phone")
      .execute();
    expect(contacts.map((c) => c.status)).toEqual(["failed", "opted_out"]);
  });

  it("transient errors (20429, 500, a dropped connection) are retried and never duplicated", async () => {
    const [rate, server, dropped] = phones(3, 2025551100);
    await seedCampaign(h.db, {
      slug: "transient",
      contacts: [rate, server, dropped].map((phone) => ({ phone: phone!, first_name: "T" })),
    });
    let card = await startShift(h, "UTRANS", "transient");
    h.twilio.failNext(429, { code: 20429, message: "Too Many Requests" });
    card = { ...card, ...(await pressAndWait(h, "UTRANS", buttonsOf(card.blocks)[CARD_ACTIONS.send]!)) };
    await waitFor(() => openingsTo(rate!).length === 1, { what: "the retried text", timeoutMs: 10_000 });
    h.twilio.failNext(500, { code: 20500, message: "Internal Server Error" });
    card = { ...card, ...(await pressAndWait(h, "UTRANS", buttonsOf(card.blocks)[CARD_ACTIONS.send]!)) };
    await waitFor(() => openingsTo(server!).length === 1, { what: "the text after a 500", timeoutMs: 10_000 });
    // Twilio creates the message but the connection drops before the answer: once the attempt's
    // lease has run out (moved here rather than waited for), the retry finds it instead of sending again.
    h.twilio.failNext(0);
    await pressAndWait(h, "UTRANS", buttonsOf(card.blocks)[CARD_ACTIONS.send]!);
    await waitFor(() => h.twilio.messagesTo(dropped!).length === 1, { what: "the dropped text to reach Twilio" });
    await h.app.deliveries.idle();
    await h.expireSendLeases(dropped!);
    await h.app.deliveries.sweep(0);
    await waitFor(
      async () => {
        const row = await h.db
          .selectFrom("messages")
          .select("twilio_sid")
          .where("to_phone", "=", dropped!)
          .executeTakeFirst();
        return row?.twilio_sid;
      },
      { what: "the sid found after a dropped connection", timeoutMs: 15_000 },
    );
    await h.app.deliveries.idle();
    expect(openingsTo(rate!)).toHaveLength(1);
    expect(openingsTo(server!)).toHaveLength(1);
    expect(openingsTo(dropped!)).toHaveLength(1);
    expect(h.twilio.listRequests).toBeGreaterThan(0);
  });

  it("an idle hold goes back to the pool after 15 minutes, once across runs of the job", async () => {
    const [a] = phones(1, 2025551200);
    const { campaignId } = await seedCampaign(h.db, { slug: "idle", contacts: [{ phone: a!, first_name: "I" }] });
    await startShift(h, "UIDLE", "idle");
    const old = new Date(Date.now() - 16 * 60_000);
    await h.db.updateTable("contacts").set({ held_at: old }).where("campaign_id", "=", campaignId).execute();
    await h.db.updateTable("volunteers").set({ last_active_at: old }).where("campaign_id", "=", campaignId).execute();
    const job = "release-idle-holds";
    const at = new Date();
    expect(await h.app.runJob(job, at)).toBe(true);
    expect(await h.app.runJob(job, at)).toBe(false);
    const contact = await h.db
      .selectFrom("contacts")
      .select(["status", "held_by"])
      .where("phone", "=", a!)
      .executeTakeFirstOrThrow();
    expect(contact).toEqual({ status: "pool", held_by: null });
  });
});

describe("sandbox provider", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start({ sandbox: true });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it("records the text as delivered without touching the network, and the card says sandbox", async () => {
    const [a, b] = phones(2, 2025551300);
    await seedCampaign(h.db, {
      slug: "sandbox",
      contacts: [
        { phone: a!, first_name: "Sandy" },
        { phone: b!, first_name: "Next" },
      ],
    });
    const first = await startShift(h, "USAND", "sandbox");
    expect(textOf(first.blocks)).toContain("*sandbox*");
    await pressAndWait(h, "USAND", buttonsOf(first.blocks)[CARD_ACTIONS.send]!);
    await h.app.deliveries.idle();
    const row = await h.db.selectFrom("messages").selectAll().where("to_phone", "=", a!).executeTakeFirstOrThrow();
    expect(row.status).toBe("delivered");
    expect(row.twilio_sid).toMatch(/^SB/);
    expect(h.twilio.attempts).toBe(0);
  });
});
