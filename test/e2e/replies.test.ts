import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CARD_ACTIONS } from "../../src/slack/blocks/card.ts";
import type { SlackCall } from "../support/fake-slack.ts";
import { buttonsOf, pressAndWait, startShift, textOf } from "../support/cards.ts";
import { openCanned, submitCanned } from "../support/canned.ts";
import { Harness, ORGANIZER } from "../support/harness.ts";
import { waitFor } from "../support/http-util.ts";
import { phones, seedCampaign } from "../support/seed.ts";
import { processLeftoverInbound, storeInbound } from "../../src/relay/inbound.ts";
import { onPostgres } from "../support/test-db.ts";

const VOL = "UVOLREPLY";

/**
 * Every point, with replies matched and the outbox posting on the app's own event loop
 * ("inline", both databases) and, on PostgreSQL, on the background worker as `npm start` runs it.
 */
function repliesSuite(background: "inline" | "worker") {
  return () => {
    let h: Harness;
    let contacts: string[];
    let sid = 0;
    const inbound = (from: string, body: string, extra: Record<string, string> = {}) => {
      const params = {
        MessageSid: `SM${String(++sid).padStart(32, "0")}`,
        AccountSid: h.twilio.accountSid,
        From: from,
        To: h.twilio.fromNumber,
        Body: body,
        NumMedia: "0",
        ...extra,
      };
      return h.twilioWebhook("/twilio/sms", params).then((res) => ({ res, params }));
    };
    const postsTo = (channel: string) => h.slack.callsTo("chat.postMessage").filter((c) => c.args.channel === channel);
    const threadOf = async (phone: string) => {
      const row = await h.db
        .selectFrom("conversations as v")
        .innerJoin("contacts as c", "c.id", "v.contact_id")
        .select(["v.id", "v.slack_channel", "v.slack_thread_ts", "v.current_tag"])
        .where("c.phone", "=", phone)
        .executeTakeFirstOrThrow();
      return row;
    };
    const threadReply = (
      user: string,
      channel: string,
      threadTs: string,
      text: string,
      eventId?: string,
      ts = `${Date.now() / 1000}`,
    ) =>
      h.event(
        { type: "message", channel, channel_type: "im", user, text, ts, thread_ts: threadTs, client_msg_id: `m-${ts}` },
        { eventId },
      );

    beforeAll(async () => {
      h = await Harness.start({ background });
      h.slack.addUser({ id: VOL, name: "Vera" });
      contacts = phones(6, 2025557000);
      const { campaignId } = await seedCampaign(h.db, {
        slug: "replies",
        title: "Replies Test",
        contacts: contacts.map((phone, i) => ({ phone, first_name: `C${i}`, custom_fields: { city: "Akron" } })),
      });
      await h.db
        .updateTable("campaigns")
        .set({
          canned_replies: JSON.stringify([
            { title: "Polling place", text: "Hi {first_name}, find your polling place at vote.org" },
          ]),
          outcome_tags: JSON.stringify(["Supporter", "Undecided", "Opposed"]),
          help_text: "Replies Test volunteers. Reply STOP to opt out.",
        })
        .where("id", "=", campaignId)
        .execute();
      let card = await startShift(h, VOL, "replies");
      for (let i = 0; i < contacts.length; i++) {
        const next = await pressAndWait(h, VOL, buttonsOf(card.blocks)[CARD_ACTIONS.send]!);
        card = { ...card, blocks: next.blocks };
      }
      await h.app.deliveries.idle();
    });
    afterAll(async () => {
      await h?.stop();
    });

    it("posts a thread parent and the reply into the volunteer's DM, once despite Twilio retrying", async () => {
      const { res, params } = await inbound(contacts[0]!, "Who is this?");
      expect(res.status).toBe(200);
      expect(res.text).toContain("<Response/>");
      const again = await h.twilioWebhook("/twilio/sms", params);
      expect(again.status).toBe(200);
      await h.settle();
      const posts = postsTo("DVOLREPLY").filter(
        (c) => textOf(c.args.blocks).includes("C0") || String(c.args.text).includes("Who is this?"),
      );
      const parent = posts.find((c) => !c.args.thread_ts)!;
      expect(textOf(parent.args.blocks)).toContain("Hi C0, this is Vera with Replies Test");
      expect(textOf(parent.args.blocks)).toContain("Polling place");
      expect(textOf(parent.args.blocks)).toContain("Supporter");
      expect(textOf(parent.args.blocks)).not.toContain(contacts[0]!.slice(2));
      // The parent shows (and its notification says) what they said; the reply itself is in the thread, once.
      expect(parent.args.text).toBe("C0: Who is this?");
      const replies = h.slack
        .callsTo("chat.postMessage")
        .filter((c) => c.args.thread_ts && String(c.args.text).includes("Who is this?"));
      expect(replies).toHaveLength(1);
      const thread = await threadOf(contacts[0]!);
      expect(thread.slack_channel).toBe("DVOLREPLY");
      expect(replies[0]!.args.thread_ts).toBe(thread.slack_thread_ts);
      expect(
        await h.db.selectFrom("messages").select("id").where("twilio_sid", "=", params.MessageSid).execute(),
      ).toHaveLength(1);
      // A second message joins the same thread, no new parent.
      await inbound(contacts[0]!, "Is this about the election?");
      await h.settle();
      const second = h.slack
        .callsTo("chat.postMessage")
        .find((c) => String(c.args.text).includes("about the election"))!;
      expect(second.args.thread_ts).toBe(thread.slack_thread_ts);
      expect(
        postsTo("DVOLREPLY").filter((c) => !c.args.thread_ts && textOf(c.args.blocks).includes("C0 ")),
      ).toHaveLength(1);
    });

    it("texts the volunteer's thread reply to the contact, once despite Slack retrying the event", async () => {
      const thread = await threadOf(contacts[0]!);
      const before = h.twilio.messagesTo(contacts[0]!).length;
      const ts = "1800000000.000100";
      await threadReply(
        VOL,
        thread.slack_channel!,
        thread.slack_thread_ts!,
        "Hi! I'm with the Replies Test campaign &amp; we'd love your vote",
        "EvRetry1",
        ts,
      );
      await waitFor(() => h.twilio.messagesTo(contacts[0]!).length === before + 1, { what: "the reply text" });
      // Slack retries an event it thinks we missed seconds later, with the same event_id (the
      // different text here only shows which copy was texted).
      await h.event(
        {
          type: "message",
          channel: thread.slack_channel,
          channel_type: "im",
          user: VOL,
          text: "dup",
          ts,
          thread_ts: thread.slack_thread_ts,
        },
        { eventId: "EvRetry1", retryNum: 1 },
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      await h.app.deliveries.idle();
      const sent = h.twilio.messagesTo(contacts[0]!);
      expect(sent).toHaveLength(before + 1);
      expect(sent.at(-1)!.body).toBe("Hi! I'm with the Replies Test campaign & we'd love your vote");
    });

    it("refuses a reply from someone who does not have the conversation", async () => {
      const thread = await threadOf(contacts[0]!);
      const before = h.twilio.messagesTo(contacts[0]!).length;
      await threadReply("UINTRUDER", thread.slack_channel!, thread.slack_thread_ts!, "let me in");
      const notice = await h.slack.waitForCall("chat.postEphemeral", (c) => c.args.user === "UINTRUDER");
      expect(String(notice.args.text)).toContain("Only <@UVOLREPLY>");
      expect(h.twilio.messagesTo(contacts[0]!)).toHaveLength(before);
    });

    it("answers an edit of a sent reply: the SMS cannot be changed", async () => {
      const thread = await threadOf(contacts[0]!);
      await h.event({
        type: "message",
        subtype: "message_changed",
        channel: thread.slack_channel,
        channel_type: "im",
        ts: "1800000001.000000",
        message: { ts: "1800000000.000100", thread_ts: thread.slack_thread_ts, user: VOL, text: "edited" },
        previous_message: { ts: "1800000000.000100", thread_ts: thread.slack_thread_ts, user: VOL, text: "orig" },
      });
      const notice = await h.slack.waitForCall("chat.postEphemeral", (c) => String(c.args.text).startsWith("Editing"));
      expect(String(notice.args.text)).toContain("does not change the text already sent");
    });

    it("sends a canned reply rendered for the contact, once per double click, and records outcome tags", async () => {
      const thread = await threadOf(contacts[0]!);
      const parent = h.slack
        .callsTo("chat.postMessage")
        .find((c) => !c.args.thread_ts && c.args.channel === "DVOLREPLY" && textOf(c.args.blocks).includes("C0 "))!;
      const buttons = buttonsOf(parent.args.blocks);
      const canned = buttons["conv_canned:0"]!;
      const before = h.twilio.messagesTo(contacts[0]!).length;
      // A double click opens two modals, prefilled alike; Send in both texts it once.
      const modals = await Promise.all([openCanned(h, VOL, canned), openCanned(h, VOL, canned)]);
      expect(modals.map((m) => m.text)).toEqual([
        "Hi C0, find your polling place at vote.org",
        "Hi C0, find your polling place at vote.org",
      ]);
      expect(h.twilio.messagesTo(contacts[0]!)).toHaveLength(before);
      await Promise.all(modals.map((m) => submitCanned(h, VOL, m.view, m.text)));
      await waitFor(() => h.twilio.messagesTo(contacts[0]!).length > before, { what: "the canned reply" });
      await h.app.deliveries.idle();
      const sent = h.twilio.messagesTo(contacts[0]!);
      expect(sent).toHaveLength(before + 1);
      expect(sent.at(-1)!.body).toBe("Hi C0, find your polling place at vote.org");

      const tagged = await pressAndWait(h, VOL, buttons["conv_tag:1"]!);
      expect(tagged.body.replace_original).toBe(true);
      expect(textOf(tagged.blocks)).toContain("✓ Undecided");
      await pressAndWait(h, VOL, buttons["conv_tag:0"]!);
      expect((await threadOf(contacts[0]!)).current_tag).toBe("Supporter");
      const history = await h.db
        .selectFrom("outcome_events")
        .select(["tag", "user_id"])
        .where("conversation_id", "=", thread.id)
        .orderBy("id")
        .execute();
      expect(history).toEqual([
        { tag: "Undecided", user_id: VOL },
        { tag: "Supporter", user_id: VOL },
      ]);
    });

    it("STOP opts the number out everywhere, marks the thread, and nothing more is sent", async () => {
      const phone = contacts[1]!;
      await inbound(phone, "Hello?");
      await inbound(phone, " Stop. ");
      await h.settle();
      expect(
        await h.db.selectFrom("opt_outs").select(["phone", "keyword"]).where("phone", "=", phone).executeTakeFirst(),
      ).toEqual({ phone, keyword: "STOP" });
      const thread = await threadOf(phone);
      const note = h.slack
        .callsTo("chat.postMessage")
        .find((c) => c.args.thread_ts === thread.slack_thread_ts && String(c.args.text).includes("opted out"));
      expect(note).toBeTruthy();
      await h.app.deliveries.idle();
      // Twilio confirms STOP itself: we send nothing back.
      expect(h.twilio.messagesTo(phone)).toHaveLength(1);
      await threadReply(VOL, thread.slack_channel!, thread.slack_thread_ts!, "Sorry to bother you!");
      // Answered in the thread itself (seen on any device), with the number masked.
      const refused = await h.slack.waitForCall(
        "chat.postMessage",
        (c) => c.args.thread_ts === thread.slack_thread_ts && String(c.args.text).includes("opted out;"),
      );
      expect(String(refused.args.text)).toBe(
        `:no_entry_sign: Not sent: •••${phone.slice(-4)} opted out; nothing more can be texted to it.`,
      );
      expect(h.twilio.messagesTo(phone)).toHaveLength(1);
    });

    it("confirms an opt-out in words once, answers HELP, and START opts back in", async () => {
      const phone = contacts[2]!;
      await inbound(phone, "Please take me off this list");
      await waitFor(() => h.twilio.messagesTo(phone).length === 2, { what: "one confirmation" });
      expect(h.twilio.messagesTo(phone)[1]!.body).toContain("unsubscribed");
      const help = contacts[3]!;
      await inbound(help, "HELP");
      await waitFor(() => h.twilio.messagesTo(help).length === 2, { what: "the help text" });
      expect(h.twilio.messagesTo(help)[1]!.body).toBe("Replies Test volunteers. Reply STOP to opt out.");
      await inbound(phone, "START");
      await h.settle();
      expect(
        await h.db.selectFrom("opt_outs").select("phone").where("phone", "=", phone).executeTakeFirst(),
      ).toBeUndefined();
      expect(h.twilio.messagesTo(phone)).toHaveLength(2);
    });

    it("shows MMS as links and a stranger's text to organizers", async () => {
      await inbound(contacts[4]!, "", { NumMedia: "1", MediaUrl0: "https://media.example.org/img1.jpg" });
      await inbound("+13125550199", "Who dis");
      await h.settle();
      expect(
        h.slack
          .callsTo("chat.postMessage")
          .some((c) => String(c.args.text).includes("<https://media.example.org/img1.jpg|attachment 1>")),
      ).toBe(true);
      const toOrganizer = h.slack.callsTo("chat.postMessage").find((c) => c.args.channel === ORGANIZER)!;
      expect(String(toOrganizer.args.text)).toContain("Who dis");
      expect(String(toOrganizer.args.text)).toContain("•••0199");
      expect(
        await h.db.selectFrom("messages").select("id").where("from_phone", "=", "+13125550199").execute(),
      ).toHaveLength(1);
    });

    it("status callbacks only move forward and a failure shows in the thread", async () => {
      const phone = contacts[0]!;
      const last = h.twilio.messagesTo(phone).at(-1)!;
      const status = (MessageStatus: string, extra: Record<string, string> = {}) =>
        h.twilioWebhook("/twilio/status", { MessageSid: last.sid, MessageStatus, ...extra });
      expect((await status("delivered")).status).toBe(204);
      await status("sent");
      const row = await h.db
        .selectFrom("messages")
        .select(["status"])
        .where("twilio_sid", "=", last.sid)
        .executeTakeFirstOrThrow();
      expect(row.status).toBe("delivered");
      const opening = h.twilio.messagesTo(contacts[5]!)[0]!;
      await h.twilioWebhook("/twilio/status", {
        MessageSid: opening.sid,
        MessageStatus: "undelivered",
        ErrorCode: "30006",
      });
      await h.settle();
      const notice = h.slack
        .callsTo("chat.postMessage")
        .find((c) => String(c.args.text).includes("was not delivered"))!;
      expect(String(notice.args.text)).toContain("landline or unreachable carrier");
      expect(notice.args.channel).toBe(VOL);
    });

    it("keeps posting through Slack 429s and a restart mid-outbox, each post exactly once", async () => {
      const phone = contacts[5]!;
      h.slack.failNext("chat.postMessage", 429, { count: 3, retryAfter: 1 });
      await inbound(phone, "first after 429");
      await inbound(phone, "second after 429");
      await h.restart();
      await inbound(phone, "third after restart");
      await h.settle();
      for (const text of ["first after 429", "second after 429", "third after restart"]) {
        // Once in the thread (the parent, which shows the latest text, is not counted).
        expect(
          h.slack
            .callsTo("chat.postMessage")
            .filter((c: SlackCall) => c.args.thread_ts && String(c.args.text).includes(text)),
        ).toHaveLength(1);
      }
      const thread = await threadOf(phone);
      const inThread = h.slack
        .callsTo("chat.postMessage")
        .filter((c) => String(c.args.text).includes("after") && c.args.thread_ts === thread.slack_thread_ts);
      expect(inThread).toHaveLength(3);
    });

    it("reassign moves conversations with their history; release returns held contacts", async () => {
      const phone = contacts[3]!;
      const answer = await h.commandText(ORGANIZER, `reassign replies <@${VOL}> <@UNEWVOL>`);
      expect(answer).toContain("from <@UVOLREPLY> to <@UNEWVOL>");
      await h.settle();
      const thread = await threadOf(phone);
      expect(thread.slack_channel).toBe("DNEWVOL");
      const history = h.slack
        .callsTo("chat.postMessage")
        .find((c) => c.args.thread_ts === thread.slack_thread_ts && String(c.args.text).includes("Reassigned to you"))!;
      expect(String(history.args.text)).toContain("*Them:* HELP");
      await inbound(phone, "Are you still there?");
      await h.settle();
      const latest = h.slack.callsTo("chat.postMessage").find((c) => String(c.args.text).includes("still there"))!;
      expect(latest.args).toMatchObject({ channel: "DNEWVOL", thread_ts: thread.slack_thread_ts });
      const before = h.twilio.messagesTo(phone).length;
      await threadReply("UNEWVOL", "DNEWVOL", thread.slack_thread_ts!, "Yes, I'm here!");
      await waitFor(() => h.twilio.messagesTo(phone).length === before + 1, { what: "the new volunteer's reply" });
      expect(await h.commandText(ORGANIZER, `release replies <@${VOL}>`)).toContain("holds no unsent contacts");
      expect(await h.commandText(VOL, `release replies <@${VOL}>`)).toContain("Only organizers");
    });

    it("a text stored but not processed before a crash is processed by the sweep, once", async () => {
      const phone = contacts[4]!;
      const id = await storeInbound(h.db, {
        sid: "SMleftover000000000000000000000001",
        from: phone,
        to: h.twilio.fromNumber,
        body: "left over",
        mediaUrls: [],
      });
      await h.db
        .updateTable("messages")
        .set({ created_at: new Date(Date.now() - 60_000) })
        .where("id", "=", id!)
        .execute();
      expect(await processLeftoverInbound(h.app.inboundDeps, 10)).toBe(1);
      expect(await processLeftoverInbound(h.app.inboundDeps, 10)).toBe(0);
      await h.settle();
      expect(h.slack.callsTo("chat.postMessage").filter((c) => String(c.args.text).includes("left over"))).toHaveLength(
        1,
      );
    });
  };
}

describe("replies: Twilio in, one thread per conversation, replies out", repliesSuite("inline"));
describe.runIf(onPostgres)("replies with matching and the outbox on the background worker", repliesSuite("worker"));
