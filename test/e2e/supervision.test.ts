import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { View } from "@slack/types";
import type { Textbank } from "../../src/app.ts";
import { CARD_ACTIONS } from "../../src/slack/blocks/card.ts";
import { buttonsOf, press, pressAndWait, startShift, textOf, type CardButton } from "../support/cards.ts";
import { openCanned, submitCanned } from "../support/canned.ts";
import { Harness, ORGANIZER } from "../support/harness.ts";
import { waitFor } from "../support/http-util.ts";
import { phones, seedCampaign } from "../support/seed.ts";
import { onPostgres } from "../support/test-db.ts";

const VOL = "UVOLSUP";
const VOL_DM = "DVOLSUP";
const ORG2 = "UORGTWO";
const STRANGER = "USTRANGER";

/**
 * Supervision end to end: an organizer opens a conversation (a thread of their own, texted once,
 * shown in every thread), a volunteer escalates one with a reason, and the first organizer to
 * press Take it gets it.
 */
describe("supervision: Open, Escalate, Take it", () => {
  let h: Harness;
  let contacts: string[];
  let campaignId: number;
  let eventSeq = 0;

  const user = (id: string) => ({ id, username: id.toLowerCase(), name: id.toLowerCase(), team_id: "T0001" });
  const conversationOf = (phone: string) =>
    h.db
      .selectFrom("conversations as v")
      .innerJoin("contacts as c", "c.id", "v.contact_id")
      .select(["v.id", "v.slack_channel", "v.slack_thread_ts", "v.escalated_at", "v.escalation_reason", "v.taken_by"])
      .where("c.phone", "=", phone)
      .executeTakeFirstOrThrow();
  const watchersOf = (conversationId: number) =>
    h.db
      .selectFrom("conversation_watchers")
      .selectAll()
      .where("conversation_id", "=", conversationId)
      .orderBy("id")
      .execute();
  const button = (action_id: string, value: unknown): CardButton => ({
    action_id,
    value: typeof value === "string" ? value : JSON.stringify(value),
    block_id: "b",
  });
  const threadReply = (who: string, channel: string, threadTs: string, text: string, eventId?: string) => {
    const ts = `${1_800_000_000 + ++eventSeq}.000200`;
    return h.event(
      { type: "message", channel, channel_type: "im", user: who, text, ts, thread_ts: threadTs },
      { eventId: eventId ?? `EvSup${eventSeq}` },
    );
  };
  const texts = (channel: string, threadTs: string) => h.slack.messagesIn(channel, threadTs).map((m) => String(m.text));
  /** A button in a message (Take it), pressed as Slack sends it: with the message, for its redraw. */
  const pressInMessage = (
    who: string,
    pressed: CardButton,
    message: { text?: unknown; blocks?: unknown },
    { port, channel = "CESC" }: { port?: number; channel?: string } = {},
  ) => {
    const responseUrl = h.slack.responseUrl();
    return h
      .interact(
        {
          type: "block_actions",
          user: user(who),
          api_app_id: "A0001",
          team: { id: "T0001", domain: "fake" },
          container: { type: "message", message_ts: "1700000009.000100", channel_id: channel, is_ephemeral: false },
          channel: { id: channel, name: "escalations" },
          message: { ts: "1700000009.000100", text: message.text, blocks: message.blocks },
          trigger_id: `trigger.${Math.random().toString(36).slice(2)}`,
          response_url: responseUrl,
          actions: [{ type: "button", ...pressed, text: { type: "plain_text", text: "x" }, action_ts: "1" }],
        },
        { port },
      )
      .then((res) => ({ status: res.status, responseUrl }));
  };
  const submitEscalation = (who: string, privateMetadata: string, reason: string | null) =>
    h.interact({
      type: "view_submission",
      team: { id: "T0001", domain: "fake" },
      user: user(who),
      api_app_id: "A0001",
      view: {
        id: `VESC${++eventSeq}`,
        type: "modal",
        callback_id: "conv_escalate",
        private_metadata: privateMetadata,
        state: { values: { reason: { value: { type: "plain_text_input", value: reason } } } },
      },
    });
  /** Escalates a conversation as the volunteer: the thread parent's button, then the modal. */
  const escalate = async (conversationId: number, reason: string) => {
    const before = h.slack.callsTo("views.open").length;
    await press(h, VOL, button("conv_escalate", { c: conversationId }));
    await waitFor(() => h.slack.callsTo("views.open").length > before, { what: "the Escalate modal" });
    const modal = h.slack.callsTo("views.open").at(-1)!.args.view as View;
    const res = await submitEscalation(VOL, modal.private_metadata!, reason);
    expect(res.status).toBe(200);
    await h.settle();
    return modal;
  };
  const escalationPosts = (channel: string, conversationId: number) =>
    h.slack
      .callsTo("chat.postMessage")
      .filter((c) => c.args.channel === channel && textOf(c.args.blocks).includes(`{\\"c\\":${conversationId}}`))
      .filter((c) => textOf(c.args.blocks).includes("escalation_take"));

  beforeAll(async () => {
    h = await Harness.start();
    h.slack.addUser({ id: VOL, name: "Vera" });
    contacts = phones(5, 2025559300);
    ({ campaignId } = await seedCampaign(h.db, {
      slug: "sup",
      title: "Supervision Test",
      contacts: contacts.map((phone, i) => ({ phone, first_name: `S${i}`, last_name: "Lee" })),
    }));
    await h.db
      .updateTable("campaigns")
      .set({
        canned_replies: JSON.stringify([{ title: "Where to vote", text: "Find your polling place at vote.org" }]),
        outcome_tags: JSON.stringify(["Supporter", "Opposed"]),
      })
      .where("id", "=", campaignId)
      .execute();
    await h.db.insertInto("organizers").values({ user_id: ORG2, added_by: ORGANIZER }).execute();
    let card = await startShift(h, VOL, "sup");
    for (let i = 0; i < contacts.length; i++) {
      const next = await pressAndWait(h, VOL, buttonsOf(card.blocks)[CARD_ACTIONS.send]!);
      card = { ...card, blocks: next.blocks };
    }
    await h.app.deliveries.idle();
    for (const phone of contacts.slice(0, 3)) await h.inboundSms(phone, `Who is this? (${phone.slice(-2)})`);
    await h.settle();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it("Open posts the same parent and the history into the organizer's DM, as a thread", async () => {
    const conversation = await conversationOf(contacts[0]!);
    const { responseUrl } = await press(h, ORGANIZER, button("review_open", { c: conversation.id }));
    const answer = await h.slack.waitForResponse(responseUrl);
    expect(String(answer.body.text)).toContain("Opened");
    expect(answer.body.response_type).toBe("ephemeral");
    await h.settle();
    const [watcher] = await watchersOf(conversation.id);
    expect(watcher).toMatchObject({ user_id: ORGANIZER, reason: "open", channel: "DORGANIZER" });
    const thread = h.slack.messagesIn("DORGANIZER", watcher!.thread_ts!);
    const parent = h.slack
      .callsTo("chat.postMessage")
      .find((c) => c.args.channel === ORGANIZER && !c.args.thread_ts && textOf(c.args.blocks).includes("S0 Lee"))!;
    // The volunteer's parent: canned replies, tags, Escalate; the number masked.
    expect(textOf(parent.args.blocks)).toContain("Where to vote");
    expect(textOf(parent.args.blocks)).toContain("Supporter");
    expect(textOf(parent.args.blocks)).toContain("conv_escalate");
    expect(textOf(parent.args.blocks)).toContain(`•••${contacts[0]!.slice(-4)}`);
    expect(textOf(parent.args.blocks)).not.toContain(contacts[0]!.slice(2));
    expect(thread[0]!.ts).toBe(watcher!.thread_ts);
    const history = texts("DORGANIZER", watcher!.thread_ts!).join("\n");
    expect(history).toContain("Hi S0, this is Vera with Supervision Test");
    expect(history).toContain("Who is this?");
  });

  it("what the organizer writes in their thread is texted once and shown in the volunteer's thread", async () => {
    const conversation = await conversationOf(contacts[0]!);
    const [watcher] = await watchersOf(conversation.id);
    const before = h.twilio.messagesTo(contacts[0]!).length;
    await threadReply(
      ORGANIZER,
      "DORGANIZER",
      watcher!.thread_ts!,
      "Hi, I organize this drive &amp; can help",
      "EvOrg1",
    );
    await waitFor(() => h.twilio.messagesTo(contacts[0]!).length === before + 1, { what: "the organizer's text" });
    // Slack retries the event: nothing more is texted or shown.
    await threadReply(ORGANIZER, "DORGANIZER", watcher!.thread_ts!, "dup", "EvOrg1");
    await h.settle();
    const sent = h.twilio.messagesTo(contacts[0]!);
    expect(sent).toHaveLength(before + 1);
    expect(sent.at(-1)!.body).toBe("Hi, I organize this drive & can help");
    const volunteerThread = texts(VOL_DM, conversation.slack_thread_ts!);
    expect(volunteerThread.filter((t) => t.includes("replied: Hi, I organize this drive"))).toEqual([
      `<@${ORGANIZER}> replied: Hi, I organize this drive &amp; can help`,
    ]);
    // Not echoed into the thread it was written in.
    expect(texts("DORGANIZER", watcher!.thread_ts!).some((t) => t.includes("replied:"))).toBe(false);
    const stored = await h.db
      .selectFrom("messages")
      .select(["sent_by", "kind"])
      .where("conversation_id", "=", conversation.id)
      .where("direction", "=", "out")
      .orderBy("id", "desc")
      .executeTakeFirstOrThrow();
    expect(stored).toEqual({ sent_by: ORGANIZER, kind: "reply" });
  });

  it("a later reply from the contact and one from the volunteer appear in both threads", async () => {
    const conversation = await conversationOf(contacts[0]!);
    const [watcher] = await watchersOf(conversation.id);
    await h.inboundSms(contacts[0]!, "Thanks, that helps");
    await h.settle();
    expect(texts(VOL_DM, conversation.slack_thread_ts!).filter((t) => t.includes("Thanks, that helps"))).toHaveLength(
      1,
    );
    expect(texts("DORGANIZER", watcher!.thread_ts!).filter((t) => t.includes("Thanks, that helps"))).toHaveLength(1);

    const before = h.twilio.messagesTo(contacts[0]!).length;
    await threadReply(VOL, VOL_DM, conversation.slack_thread_ts!, "Glad to help!");
    await waitFor(() => h.twilio.messagesTo(contacts[0]!).length === before + 1, { what: "the volunteer's text" });
    await h.settle();
    expect(texts("DORGANIZER", watcher!.thread_ts!)).toContain(`<@${VOL}> replied: Glad to help!`);
    expect(texts(VOL_DM, conversation.slack_thread_ts!).some((t) => t.includes("replied: Glad to help"))).toBe(false);
    expect(h.twilio.messagesTo(contacts[0]!)).toHaveLength(before + 1);
  });

  it("a canned reply pressed in the organizer's thread is texted once and shown to the volunteer", async () => {
    const conversation = await conversationOf(contacts[0]!);
    const [watcher] = await watchersOf(conversation.id);
    const before = h.twilio.messagesTo(contacts[0]!).length;
    const canned = button("conv_canned:0", { c: conversation.id, i: 0 });
    // A double click opens two modals; Send in both texts it once.
    const modals = await Promise.all([openCanned(h, ORGANIZER, canned), openCanned(h, ORGANIZER, canned)]);
    await Promise.all(modals.map((m) => submitCanned(h, ORGANIZER, m.view, m.text)));
    await waitFor(() => h.twilio.messagesTo(contacts[0]!).length > before, { what: "the canned reply" });
    await h.settle();
    expect(h.twilio.messagesTo(contacts[0]!)).toHaveLength(before + 1);
    expect(texts(VOL_DM, conversation.slack_thread_ts!)).toContain(
      `<@${ORGANIZER}> replied: Find your polling place at vote.org`,
    );
    expect(texts("DORGANIZER", watcher!.thread_ts!).some((t) => t.includes("replied: Find your polling"))).toBe(false);
  });

  it("opening twice makes no second thread and says where the first one is", async () => {
    const conversation = await conversationOf(contacts[0]!);
    const parents = () =>
      h.slack
        .callsTo("chat.postMessage")
        .filter((c) => c.args.channel === ORGANIZER && !c.args.thread_ts && textOf(c.args.blocks).includes("S0 Lee"));
    const parentsBefore = parents().length;
    const { responseUrl } = await press(h, ORGANIZER, button("review_open", { c: conversation.id }));
    const answer = await h.slack.waitForResponse(responseUrl);
    expect(String(answer.body.text)).toContain("You already have this conversation open");
    expect(String(answer.body.text)).toContain("your DM with Textbank");
    await h.settle();
    // From the review form (a modal: no response_url), the answer comes in the organizer's DM.
    const fromModal = await h.interact({
      type: "block_actions",
      user: user(ORGANIZER),
      api_app_id: "A0001",
      team: { id: "T0001", domain: "fake" },
      container: { type: "view", view_id: "VREVIEW" },
      view: { id: "VREVIEW", type: "modal", callback_id: "campaign_review", private_metadata: "{}" },
      trigger_id: "trigger.review",
      actions: [
        {
          type: "button",
          ...button("review_open", { c: conversation.id }),
          text: { type: "plain_text", text: "Open" },
        },
      ],
    });
    expect(fromModal.status).toBe(200);
    await h.slack.waitForCall(
      "chat.postMessage",
      (c) => c.args.channel === ORGANIZER && String(c.args.text).startsWith("You already have this conversation open"),
    );
    expect(await watchersOf(conversation.id)).toHaveLength(1);
    expect(parentsBefore).toBe(1);
    expect(parents()).toHaveLength(1);
  });

  it("a forged Open changes nothing and says why", async () => {
    const conversation = await conversationOf(contacts[1]!);
    const posts = h.slack.callsTo("chat.postMessage").length;
    const cases: [string, CardButton, string][] = [
      [STRANGER, button("review_open", { c: conversation.id }), "Only organizers"],
      [ORGANIZER, button("review_open", { c: 987654 }), "no longer exists"],
      [ORGANIZER, button("review_open", "{nope"), "not one of ours"],
    ];
    for (const [who, pressed, says] of cases) {
      const { responseUrl } = await press(h, who, pressed);
      const answer = await h.slack.waitForResponse(responseUrl);
      expect(String(answer.body.text)).toContain(says);
      expect(answer.body.response_type).toBe("ephemeral");
    }
    await h.settle();
    expect(await watchersOf(conversation.id)).toHaveLength(0);
    expect(
      await h.db.selectFrom("conversation_watchers").select("id").where("user_id", "=", STRANGER).execute(),
    ).toEqual([]);
    expect(h.slack.callsTo("chat.postMessage")).toHaveLength(posts);
  });

  it("/campaign escalation sets the channel only where the app is a member, and off clears it", async () => {
    h.slack.channels.set("CESC", { id: "CESC", name: "escalations", is_member: true });
    h.slack.channels.set("COUT", { id: "COUT", name: "outside", is_member: false });
    const channelOf = async () =>
      (
        await h.db
          .selectFrom("campaigns")
          .select("escalation_channel")
          .where("id", "=", campaignId)
          .executeTakeFirstOrThrow()
      ).escalation_channel;

    const outside = await h.commandText(ORGANIZER, "escalation sup <#COUT|outside>");
    expect(outside).toContain("invite @Textbank to <#COUT> first");
    expect(await channelOf()).toBeNull();
    expect(await h.commandText(ORGANIZER, "escalation sup <#CNOPE|gone>")).toContain("can't find");
    expect(await h.commandText(ORGANIZER, "escalation sup general")).toContain("is not a channel");
    expect(await h.commandText(VOL, "escalation sup <#CESC|escalations>")).toContain("Only organizers");
    expect(await channelOf()).toBeNull();

    expect(await h.commandText(ORGANIZER, "escalation sup <#CESC|escalations>")).toContain("now go to <#CESC>");
    expect(await channelOf()).toBe("CESC");
    expect(await h.commandText(ORGANIZER, "escalation sup")).toContain("go to <#CESC>");
    expect(await h.commandText(ORGANIZER, "escalation sup off")).toContain("organizers' DMs");
    expect(await channelOf()).toBeNull();
    expect(await h.commandText(ORGANIZER, "help")).toContain("/campaign escalation");
    await h.commandText(ORGANIZER, "escalation sup <#CESC|escalations>");
    expect(await channelOf()).toBe("CESC");
  });

  it("Escalate asks for a reason, then posts the contact, volunteer, reason and last messages with Take it", async () => {
    const conversation = await conversationOf(contacts[1]!);
    await press(h, VOL, button("conv_escalate", { c: conversation.id }));
    const modal = (
      await h.slack.waitForCall("views.open", (c) => (c.args.view as View).callback_id === "conv_escalate")
    ).args.view as View;
    expect(modal.callback_id).toBe("conv_escalate");
    expect(JSON.stringify(modal.blocks)).toContain("Reason");
    expect(JSON.stringify(modal.blocks)).toContain("<#CESC>");

    // Required, and at most 500 characters.
    const empty = (await submitEscalation(VOL, modal.private_metadata!, "   ")).json() as {
      response_action: string;
      errors: Record<string, string>;
    };
    expect(empty.response_action).toBe("errors");
    expect(empty.errors.reason).toContain("Say why");
    const long = (await submitEscalation(VOL, modal.private_metadata!, "x".repeat(501))).json() as {
      errors: Record<string, string>;
    };
    expect(long.errors.reason).toContain("At most 500");
    // Someone who does not have the conversation cannot escalate it.
    const stranger = (await submitEscalation(STRANGER, modal.private_metadata!, "let me")).json() as {
      errors: Record<string, string>;
    };
    expect(stranger.errors.reason).toContain("Only <@UVOLSUP>");
    expect((await conversationOf(contacts[1]!)).escalated_at).toBeNull();

    const res = await submitEscalation(VOL, modal.private_metadata!, "They are asking about <voter ID> rules");
    expect(res.status).toBe(200);
    expect(res.text).toBe("");
    await h.settle();
    const escalated = await conversationOf(contacts[1]!);
    expect(escalated.escalated_at).toBeInstanceOf(Date);
    expect(escalated.escalation_reason).toBe("They are asking about <voter ID> rules");
    const [post] = escalationPosts("CESC", conversation.id);
    expect(post).toBeDefined();
    const shown = textOf(post!.args.blocks);
    expect(shown).toContain("S1 Lee");
    expect(shown).toContain(`•••${contacts[1]!.slice(-4)}`);
    expect(shown).not.toContain(contacts[1]!.slice(2));
    expect(shown).toContain(`<@${VOL}>`);
    expect(shown).toContain("&lt;voter ID&gt; rules");
    expect(shown).toContain("Who is this?");
    expect(shown).toContain("Take it");
    // The volunteer's thread says where it went.
    expect(texts(VOL_DM, conversation.slack_thread_ts!).some((t) => t.includes("escalated this conversation"))).toBe(
      true,
    );
  });

  it("the first Take it gets the conversation as with Open; the post says who; later presses are told", async () => {
    const conversation = await conversationOf(contacts[1]!);
    const [post] = escalationPosts("CESC", conversation.id);
    const take = buttonsOf(post!.args.blocks).escalation_take!;

    const stranger = await pressInMessage(STRANGER, take, post!.args);
    expect(String((await h.slack.waitForResponse(stranger.responseUrl)).body.text)).toContain("Only organizers");

    const first = await pressInMessage(ORG2, take, post!.args);
    const redrawn = await h.slack.waitForResponse(first.responseUrl, (p) => p.body.replace_original === true);
    expect(textOf(redrawn.body.blocks)).toContain(`<@${ORG2}> took it`);
    expect(textOf(redrawn.body.blocks)).not.toContain("escalation_take");
    const told = await h.slack.waitForResponse(first.responseUrl, (p) => p.body.response_type === "ephemeral");
    expect(String(told.body.text)).toContain("It's yours");
    await h.settle();
    expect((await conversationOf(contacts[1]!)).taken_by).toBe(ORG2);
    const [watcher] = await watchersOf(conversation.id);
    expect(watcher).toMatchObject({ user_id: ORG2, reason: "take", channel: "DORGTWO" });
    const history = texts("DORGTWO", watcher!.thread_ts!).join("\n");
    expect(history).toContain("You took this escalated conversation");
    expect(history).toContain("Who is this?");
    expect(texts(VOL_DM, conversation.slack_thread_ts!).some((t) => t.includes(`<@${ORG2}> took this`))).toBe(true);
    // The taker's own thread has the history, not the note meant for the others.
    expect(history).not.toContain(`<@${ORG2}> took this`);

    const second = await pressInMessage(ORGANIZER, take, post!.args);
    const answer = await h.slack.waitForResponse(second.responseUrl, (p) => p.body.response_type === "ephemeral");
    expect(String(answer.body.text)).toBe(`<@${ORG2}> has it.`);
    await h.settle();
    expect(await watchersOf(conversation.id)).toHaveLength(1);

    // The taker's thread works like an opened one: texted once, shown to the volunteer.
    const before = h.twilio.messagesTo(contacts[1]!).length;
    await threadReply(ORG2, "DORGTWO", watcher!.thread_ts!, "Any photo ID works here");
    await waitFor(() => h.twilio.messagesTo(contacts[1]!).length === before + 1, { what: "the taker's text" });
    await h.settle();
    expect(texts(VOL_DM, conversation.slack_thread_ts!)).toContain(`<@${ORG2}> replied: Any photo ID works here`);
  });

  it("without an escalation channel, escalations go to every organizer's DM", async () => {
    await h.commandText(ORGANIZER, "escalation sup off");
    const conversation = await conversationOf(contacts[2]!);
    const modal = await escalate(conversation.id, "Wrong number, they say");
    expect(JSON.stringify(modal.blocks)).toContain("the organizers");
    expect(escalationPosts(ORGANIZER, conversation.id)).toHaveLength(1);
    expect(escalationPosts(ORG2, conversation.id)).toHaveLength(1);
    expect(escalationPosts("CESC", conversation.id)).toHaveLength(0);
    expect(texts(VOL_DM, conversation.slack_thread_ts!).some((t) => t.includes("to the organizers"))).toBe(true);
  });
});

describe.runIf(onPostgres)("supervision across instances", () => {
  let h: Harness;
  let second: Textbank;
  const ORGS = ["UORGRACE1", "UORGRACE2", "UORGRACE3", "UORGRACE4", "UORGRACE5", "UORGRACE6"];

  beforeAll(async () => {
    h = await Harness.start();
    second = await h.startInstance();
    const contacts = phones(1, 2025559400);
    await seedCampaign(h.db, { slug: "race", contacts: contacts.map((phone) => ({ phone, first_name: "R" })) });
    for (const id of ORGS) await h.db.insertInto("organizers").values({ user_id: id, added_by: ORGANIZER }).execute();
    const card = await startShift(h, "UVOLRACE", "race");
    await pressAndWait(h, "UVOLRACE", buttonsOf(card.blocks)[CARD_ACTIONS.send]!);
    await h.app.deliveries.idle();
    await h.inboundSms(contacts[0]!, "I need a real person");
    await h.settle();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it("Take it pressed at once on two instances by six organizers: exactly one takes it", async () => {
    const conversation = await h.db.selectFrom("conversations").select("id").executeTakeFirstOrThrow();
    await press(h, "UVOLRACE", {
      action_id: "conv_escalate",
      value: JSON.stringify({ c: conversation.id }),
      block_id: "b",
    });
    const opened = await h.slack.waitForCall("views.open");
    const modal = opened.args.view as View;
    await h.interact({
      type: "view_submission",
      team: { id: "T0001", domain: "fake" },
      user: { id: "UVOLRACE", username: "uvolrace", name: "uvolrace", team_id: "T0001" },
      api_app_id: "A0001",
      view: {
        id: "VRACE",
        type: "modal",
        callback_id: "conv_escalate",
        private_metadata: modal.private_metadata,
        state: { values: { reason: { value: { type: "plain_text_input", value: "Needs an organizer" } } } },
      },
    });
    await h.settle();
    const post = await waitFor(() =>
      h.slack
        .callsTo("chat.postMessage")
        .find((c) => c.args.channel === "UORGRACE1" && textOf(c.args.blocks).includes("Take it")),
    );
    const take = buttonsOf(post.args.blocks).escalation_take!;
    const urls = await Promise.all(
      ORGS.map(async (org, i) => {
        const responseUrl = h.slack.responseUrl();
        await h.interact(
          {
            type: "block_actions",
            user: { id: org, username: org.toLowerCase(), team_id: "T0001" },
            api_app_id: "A0001",
            team: { id: "T0001", domain: "fake" },
            container: { type: "message", message_ts: "1700000009.000100", channel_id: `D${org.slice(1)}` },
            channel: { id: `D${org.slice(1)}`, name: "directmessage" },
            message: { ts: "1700000009.000100", text: post.args.text, blocks: post.args.blocks },
            trigger_id: `trigger.${i}`,
            response_url: responseUrl,
            actions: [{ type: "button", ...take, text: { type: "plain_text", text: "Take it" }, action_ts: "1" }],
          },
          { port: i % 2 ? second.port : h.app.port },
        );
        return responseUrl;
      }),
    );
    const answers = await Promise.all(
      urls.map(async (url) =>
        String((await h.slack.waitForResponse(url, (p) => p.body.response_type === "ephemeral")).body.text),
      ),
    );
    await h.settle();
    const row = await h.db
      .selectFrom("conversations")
      .select("taken_by")
      .where("id", "=", conversation.id)
      .executeTakeFirstOrThrow();
    expect(ORGS).toContain(row.taken_by);
    expect(answers.filter((a) => a.startsWith("It's yours"))).toHaveLength(1);
    expect(answers.filter((a) => a === `<@${row.taken_by}> has it.`)).toHaveLength(ORGS.length - 1);
    expect(answers[ORGS.indexOf(row.taken_by!)]).toContain("It's yours");
    const watchers = await h.db
      .selectFrom("conversation_watchers")
      .select(["user_id", "reason"])
      .where("conversation_id", "=", conversation.id)
      .execute();
    expect(watchers).toEqual([{ user_id: row.taken_by, reason: "take" }]);
    // One thread for the taker, one note in the volunteer's thread.
    expect(
      h.slack.callsTo("chat.postMessage").filter((c) => String(c.args.text).includes("> took this escalated")),
    ).toHaveLength(1);
    expect(
      h.slack.callsTo("chat.postMessage").filter((c) => String(c.args.text).startsWith("You took this escalated")),
    ).toHaveLength(1);
  });
});
