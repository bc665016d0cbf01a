import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CARD_ACTIONS } from "../../src/slack/blocks/card.ts";
import { enqueuePost } from "../../src/outbox/outbox.ts";
import { buttonsOf, pressAndWait, startShift } from "../support/cards.ts";
import { Harness, ORGANIZER } from "../support/harness.ts";
import { waitFor } from "../support/http-util.ts";
import { phones, seedCampaign } from "../support/seed.ts";

const VOL = "UVOLFEED";
const DM = "DVOLFEED";
const NEXT = "UNEXTVOL";
const OPENING =
  "Hi {first_name}, this is {texter_name} with {campaign}. Early voting starts Saturday at the library " +
  "on Main Street; can we count on you? Reply STOP to opt out.";

/**
 * What a volunteer sees of their own reply in a conversation's thread: a reaction that says it
 * is on its way, then delivered or failed, and a refusal answered in the thread with why.
 */
describe("thread feedback: every reply says whether it was sent", () => {
  let h: Harness;
  let contacts: string[];
  let tsCounter = 0;
  let campaignId: number;

  const threadOf = (phone: string) =>
    h.db
      .selectFrom("conversations as v")
      .innerJoin("contacts as c", "c.id", "v.contact_id")
      .select(["v.id", "v.slack_channel", "v.slack_thread_ts", "v.current_tag"])
      .where("c.phone", "=", phone)
      .executeTakeFirstOrThrow();
  /** A conversation with a thread in the volunteer's DM (the contact has replied). */
  const openThread = async (phone: string, body = "Who is this?") => {
    await h.inboundSms(phone, body);
    await h.settle();
    const thread = await threadOf(phone);
    expect(thread.slack_thread_ts).toBeTruthy();
    return thread as typeof thread & { slack_channel: string; slack_thread_ts: string };
  };
  /** The volunteer writes in a thread, as Slack sends it (message.im); returns the message's ts. */
  const write = async (user: string, channel: string, threadTs: string, text: string, extra = {}) => {
    const ts = `1800000${String(++tsCounter).padStart(3, "0")}.000200`;
    await h.event({ type: "message", channel, channel_type: "im", user, text, ts, thread_ts: threadTs, ...extra });
    return ts;
  };
  const reactionCalls = (method: string, ts: string) =>
    h.slack.callsTo(method).filter((c) => c.args.timestamp === ts && c.status === 200);
  const threadPosts = (channel: string, threadTs: string) =>
    h.slack.callsTo("chat.postMessage").filter((c) => c.args.channel === channel && c.args.thread_ts === threadTs);
  const status = (sid: string, MessageStatus: string, extra: Record<string, string> = {}) =>
    h.twilioWebhook("/twilio/status", { MessageSid: sid, MessageStatus, ...extra });

  beforeAll(async () => {
    h = await Harness.start();
    h.slack.addUser({ id: VOL, name: "Vera" });
    contacts = phones(8, 2025558100);
    ({ campaignId } = await seedCampaign(h.db, {
      slug: "feedback",
      title: "Feedback Test",
      opening: OPENING,
      contacts: contacts.map((phone, i) => ({ phone, first_name: `Maria${i}`, last_name: "Álvarez" })),
    }));
    await h.db
      .updateTable("campaigns")
      .set({ outcome_tags: JSON.stringify(["Supporter", "Undecided", "Opposed"]) })
      .where("id", "=", campaignId)
      .execute();
    let card = await startShift(h, VOL, "feedback");
    for (let i = 0; i < contacts.length; i++) {
      const next = await pressAndWait(h, VOL, buttonsOf(card.blocks)[CARD_ACTIONS.send]!);
      card = { ...card, blocks: next.blocks };
    }
    await h.app.deliveries.idle();
  });
  afterAll(async () => {
    await h?.stop();
  });

  describe("the thread parent shows what the contact said", () => {
    type Block = { type: string; text?: { text: string }; elements?: Record<string, unknown>[] };
    const updatesOf = (ts: string) => h.slack.callsTo("chat.update").filter((c) => c.args.ts === ts);
    const blocksOf = (call: { args: Record<string, unknown> }) => {
      const raw = call.args.blocks;
      return (typeof raw === "string" ? JSON.parse(raw) : raw) as Block[];
    };

    it("shows the latest reply, shortened, in the parent and its notification text; the opening is cut short", async () => {
      const phone = contacts[6]!;
      const long =
        "Yes! I'll vote early this year, at the library on Main Street, with my whole family, " +
        "my neighbours, and probably half the street too — we have talked about it for weeks and weeks, " +
        "and honestly we are all very excited about it. See you there! 🗳️🗳️🗳️🗳️🗳️🗳️🗳️🗳️🗳️🗳️🗳️🗳️🗳️🗳️🗳️🗳️🗳️🗳️🗳️🗳️";
      await h.inboundSms(phone, long);
      await h.settle();
      const thread = await threadOf(phone);
      const parent = h.slack
        .callsTo("chat.postMessage")
        .find((c) => !c.args.thread_ts && String(c.args.text).startsWith("Maria6 Á.:"))!;
      expect(parent).toBeTruthy();
      const text = String(parent.args.text);
      expect(text.startsWith("Maria6 Á.: Yes! I'll vote early this year")).toBe(true);
      expect(text.endsWith("…")).toBe(true);
      expect(text.length).toBeLessThanOrEqual(150 + "Maria6 Á.: ".length);
      expect(text.isWellFormed()).toBe(true);
      const blocks = blocksOf(parent);
      const latest = blocks.find((b) => b.type === "section" && b.text!.text.startsWith("*Maria6 Á.:*"))!;
      expect(latest.text!.text).toMatch(/^\*Maria6 Á\.:\* Yes! I'll vote early this year.*…$/);
      expect(latest.text!.text.length).toBeLessThanOrEqual(3000);
      const sentOpening = h.twilio.messagesTo(phone)[0]!.body;
      expect(sentOpening.length).toBeGreaterThan(81);
      const opening = JSON.stringify(blocks.filter((b) => b.type === "context"));
      expect(opening).toContain(`Opening: ${sentOpening.slice(0, 80)}…`);
      expect(opening).not.toContain("Reply STOP");
      expect(JSON.stringify(blocks)).not.toContain(phone.slice(2, 8));

      // The next text redraws the posted parent (chat.update, in the same DM).
      await h.inboundSms(phone, "Actually, what time does it open?\nAnd is there parking?");
      await h.settle();
      const update = updatesOf(thread.slack_thread_ts!).at(-1)!;
      expect(update.args.channel).toBe(DM);
      expect(update.args.text).toBe("Maria6 Á.: Actually, what time does it open? And is there parking?");
      expect(JSON.stringify(blocksOf(update))).toContain(
        "*Maria6 Á.:* Actually, what time does it open? And is there parking?",
      );
      expect(JSON.stringify(blocksOf(update))).toContain("Opening: Hi Maria6");
    });

    it("coalesces: texts arriving while the DM is busy redraw the parent once, with the newest", async () => {
      const phone = contacts[6]!;
      const thread = await threadOf(phone);
      const before = updatesOf(thread.slack_thread_ts!).length;
      // Slack is slow with the first post in this DM: the texts behind it queue up meanwhile.
      h.slack.delayNext("chat.postMessage", { ms: 2000 });
      await h.inboundSms(phone, "one");
      await waitFor(() => h.slack.callsTo("chat.postMessage").some((c) => c.args.text === ">one"), {
        what: "the first post",
      });
      await h.inboundSms(phone, "two");
      await h.inboundSms(phone, "three");
      await h.settle();
      const updates = updatesOf(thread.slack_thread_ts!).slice(before);
      expect(updates.map((c) => c.args.text)).toEqual(["Maria6 Á.: three"]);
      expect(
        h.slack.callsTo("chat.postMessage").filter((c) => [">one", ">two", ">three"].includes(String(c.args.text))),
      ).toHaveLength(3);
    });

    it("with more than four outcome tags the parent has a menu, and choosing from it tags the conversation", async () => {
      const tags = ["Supporter", "Leaning yes", "Undecided", "Leaning no", "Opposed", "Wrong number"];
      await h.db
        .updateTable("campaigns")
        .set({ outcome_tags: JSON.stringify(tags) })
        .where("id", "=", campaignId)
        .execute();
      const phone = contacts[7]!;
      await h.inboundSms(phone, "Sure, I'll be there");
      await h.settle();
      const thread = await threadOf(phone);
      const parent = h.slack
        .callsTo("chat.postMessage")
        .find((c) => !c.args.thread_ts && String(c.args.text).startsWith("Maria7 Á.:"))!;
      const blocks = blocksOf(parent);
      const row = blocks.find(
        (b) => b.type === "actions" && String((b as { block_id?: string }).block_id).startsWith("tags:"),
      )!;
      expect(row.elements).toHaveLength(1);
      const select = row.elements![0] as {
        type: string;
        action_id: string;
        options: { text: { text: string }; value: string }[];
      };
      expect(select).toMatchObject({ type: "static_select", action_id: "conv_tag_select" });
      expect(select.options.map((o) => o.text.text)).toEqual(tags);
      const responseUrl = h.slack.responseUrl();
      const res = await h.interact({
        type: "block_actions",
        user: { id: VOL, username: "vera", team_id: "T0001" },
        api_app_id: "A0001",
        token: "unused",
        team: { id: "T0001", domain: "fake" },
        container: { type: "message", message_ts: thread.slack_thread_ts, channel_id: thread.slack_channel },
        channel: { id: thread.slack_channel, name: "directmessage" },
        trigger_id: "trigger.select",
        response_url: responseUrl,
        actions: [
          {
            type: "static_select",
            action_id: select.action_id,
            block_id: (row as { block_id?: string }).block_id,
            selected_option: select.options[4],
            action_ts: String(Date.now() / 1000),
          },
        ],
      });
      expect(res.status).toBe(200);
      const redrawn = await h.slack.waitForResponse(responseUrl);
      expect(redrawn.body.replace_original).toBe(true);
      const again = (redrawn.body.blocks as Block[]).find(
        (b) => b.type === "actions" && String((b as { block_id?: string }).block_id).startsWith("tags:"),
      )!;
      expect(again.elements![0]).toMatchObject({ initial_option: { text: { text: "Opposed" } } });
      expect((await threadOf(phone)).current_tag).toBe("Opposed");
    });
  });

  it("a texted reply gets :outbox_tray:, which becomes :white_check_mark: when Twilio says delivered", async () => {
    const phone = contacts[0]!;
    const thread = await openThread(phone);
    expect(thread.slack_channel).toBe(DM);
    const before = h.twilio.messagesTo(phone).length;
    const ts = await write(VOL, DM, thread.slack_thread_ts, "Hi Maria, it's Vera from Feedback Test");
    await waitFor(() => h.twilio.messagesTo(phone).length === before + 1, { what: "the reply texted" });
    await h.settle();
    expect(reactionCalls("reactions.add", ts).map((c) => c.args)).toEqual([
      expect.objectContaining({ channel: DM, timestamp: ts, name: "outbox_tray" }),
    ]);
    expect(h.slack.reactionsOn(DM, ts)).toEqual(["outbox_tray"]);
    const stored = await h.db
      .selectFrom("messages")
      .select(["slack_reply_channel", "slack_reply_ts"])
      .where("twilio_sid", "=", h.twilio.messagesTo(phone).at(-1)!.sid)
      .executeTakeFirstOrThrow();
    expect(stored).toEqual({ slack_reply_channel: DM, slack_reply_ts: ts });

    const sid = h.twilio.messagesTo(phone).at(-1)!.sid;
    expect((await status(sid, "sent")).status).toBe(204);
    expect((await status(sid, "delivered")).status).toBe(204);
    await status(sid, "delivered"); // Twilio repeating itself changes nothing
    await h.settle();
    expect(h.slack.reactionsOn(DM, ts)).toEqual(["white_check_mark"]);
    expect(reactionCalls("reactions.remove", ts).map((c) => c.args.name)).toEqual(["outbox_tray"]);
    expect(reactionCalls("reactions.add", ts).map((c) => c.args.name)).toEqual(["outbox_tray", "white_check_mark"]);
    // Nothing else was said in the thread about it.
    expect(threadPosts(DM, thread.slack_thread_ts).filter((c) => String(c.args.text).includes("Not sent"))).toEqual([]);
  });

  it("Slack answering already_reacted or no_reaction counts as done, not as a failure", async () => {
    const thread = await threadOf(contacts[0]!);
    const ts = h.slack.callsTo("reactions.add").find((c) => c.args.name === "white_check_mark")!.args
      .timestamp as string;
    await enqueuePost(h.db, {
      dedupeKey: "test:again-add",
      channel: DM,
      method: "reactions.add",
      payload: { timestamp: ts, name: "white_check_mark" },
    });
    await enqueuePost(h.db, {
      dedupeKey: "test:again-remove",
      channel: DM,
      method: "reactions.remove",
      payload: { timestamp: ts, name: "outbox_tray" },
    });
    await h.settle();
    const rows = await h.db
      .selectFrom("slack_outbox")
      .select(["dedupe_key", "state", "attempts"])
      .where("dedupe_key", "in", ["test:again-add", "test:again-remove"])
      .orderBy("dedupe_key")
      .execute();
    expect(rows).toEqual([
      { dedupe_key: "test:again-add", state: "posted", attempts: 1 },
      { dedupe_key: "test:again-remove", state: "posted", attempts: 1 },
    ]);
    expect(h.slack.reactionsOn(DM, ts)).toEqual(["white_check_mark"]);
    expect(thread.slack_channel).toBe(DM);
  });

  it("an undelivered reply gets :x: and a message in the thread saying why", async () => {
    const phone = contacts[1]!;
    const thread = await openThread(phone);
    const before = h.twilio.messagesTo(phone).length;
    const ts = await write(VOL, DM, thread.slack_thread_ts, "Are you registered at your current address?");
    await waitFor(() => h.twilio.messagesTo(phone).length === before + 1, { what: "the reply texted" });
    const sid = h.twilio.messagesTo(phone).at(-1)!.sid;
    await h.settle();
    await status(sid, "undelivered", { ErrorCode: "30006" });
    await h.settle();
    expect(h.slack.reactionsOn(DM, ts)).toEqual(["x"]);
    const notice = threadPosts(DM, thread.slack_thread_ts).find((c) => String(c.args.text).includes("not delivered"));
    expect(String(notice?.args.text)).toBe(
      `:warning: The text to •••${phone.slice(-4)} was not delivered: landline or unreachable carrier.`,
    );
    expect(String(notice?.args.text)).not.toContain(phone.slice(2, 8));
  });

  it("a reply in a thread the conversation left is not texted, and the thread says where it went", async () => {
    const phone = contacts[2]!;
    const old = await openThread(phone);
    const answer = await h.commandText(ORGANIZER, `reassign feedback <@${VOL}> <@${NEXT}>`);
    expect(answer).toContain(`to <@${NEXT}>`);
    await h.settle();
    const moved = await threadOf(phone);
    expect(moved.slack_channel).toBe("DNEXTVOL");
    const before = h.twilio.messagesTo(phone).length;
    const ts = await write(VOL, DM, old.slack_thread_ts, "Still there?");
    await waitFor(() => threadPosts(DM, old.slack_thread_ts).find((c) => String(c.args.text).includes("Not sent")), {
      what: "the refusal in the old thread",
    });
    await h.settle();
    const refusal = threadPosts(DM, old.slack_thread_ts).filter((c) => String(c.args.text).includes("Not sent"));
    expect(refusal.map((c) => c.args.text)).toEqual([
      `:no_entry_sign: Not sent: this conversation moved to <@${NEXT}>, who texts this contact now.`,
    ]);
    expect(h.slack.reactionsOn(DM, ts)).toEqual(["no_entry_sign"]);
    await h.app.deliveries.idle();
    expect(h.twilio.messagesTo(phone)).toHaveLength(before);
    // The new volunteer's thread still texts.
    const ts2 = await write(NEXT, "DNEXTVOL", moved.slack_thread_ts!, "Hi, I'm taking over from Vera");
    await waitFor(() => h.twilio.messagesTo(phone).length === before + 1, { what: "the new volunteer's reply" });
    await h.settle();
    expect(h.slack.reactionsOn("DNEXTVOL", ts2)).toEqual(["outbox_tray"]);
  });

  it("a reply to a number that opted out is not texted, and the thread says so (number masked)", async () => {
    // The earlier reassign moved every conversation of VOL's: this one is NEXT's now.
    const phone = contacts[3]!;
    await h.inboundSms(phone, "Hello?");
    await h.inboundSms(phone, "STOP");
    await h.settle();
    const thread = await threadOf(phone);
    const before = h.twilio.messagesTo(phone).length;
    const ts = await write(NEXT, thread.slack_channel!, thread.slack_thread_ts!, "Sorry to bother you!");
    await waitFor(
      () =>
        threadPosts(thread.slack_channel!, thread.slack_thread_ts!).find((c) => /Not sent/.test(String(c.args.text))),
      { what: "the refusal" },
    );
    await h.settle();
    const texts = threadPosts(thread.slack_channel!, thread.slack_thread_ts!).map((c) => String(c.args.text));
    expect(texts).toContain(
      `:no_entry_sign: Not sent: •••${phone.slice(-4)} opted out; nothing more can be texted to it.`,
    );
    expect(texts.join("\n")).not.toContain(phone.slice(2, 8));
    expect(h.slack.reactionsOn(thread.slack_channel!, ts)).toEqual(["no_entry_sign"]);
    expect(h.twilio.messagesTo(phone)).toHaveLength(before);
  });

  it("a reply too long for a text, or a file, is answered in the thread and not texted", async () => {
    const phone = contacts[4]!;
    const thread = await openThread(phone);
    const before = h.twilio.messagesTo(phone).length;
    const channel = thread.slack_channel;
    const long = await write(NEXT, channel, thread.slack_thread_ts, "x".repeat(1601));
    const file = await write(NEXT, channel, thread.slack_thread_ts, "here is the flyer", {
      subtype: "file_share",
      files: [{ id: "F1" }],
    });
    await waitFor(
      () =>
        threadPosts(channel, thread.slack_thread_ts).filter((c) => /Not sent/.test(String(c.args.text))).length >= 2,
      { what: "two refusals" },
    );
    await h.settle();
    const texts = threadPosts(channel, thread.slack_thread_ts).map((c) => String(c.args.text));
    expect(texts).toContain(
      ":no_entry_sign: Not sent: that is 1,601 characters; a text can be at most 1,600. Shorten it and post again.",
    );
    expect(texts.some((t) => t.includes("Not sent: a file or picture can't be texted"))).toBe(true);
    expect(h.slack.reactionsOn(channel, long)).toEqual(["no_entry_sign"]);
    expect(h.slack.reactionsOn(channel, file)).toEqual(["no_entry_sign"]);
    await h.app.deliveries.idle();
    expect(h.twilio.messagesTo(phone)).toHaveLength(before);
  });
});
