import { sql } from "kysely";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { FRESH_HAND_OVER_MS, leaseClock } from "../../src/campaigns/sending/outgoing.ts";
import { postUnknownSummaries, processLeftoverInbound } from "../../src/relay/inbound.ts";
import { CARD_ACTIONS } from "../../src/slack/blocks/card.ts";
import { HOME_ACTIONS } from "../../src/slack/blocks/home.ts";
import { buttonsOf, press, pressAndWait, startShift, textOf } from "../support/cards.ts";
import { Harness, ORGANIZER } from "../support/harness.ts";
import { waitFor } from "../support/http-util.ts";
import { phones, seedCampaign } from "../support/seed.ts";

/**
 * Never text twice, never text an opt-out: each case here was reproduced against the app
 * before its fix (a race, a slow Twilio, a lookup that matched the wrong text, a crash between
 * a Send and its card, forged buttons).
 */
describe("guarantees under races and faults", () => {
  let h: Harness;
  const inbound = (from: string, body: string) => h.inboundSms(from, body);

  beforeAll(async () => {
    h = await Harness.start({ processReplies: false });
  });
  afterAll(async () => {
    await h?.stop();
  });
  afterEach(async () => {
    await processLeftoverInbound(h.app.inboundDeps, 0);
    await h.app.deliveries.idle();
  });

  it("an opt-out in words is in force when Twilio gets its answer: a Send pressed right after texts nobody", async () => {
    const [who, next] = phones(2, 2025557100);
    await seedCampaign(h.db, {
      slug: "race-stop",
      contacts: [
        { phone: who!, first_name: "Ann" },
        { phone: next!, first_name: "Ben" },
      ],
    });
    const card = await startShift(h, "URACE1", "race-stop");
    expect(textOf(card.blocks)).toContain("•••" + who!.slice(-4));
    // The text is stored and answered; nothing has processed it yet (this app leaves it to the sweep).
    const answer = await inbound(who!, "Please stop texting me");
    expect(answer.status).toBe(200);
    const after = await pressAndWait(h, "URACE1", buttonsOf(card.blocks)[CARD_ACTIONS.send]!);
    expect(textOf(after.blocks)).toContain("opted out meanwhile; nothing was sent");
    await h.app.deliveries.idle();
    expect(h.twilio.messagesTo(who!)).toHaveLength(0);
    // Processing later confirms the opt-out once, and only because it was new.
    expect(await processLeftoverInbound(h.app.inboundDeps, 0)).toBe(1);
    await inbound(who!, "please stop texting me");
    await inbound(who!, "STOP TEXTING ME");
    await inbound(who!, "stop texting me!!");
    expect(await processLeftoverInbound(h.app.inboundDeps, 0)).toBe(3);
    await h.app.deliveries.idle();
    const confirmations = h.twilio.messagesTo(who!).filter((m) => m.body.includes("unsubscribed"));
    expect(confirmations).toHaveLength(0); // no conversation yet: nothing to answer in
    const optOut = await h.db.selectFrom("opt_outs").selectAll().where("phone", "=", who!).executeTakeFirst();
    expect(optOut).toMatchObject({ source: "sms" });
  });

  it("an opt-out is answered only once a text already past the opt-out check has reached Twilio", async () => {
    const [who] = phones(1, 2025557150);
    await seedCampaign(h.db, { slug: "in-flight", contacts: [{ phone: who!, first_name: "Lee" }] });
    const card = await startShift(h, "UINFLIGHT", "in-flight");
    const before = h.twilio.attempts;
    const hold = h.twilio.holdNext();
    await pressAndWait(h, "UINFLIGHT", buttonsOf(card.blocks)[CARD_ACTIONS.send]!);
    await waitFor(() => h.twilio.attempts > before, { what: "the text to be on its way to Twilio" });
    let answeredAt = 0;
    const stop = inbound(who!, "Stop texting me").then((res) => ((answeredAt = Date.now()), res));
    await waitFor(
      async () =>
        (await h.db.selectFrom("opt_outs").select("phone").where("phone", "=", who!).executeTakeFirst()) !== undefined,
      { what: "the opt-out to be recorded" },
    );
    hold.release();
    expect((await stop).status).toBe(200);
    const texted = await h.twilio.waitForMessage((m) => m.to === who);
    // Twilio had the text before the person was told they are opted out, never after.
    expect(answeredAt).toBeGreaterThanOrEqual(texted.at);
  });

  it("four 'please stop' texts in a conversation get one confirmation", async () => {
    const [who] = phones(1, 2025557200);
    await seedCampaign(h.db, { slug: "stop-once", contacts: [{ phone: who!, first_name: "Cy" }] });
    const card = await startShift(h, "USTOP1", "stop-once");
    await pressAndWait(h, "USTOP1", buttonsOf(card.blocks)[CARD_ACTIONS.send]!);
    await h.twilio.waitForMessage((m) => m.to === who);
    for (let i = 0; i < 4; i++) await inbound(who!, "please stop texting me");
    expect(await processLeftoverInbound(h.app.inboundDeps, 0)).toBe(4);
    await h.app.deliveries.idle();
    const confirmations = h.twilio.messagesTo(who!).filter((m) => m.body.includes("unsubscribed"));
    expect(confirmations).toHaveLength(1);
  });

  it("a Send pressed again after its text went out gets the volunteer's current card, so nobody is stuck", async () => {
    const ps = phones(3, 2025557300);
    await seedCampaign(h.db, { slug: "stuck", contacts: ps.map((phone) => ({ phone, first_name: "Di" })) });
    const card = await startShift(h, "USTUCK", "stuck");
    const send = buttonsOf(card.blocks)[CARD_ACTIONS.send]!;
    const next = await pressAndWait(h, "USTUCK", send);
    expect(textOf(next.blocks)).toContain("•••" + ps[1]!.slice(-4));
    // As after a crash between the Send and the card: the volunteer still has the old card.
    const again = await pressAndWait(h, "USTUCK", send);
    expect(textOf(again.blocks)).toContain("•••" + ps[1]!.slice(-4));
    expect(buttonsOf(again.blocks)[CARD_ACTIONS.send]).toEqual(buttonsOf(next.blocks)[CARD_ACTIONS.send]);
    await h.app.deliveries.idle();
    expect(h.twilio.messagesTo(ps[0]!)).toHaveLength(1);
    expect(h.twilio.messagesTo(ps[1]!)).toHaveLength(0);
  });

  it("forged campaign ids join nobody to a draft and never show its title", async () => {
    const [open] = phones(1, 2025557400);
    const { campaignId: activeId } = await seedCampaign(h.db, {
      slug: "forge-open",
      contacts: [{ phone: open!, first_name: "Ed" }],
    });
    const { campaignId: draftId } = await seedCampaign(h.db, {
      slug: "forge-draft",
      title: "Secret Draft Plan",
      state: "draft",
      contacts: [{ phone: phones(1, 2025557450)[0]!, first_name: "Fi" }],
    });
    const card = await startShift(h, "UFORGE", "forge-open");
    const send = buttonsOf(card.blocks)[CARD_ACTIONS.send]!;
    expect(send.block_id).toBe(`card:${activeId}`);
    const forgedSend = { ...send, block_id: `card:${draftId}` };
    await pressAndWait(h, "UFORGE", forgedSend);
    const joined = await h.db
      .selectFrom("volunteers")
      .select("campaign_id")
      .where("user_id", "=", "UFORGE")
      .orderBy("campaign_id")
      .execute();
    expect(joined.map((row) => row.campaign_id)).toEqual([activeId]);

    for (const action_id of [CARD_ACTIONS.start, CARD_ACTIONS.end]) {
      const { responseUrl } = await press(h, "UFORGE", { action_id, block_id: "b", value: String(draftId) });
      const post = await h.slack.waitForResponse(responseUrl);
      expect(textOf(post.body.blocks) + String(post.body.text)).not.toContain("Secret Draft Plan");
    }
    const before = h.slack.callsTo("chat.postMessage").length;
    const { responseUrl } = await press(h, "UFORGE", {
      action_id: HOME_ACTIONS.startShift,
      block_id: "b",
      value: String(draftId),
    });
    await waitFor(
      () =>
        h.slack.callsTo("chat.postMessage").length > before ||
        h.slack.responsesTo(responseUrl.split("/").pop()!).length,
      {
        what: "an answer to the forged Start shift",
      },
    );
    const said = JSON.stringify([
      ...h.slack.callsTo("chat.postMessage").slice(before),
      ...h.slack.responsesTo(responseUrl.split("/").pop()!),
    ]);
    expect(said).not.toContain("Secret Draft Plan");
  });

  it("a slow Twilio is never asked twice: the sweep leaves a text alone while its attempt holds the lease", async () => {
    const [who, next] = phones(2, 2025557500);
    await seedCampaign(h.db, {
      slug: "slow",
      contacts: [
        { phone: who!, first_name: "Gus" },
        { phone: next!, first_name: "Hal" },
      ],
    });
    const card = await startShift(h, "USLOW", "slow");
    const before = h.twilio.attempts;
    const hold = h.twilio.holdNext();
    await pressAndWait(h, "USLOW", buttonsOf(card.blocks)[CARD_ACTIONS.send]!);
    await waitFor(() => h.twilio.attempts > before, { what: "the text to reach Twilio" });
    // Twilio has the request and has not answered: the retry sweep must not send it again.
    expect(await h.app.deliveries.sweep(0)).toBe(0);
    hold.release();
    await h.twilio.waitForMessage((m) => m.to === who);
    await h.app.deliveries.idle();
    expect(h.twilio.messagesTo(who!)).toHaveLength(1);
    const row = await h.db.selectFrom("messages").selectAll().where("to_phone", "=", who!).executeTakeFirstOrThrow();
    expect(row.twilio_sid).toBe(h.twilio.messagesTo(who!)[0]!.sid);
  });

  it("a request Twilio never answered is not retried while Twilio may still create it: one text", async () => {
    const [who] = phones(1, 2025557550);
    await seedCampaign(h.db, { slug: "unanswered", contacts: [{ phone: who!, first_name: "Ivy" }] });
    const card = await startShift(h, "UNOANSWER", "unanswered");
    const before = h.twilio.attempts;
    // Twilio takes the request, the connection drops, and Twilio creates the message later.
    const late = h.twilio.holdNext({ dropConnection: true });
    await pressAndWait(h, "UNOANSWER", buttonsOf(card.blocks)[CARD_ACTIONS.send]!);
    await waitFor(() => h.twilio.attempts > before, { what: "the text to reach Twilio" });
    const row = () => h.db.selectFrom("messages").selectAll().where("to_phone", "=", who!).executeTakeFirstOrThrow();
    await h.app.deliveries.idle();
    // The attempt keeps its lease: neither a retry nor the sweep asks Twilio again meanwhile.
    const held = await row();
    expect(held.status).toBe("submitting");
    expect(held.lease_until!.getTime()).toBeGreaterThan(Date.now());
    expect(await h.app.deliveries.sweep(0)).toBe(0);
    late.release();
    await h.twilio.waitForMessage((m) => m.to === who);
    // The lease runs out (moved here rather than waited for): the look finds Twilio's message.
    await h.expireSendLeases(who!);
    expect(await h.app.deliveries.sweep(0)).toBe(1);
    await h.app.deliveries.idle();
    expect(h.twilio.messagesTo(who!)).toHaveLength(1);
    expect((await row()).twilio_sid).toBe(h.twilio.messagesTo(who!)[0]!.sid);
    expect(h.twilio.attempts).toBe(before + 1);
  });

  it("a text an unanswered attempt got to Twilio is recorded as sent even if the person opts out meanwhile", async () => {
    const [who] = phones(1, 2025557560);
    await seedCampaign(h.db, { slug: "sent-then-stop", contacts: [{ phone: who!, first_name: "Jo" }] });
    const card = await startShift(h, "USENTSTOP", "sent-then-stop");
    const late = h.twilio.holdNext({ dropConnection: true });
    await pressAndWait(h, "USENTSTOP", buttonsOf(card.blocks)[CARD_ACTIONS.send]!);
    await h.app.deliveries.idle();
    late.release();
    const texted = await h.twilio.waitForMessage((m) => m.to === who);
    expect((await inbound(who!, "Stop texting me")).status).toBe(200);
    await h.expireSendLeases(who!, "opening");
    expect(await h.app.deliveries.sweep(0)).toBe(1);
    await h.app.deliveries.idle();
    const row = await h.db
      .selectFrom("messages")
      .select(["status", "twilio_sid"])
      .where("to_phone", "=", who!)
      .where("kind", "=", "opening")
      .executeTakeFirstOrThrow();
    // It reached the person: the record says so (it was not "failed: opted out"), and nothing more went.
    expect(row.twilio_sid).toBe(texted.sid);
    expect(row.status).not.toBe("failed");
    expect(h.twilio.messagesTo(who!).filter((m) => m.body.startsWith("Hi"))).toHaveLength(1);
  });

  it("a hand-over that waited past its lease sends nothing: the text went out on another attempt", async () => {
    const [who] = phones(1, 2025557570);
    await seedCampaign(h.db, { slug: "stale-claim", contacts: [{ phone: who!, first_name: "Kai" }] });
    const card = await startShift(h, "USTALE", "stale-claim");
    const before = h.twilio.attempts;
    const hold = h.twilio.holdNext();
    await pressAndWait(h, "USTALE", buttonsOf(card.blocks)[CARD_ACTIONS.send]!);
    await waitFor(() => h.twilio.attempts > before, { what: "the held request" });
    // The text as the Send handed it to the sending thread, attempt 1 and its lease.
    const handedOver = await h.db
      .selectFrom("messages")
      .selectAll()
      .where("to_phone", "=", who!)
      .where("kind", "=", "opening")
      .executeTakeFirstOrThrow();
    hold.release();
    await h.twilio.waitForMessage((m) => m.to === who);
    await h.app.deliveries.idle();
    // A copy of that hand-over, reaching a busy thread only now, must not text the person again:
    // of unknown age, or older than a fresh hand-over may be.
    await h.app.deliveries.deliver(handedOver.id, handedOver);
    await h.app.deliveries.idle();
    const stale = { ...handedOver, leaseTakenAt: leaseClock() - FRESH_HAND_OVER_MS - 1 };
    await h.app.deliveries.deliver(handedOver.id, stale);
    await h.app.deliveries.idle();
    expect(h.twilio.messagesTo(who!)).toHaveLength(1);
  });

  it("a retry after an ambiguous failure never takes an identical text from another campaign for its own", async () => {
    const [who] = phones(1, 2025557600);
    const opening = "Hi {first_name}, polls close at 8 tonight. Reply STOP to opt out.";
    await seedCampaign(h.db, { slug: "same-a", opening, contacts: [{ phone: who!, first_name: "Ida" }] });
    await seedCampaign(h.db, { slug: "same-b", opening, contacts: [{ phone: who!, first_name: "Ida" }] });
    const a = await startShift(h, "USAME", "same-a");
    await pressAndWait(h, "USAME", buttonsOf(a.blocks)[CARD_ACTIONS.send]!);
    const first = await h.twilio.waitForMessage((m) => m.to === who);
    await h.app.deliveries.idle();
    // Twilio answers 500 and creates nothing: the look-up finds only campaign A's identical text.
    h.twilio.failNext(500);
    const b = await startShift(h, "USAME", "same-b");
    await pressAndWait(h, "USAME", buttonsOf(b.blocks)[CARD_ACTIONS.send]!);
    const rows = () =>
      h.db.selectFrom("messages").select(["twilio_sid", "status", "attempts"]).where("to_phone", "=", who!).execute();
    await waitFor(async () => (await rows()).every((row) => row.twilio_sid !== null), {
      what: "both texts to have their own sid",
    });
    await h.app.deliveries.idle();
    const sids = (await rows()).map((row) => row.twilio_sid);
    expect(new Set(sids).size).toBe(2);
    expect(sids).toContain(first.sid);
    expect(h.twilio.messagesTo(who!)).toHaveLength(2);
  });

  it("a text that keeps failing ends failed at the attempt limit, and its volunteer is told", async () => {
    const [who] = phones(1, 2025557700);
    await seedCampaign(h.db, { slug: "limit", contacts: [{ phone: who!, first_name: "Jo" }] });
    const card = await startShift(h, "ULIMIT", "limit");
    h.twilio.failNext(429, { code: 20429, count: 5 });
    await pressAndWait(h, "ULIMIT", buttonsOf(card.blocks)[CARD_ACTIONS.send]!);
    await waitFor(
      async () =>
        (await h.db.selectFrom("messages").select("status").where("to_phone", "=", who!).executeTakeFirst())?.status ===
        "failed",
      { what: "the text to end failed" },
    );
    const row = await h.db.selectFrom("messages").selectAll().where("to_phone", "=", who!).executeTakeFirstOrThrow();
    expect(row.attempts).toBe(5);
    const told = await h.slack.waitForCall(
      "chat.postMessage",
      (c) => c.args.channel === "ULIMIT" && String(c.args.text).includes("was not delivered"),
    );
    expect(String(told.args.text)).toContain("•••" + who!.slice(-4));
    expect(h.twilio.messagesTo(who!)).toHaveLength(0);
  });

  it("a reply with a NUL character or a 1,600-character run of '&😀' is stored, answered and shown in its thread", async () => {
    const [who] = phones(1, 2025557800);
    await seedCampaign(h.db, { slug: "odd-text", contacts: [{ phone: who!, first_name: "Kim" }] });
    const card = await startShift(h, "UODDTXT", "odd-text");
    await pressAndWait(h, "UODDTXT", buttonsOf(card.blocks)[CARD_ACTIONS.send]!);
    await h.twilio.waitForMessage((m) => m.to === who);
    expect((await inbound(who!, "yes\u0000 I'll vote")).status).toBe(200);
    expect((await inbound(who!, "&😀".repeat(533) + "&")).status).toBe(200);
    expect(await processLeftoverInbound(h.app.inboundDeps, 0)).toBe(2);
    await h.settle();
    const posts = h.slack.callsTo("chat.postMessage").filter((c) => c.args.channel === "DODDTXT" && c.args.thread_ts);
    const texts = posts.map((c) => String(c.args.text));
    expect(texts.some((t) => t.includes("I'll vote"))).toBe(true);
    expect(texts.some((t) => t.includes("&amp;😀&amp;😀"))).toBe(true);
    expect(texts.every((t) => t.isWellFormed())).toBe(true);
  });

  it("statuses that arrive before the sid is written are all applied, never backwards, and a failure is told", async () => {
    const ps = phones(10, 2025557900);
    await seedCampaign(h.db, { slug: "early", contacts: ps.map((phone) => ({ phone, first_name: "Lu" })) });
    const failing = ps[9]!;
    h.twilio.beforeAnswer = async (message) => {
      const res = await h.twilioWebhook("/twilio/status", {
        AccountSid: h.twilio.accountSid,
        MessageSid: message.sid,
        MessageStatus: message.to === failing ? "undelivered" : "delivered",
        ...(message.to === failing ? { ErrorCode: "30006" } : {}),
        To: message.to,
        From: h.twilio.fromNumber,
      });
      expect(res.status).toBeLessThan(300);
    };
    try {
      let card = await startShift(h, "UEARLY", "early");
      for (let i = 0; i < 10; i++) {
        const next = await pressAndWait(h, "UEARLY", buttonsOf(card.blocks)[CARD_ACTIONS.send]!);
        card = { ...card, blocks: next.blocks };
      }
      await waitFor(() => ps.every((p) => h.twilio.messagesTo(p).length === 1), { what: "ten texts" });
      await h.app.deliveries.idle();
    } finally {
      h.twilio.beforeAnswer = undefined;
    }
    const rows = await h.db
      .selectFrom("messages")
      .select(["to_phone", "status", "error_code", "twilio_sid"])
      .where("to_phone", "in", ps)
      .execute();
    expect(rows).toHaveLength(10);
    expect(rows.filter((r) => r.status === "delivered")).toHaveLength(9);
    expect(rows.find((r) => r.to_phone === failing)).toMatchObject({ status: "undelivered", error_code: 30006 });
    const told = await h.slack.waitForCall(
      "chat.postMessage",
      (c) => c.args.channel === "UEARLY" && String(c.args.text).includes("was not delivered"),
    );
    expect(String(told.args.text)).toContain("•••" + failing.slice(-4));
    expect(String(told.args.text)).toContain("landline or unreachable carrier");
  });
});

describe("an inbound text that cannot be processed", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start({ processReplies: false });
  });
  afterAll(async () => {
    await sql`DROP TRIGGER IF EXISTS refuse_processing ON messages`.execute(h.db);
    await h?.stop();
  });

  it("is set aside after three tries and reported to the organizers once; the texts after it carry on", async () => {
    const [bad, good] = phones(2, 2025558100);
    await seedCampaign(h.db, { slug: "set-aside", contacts: [{ phone: bad! }, { phone: good! }] });
    // A fault in the real database, for this one text: processing it is refused every time.
    await sql`CREATE OR REPLACE FUNCTION refuse_processing() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'injected fault'; END $$`.execute(h.db);
    await sql`CREATE TRIGGER refuse_processing BEFORE UPDATE ON messages FOR EACH ROW
      WHEN (NEW.processed_at IS NOT NULL AND NEW.body LIKE 'unprocessable%')
      EXECUTE FUNCTION refuse_processing()`.execute(h.db);
    expect((await h.inboundSms(bad!, "unprocessable: call me at 5pm")).status).toBe(200);
    expect((await h.inboundSms(good!, "count me in")).status).toBe(200);
    const warnings = () =>
      h.slack
        .callsTo("chat.postMessage")
        .filter((c) => c.args.channel === ORGANIZER && String(c.args.text).includes("set aside"));

    expect(await processLeftoverInbound(h.app.inboundDeps, 0)).toBe(1); // the good one
    expect(await processLeftoverInbound(h.app.inboundDeps, 0)).toBe(0);
    expect(await processLeftoverInbound(h.app.inboundDeps, 0)).toBe(0);
    await h.settle();
    expect(warnings()).toHaveLength(1);
    // Set aside: no more tries, and no second report.
    expect(await processLeftoverInbound(h.app.inboundDeps, 0)).toBe(0);
    const row = await h.db
      .selectFrom("messages")
      .select(["process_failures", "set_aside_at"])
      .where("body", "like", "unprocessable%")
      .executeTakeFirstOrThrow();
    expect(row.process_failures).toBe(3);
    expect(row.set_aside_at).not.toBeNull();
    await h.settle();
    const told = warnings();
    expect(told).toHaveLength(1);
    expect(String(told[0]!.args.text)).toContain("call me at 5pm");
    expect(String(told[0]!.args.text)).toContain("•••" + bad!.slice(-4));
    expect(String(told[0]!.args.text)).not.toContain(bad!.slice(2));
  });
});

describe("texts from numbers in no conversation", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start({ processReplies: false });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it("a flood of texts from numbers in no conversation is two posts a minute per organizer, not one per text", async () => {
    const before = h.slack.callsTo("chat.postMessage").filter((c) => c.args.channel === ORGANIZER).length;
    for (let i = 0; i < 12; i++) await h.inboundSms(`+1312555${String(7000 + i)}`, `wrong number ${i}`);
    expect(await processLeftoverInbound(h.app.inboundDeps, 0)).toBe(12);
    // The minute the texts came in has ended: its summary is due.
    const later = new Date(Date.now() + 61_000);
    await postUnknownSummaries(h.app.inboundDeps, later);
    expect(await postUnknownSummaries(h.app.inboundDeps, later)).toBe(0);
    await h.settle();
    const posts = h.slack
      .callsTo("chat.postMessage")
      .filter((c) => c.args.channel === ORGANIZER)
      .slice(before)
      .map((c) => String(c.args.text));
    // One post at once and one summary for each minute the texts arrived in (two, if they straddle an edge).
    expect(posts.length).toBeLessThanOrEqual(4);
    const immediate = posts.filter((t) => t.startsWith("A text from a number in no conversation"));
    const summarised = posts.map((t) => Number(/^(\d+) more texts? from numbers/.exec(t)?.[1] ?? 0));
    expect(immediate.length + summarised.reduce((a, b) => a + b, 0)).toBe(12);
    const all = posts.join("\n");
    expect(all).toContain("wrong number 0");
    expect(all).toContain("•••7001");
    expect(all).not.toContain("3125557001");
  });
});
