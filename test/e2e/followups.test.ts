import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Textbank } from "../../src/app.ts";
import { CARD_ACTIONS } from "../../src/slack/blocks/card.ts";
import { FOLLOWUP_ACTIONS } from "../../src/slack/blocks/followup.ts";
import { buttonsOf, press, pressAndWait, startShift, textOf } from "../support/cards.ts";
import { Harness, ORGANIZER } from "../support/harness.ts";
import { waitFor } from "../support/http-util.ts";
import { phones, seedCampaign, type SeedContact } from "../support/seed.ts";
import { onPostgres } from "../support/test-db.ts";

/** Names the seeded volunteers joined with ({texter_name}). */
const NAMES: Record<string, string> = { UFUONE: "Olga", UFUTWO: "Tomas" };

type View = { private_metadata: string; blocks: { type: string; text?: { text: string } }[] };
type Answer = { response_action: string; errors?: Record<string, string>; view?: View };

/**
 * A campaign whose openings went out already (written to the database, as seedCampaign writes
 * contacts): each texted contact has its conversation with `owner` and a delivered opening.
 */
async function seedTexted(
  h: Harness,
  input: {
    slug: string;
    contacts: (SeedContact & { owner?: string; texted?: boolean })[];
    tags?: string[];
    hours?: [number, number];
  },
) {
  const { campaignId, contactIds } = await seedCampaign(h.db, {
    slug: input.slug,
    title: `Campaign ${input.slug}`,
    hours: input.hours,
    contacts: input.contacts,
  });
  await h.db
    .updateTable("campaigns")
    .set({
      outcome_tags: JSON.stringify(input.tags ?? ["Yes", "No"]),
      survey_questions: JSON.stringify([{ id: 1, label: "Vote plan", answers: ["Early", "Election Day"] }]),
    })
    .where("id", "=", campaignId)
    .execute();
  const conversations: number[] = [];
  for (const [i, contact] of input.contacts.entries()) {
    if (contact.texted === false) continue;
    const owner = contact.owner ?? "USEEDER";
    await h.db
      .insertInto("volunteers")
      .values({
        campaign_id: campaignId,
        user_id: owner,
        dm_channel: `D${owner.slice(1)}`,
        display_name: NAMES[owner] ?? owner,
      })
      .onConflict((oc) => oc.columns(["campaign_id", "user_id"]).doNothing())
      .execute();
    await h.db.updateTable("contacts").set({ status: "sent" }).where("id", "=", contactIds[i]!).execute();
    const conversation = await h.db
      .insertInto("conversations")
      .values({
        campaign_id: campaignId,
        contact_id: contactIds[i]!,
        volunteer_id: owner,
        slack_channel: null,
        slack_thread_ts: null,
        current_tag: null,
        tagged_by: null,
        waiting_since: null,
        last_inbound_at: null,
        last_outbound_at: new Date(),
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    conversations.push(conversation.id);
    await h.db
      .insertInto("messages")
      .values({
        campaign_id: campaignId,
        contact_id: contactIds[i]!,
        conversation_id: conversation.id,
        direction: "out",
        kind: "opening",
        body: `Hi ${contact.first_name ?? ""}`,
        from_phone: h.twilio.fromNumber,
        to_phone: contact.phone,
        twilio_sid: `SMseed-${input.slug}-${i}-`.padEnd(34, "0"),
        status: "delivered",
        error_code: null,
        sent_by: owner,
        idempotency_key: null,
      })
      .execute();
  }
  return { campaignId, contactIds, conversations };
}

describe("follow-up rounds", () => {
  let h: Harness;
  const VOL1 = "UFUONE";
  const VOL2 = "UFUTWO";

  beforeAll(async () => {
    h = await Harness.start();
    h.slack.addUser({ id: VOL1, name: "Olga" });
    h.slack.addUser({ id: VOL2, name: "Tomas" });
  });
  afterAll(async () => {
    await h?.stop();
  });

  const rounds = async () =>
    (
      await h.db
        .selectFrom("followup_rounds")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow()
    ).n;
  const followupTexts = async (phone: string) =>
    h.db.selectFrom("messages").selectAll().where("to_phone", "=", phone).where("kind", "=", "followup").execute();

  /** `/campaign followup …` as an organizer: the modal it opened. */
  const openForm = async (slug: string, audience: string, as = ORGANIZER) => {
    const before = h.slack.callsTo("views.open").length;
    await h.command(as, `followup ${slug} ${audience}`);
    await waitFor(() => h.slack.callsTo("views.open").length > before, { what: "the follow-up form" });
    return h.slack.callsTo("views.open").at(-1)!.args.view as View;
  };
  /** Save on the form, as Slack posts it. */
  const submit = async (metadata: string, message: string | null, as = ORGANIZER): Promise<Answer> => {
    const res = await h.interact({
      type: "view_submission",
      team: { id: "T0001", domain: "fake" },
      user: { id: as, username: as.toLowerCase(), name: as.toLowerCase(), team_id: "T0001" },
      api_app_id: "A0001",
      trigger_id: `trigger.${Math.random().toString(36).slice(2)}`,
      view: {
        id: "VFOLLOWUP",
        team_id: "T0001",
        type: "modal",
        callback_id: "campaign_followup",
        private_metadata: metadata,
        hash: "1700000000.aaaa",
        state: { values: { followup_message: { value: { type: "plain_text_input", value: message } } } },
      },
    });
    expect(res.status).toBe(200);
    return res.json() as Answer;
  };
  const createRound = async (slug: string, audience: string, message: string) => {
    const view = await openForm(slug, audience);
    const answer = await submit(view.private_metadata, message);
    expect(answer.response_action).toBe("update");
    return textOf(answer.view!.blocks);
  };

  describe("an audience of every kind", () => {
    const [a, b, c, d, e, f] = phones(6, 2025556100);
    let campaignId: number;
    let conversations: number[];

    beforeAll(async () => {
      ({ campaignId, conversations } = await seedTexted(h, {
        slug: "aud",
        contacts: [a, b, c, d, e, f].map((phone, i) => ({ phone: phone!, first_name: `A${i}`, owner: "UAUDOWNER" })),
      }));
      await h.db.updateTable("contacts").set({ status: "pool" }).where("phone", "=", "none").execute();
      // a and f replied, are tagged Yes and answered Early; f then opted out.
      for (const phone of [a!, f!]) await h.inboundSms(phone, "Yes I'll vote");
      await h.settle();
      for (const i of [0, 5]) {
        await h.db
          .updateTable("conversations")
          .set({ current_tag: "Yes" })
          .where("id", "=", conversations[i]!)
          .execute();
        await h.db
          .insertInto("survey_answers")
          .values({
            campaign_id: campaignId,
            conversation_id: conversations[i]!,
            question_id: 1,
            answer: "Early",
            user_id: "UAUDOWNER",
            source: "button",
          })
          .execute();
      }
      // c and f opted out; d's opening failed.
      for (const phone of [c!, f!])
        await h.db
          .insertInto("opt_outs")
          .values({ phone, source: "test", keyword: "STOP", campaign_id: null })
          .execute();
      await h.db
        .updateTable("messages")
        .set({ status: "failed", error_code: 30003 })
        .where("to_phone", "=", d!)
        .execute();
      await seedCampaign(h.db, { slug: "untexted", contacts: [{ phone: "+12025556199", first_name: "U" }] });
    });

    it("answers every bad input with a clear, specific sentence and changes nothing", async () => {
      const opened = h.slack.callsTo("views.open").length;
      const cases: [string, string, RegExp[]][] = [
        [VOL1, "followup aud no-reply", [/Only organizers can use `\/campaign followup`/]],
        [ORGANIZER, "followup aud", [/Name the audience/, /`no-reply`/, /`tag:<tag>`/, /`answer:<question>=<answer>`/]],
        [
          ORGANIZER,
          "followup aud everyone",
          [/`everyone` is not an audience/, /`no-reply`/, /`tag:<tag>`/, /`answer:<question>=<answer>`/, /Usage:/],
        ],
        [ORGANIZER, "followup aud tag:Maybe", [/has no outcome tag "Maybe"/, /Its tags are "Yes", "No"/]],
        [ORGANIZER, "followup aud answer:Color=Red", [/has no survey question "Color"/, /"Vote plan"/]],
        [ORGANIZER, "followup aud answer:Vote plan=Never", [/has no answer "Never"/, /"Early", "Election Day"/]],
        [ORGANIZER, "followup aud answer:Vote plan", [/answer:<question>=<answer>/]],
        [ORGANIZER, "followup untexted no-reply", [/Nobody in \*Campaign untexted\* has been texted yet/]],
        [ORGANIZER, "followup aud tag:No", [/`tag:No` matches no contact/, /Nothing was created/]],
        [ORGANIZER, "followup nosuch no-reply", [/There is no campaign `nosuch`/]],
      ];
      for (const [user, command, patterns] of cases) {
        const text = await h.commandText(user, command);
        for (const pattern of patterns) expect(text, command).toMatch(pattern);
      }
      expect(h.slack.callsTo("views.open").length).toBe(opened);

      // The form refuses an empty message, an unknown merge field and a non-organizer, creating nothing.
      const view = await openForm("aud", "no-reply");
      expect(textOf(view.blocks)).toContain("2 contacts right now");
      const errors = async (message: string | null, as?: string) =>
        (await submit(view.private_metadata, message, as)).errors?.followup_message ?? "";
      expect(await errors(null)).toContain("Write the follow-up message");
      expect(await errors("Hi {frist_name}, vote today!")).toMatch(/No uploaded column provides \{frist_name\}/);
      expect(await errors("Hi {first_name", undefined)).toMatch(/Unclosed|character/);
      expect(await errors("x".repeat(1601))).toContain("1,601 characters");
      expect(await errors("Vote today!", VOL1)).toContain("Only organizers can create a follow-up round");
      expect(await errors("Vote today!", undefined)).toBe("");
      // (that last one was valid: it created round 1, checked below)
      expect(await rounds()).toBe(1);
      await h.db.deleteFrom("followup_rounds").execute();
      const forged = await submit(JSON.stringify({ c: 999_999, a: "no-reply" }), "Hi");
      expect(forged.errors?.followup_message).toContain("no longer exists");
      expect(await rounds()).toBe(0);
    });

    it("creates round 1, 2, 3 with the contacts each audience covers, leaving out opt-outs and failed openings", async () => {
      const covered = async (round: number) =>
        (
          await h.db
            .selectFrom("followups as f")
            .innerJoin("followup_rounds as r", "r.id", "f.round_id")
            .innerJoin("contacts as c", "c.id", "f.contact_id")
            .select("c.phone")
            .where("r.campaign_id", "=", campaignId)
            .where("r.round", "=", round)
            .orderBy("c.phone")
            .execute()
        ).map((row) => row.phone);
      expect(await createRound("aud", "no-reply", "Polls close at 8, {first_name|friend}!")).toMatch(
        /Follow-up 1 of \*Campaign aud\* \(`no-reply`\) covers 2 contacts/,
      );
      expect(await covered(1)).toEqual([b, e]);
      expect(await createRound("aud", "tag:yes", "Thanks {first_name}!")).toMatch(
        /Follow-up 2 .*`tag:Yes`.* covers 1 contact\b/,
      );
      expect(await covered(2)).toEqual([a]);
      expect(await createRound("aud", "answer:vote plan=EARLY", "Early voting ends Friday.")).toMatch(
        /Follow-up 3 .*`answer:Vote plan=Early`.* covers 1 contact\b/,
      );
      expect(await covered(3)).toEqual([a]);
    });
  });

  describe("cards, threads and who gets them", () => {
    const [p1, p2, p3, p4] = phones(4, 2025556200);
    let conversations: number[];

    beforeAll(async () => {
      ({ conversations } = await seedTexted(h, {
        slug: "own",
        contacts: [
          { phone: p1!, first_name: "Pia", owner: VOL1 },
          { phone: p2!, first_name: "Pat", owner: VOL1 },
          { phone: p3!, first_name: "Pez", owner: VOL2 },
          { phone: p4!, first_name: "Pam", owner: VOL1 },
        ],
      }));
      for (const phone of [p1!, p3!]) await h.inboundSms(phone, "Sure");
      await h.settle();
      for (const i of [0, 2])
        await h.db
          .updateTable("conversations")
          .set({ current_tag: "Yes" })
          .where("id", "=", conversations[i]!)
          .execute();
    });

    it("the volunteer who has the conversation gets its Follow-up card; Send texts once, in the existing thread", async () => {
      await createRound("own", "tag:Yes", "{first_name}, {texter_name} again: polls close at 8pm!");
      // Tomas starts first, yet gets his own conversation's contact (Pez), not Olga's Pia.
      const tomas = await startShift(h, VOL2, "own");
      expect(textOf(tomas.blocks)).toContain("Follow-up 1 · Campaign own");
      expect(textOf(tomas.blocks)).toContain("•••" + p3!.slice(-4));
      expect(textOf(tomas.blocks)).toContain("Pez, Tomas again: polls close at 8pm!");
      const olga = await startShift(h, VOL1, "own");
      expect(textOf(olga.blocks)).toContain("Follow-up 1");
      expect(textOf(olga.blocks)).toContain("•••" + p1!.slice(-4));
      expect(Object.keys(buttonsOf(olga.blocks))).toEqual([
        FOLLOWUP_ACTIONS.send,
        FOLLOWUP_ACTIONS.skip,
        CARD_ACTIONS.end,
      ]);

      const after = await pressAndWait(h, VOL1, buttonsOf(olga.blocks)[FOLLOWUP_ACTIONS.send]!);
      const sent = await h.twilio.waitForMessage((m) => m.to === p1);
      expect(sent.body).toBe("Pia, Olga again: polls close at 8pm!");
      await h.app.deliveries.idle();
      expect(h.twilio.messagesTo(p1!)).toHaveLength(1);
      const stored = await followupTexts(p1!);
      expect(stored).toHaveLength(1);
      expect(stored[0]).toMatchObject({ kind: "followup", sent_by: VOL1, conversation_id: conversations[0] });
      // The text is added to the thread Pia's reply started in Olga's DM.
      const conversation = await h.db
        .selectFrom("conversations")
        .select(["slack_channel", "slack_thread_ts"])
        .where("id", "=", conversations[0]!)
        .executeTakeFirstOrThrow();
      expect(conversation.slack_thread_ts).toBeTruthy();
      await h.settle();
      const thread = h.slack.messagesIn(conversation.slack_channel!, conversation.slack_thread_ts!);
      expect(thread.map((m) => String(m.text))).toEqual(
        expect.arrayContaining([expect.stringContaining(`Follow-up 1 sent by <@${VOL1}>:\n>Pia, Olga again`)]),
      );
      // Nothing else for Olga right now (Pez is Tomas's).
      expect(after.text).toContain("has been texted");

      // Round 2 goes to Olga's contacts who never replied: while she is on shift, Tomas does not get them.
      await createRound("own", "no-reply", "Last call, {first_name}!");
      const tomasNext = await pressAndWait(h, VOL2, buttonsOf(tomas.blocks)[FOLLOWUP_ACTIONS.send]!);
      await h.twilio.waitForMessage((m) => m.to === p3);
      expect(textOf(tomasNext.blocks)).not.toContain("Follow-up");
      const olgaNext = await startShift(h, VOL1, "own");
      expect(textOf(olgaNext.blocks)).toContain("Follow-up 2");
      expect(textOf(olgaNext.blocks)).toContain("Last call, Pat!");
      // She ends her shift: now anyone on shift may take them, her held one included.
      const ended = await pressAndWait(h, VOL1, buttonsOf(olgaNext.blocks)[CARD_ACTIONS.end]!);
      expect(ended.text).toContain("Shift ended");
      const tomasAgain = await startShift(h, VOL2, "own");
      expect(textOf(tomasAgain.blocks)).toContain("Last call, Pat!");
      const stale = await pressAndWait(h, VOL1, buttonsOf(olgaNext.blocks)[FOLLOWUP_ACTIONS.send]!);
      expect(textOf(stale.blocks)).toContain("out of date");
      await pressAndWait(h, VOL2, buttonsOf(tomasAgain.blocks)[FOLLOWUP_ACTIONS.send]!);
      await h.twilio.waitForMessage((m) => m.to === p2);
      await h.app.deliveries.idle();
      expect(h.twilio.messagesTo(p2!)).toHaveLength(1);
      expect((await h.twilio.waitForMessage((m) => m.to === p2)).body).toBe("Last call, Pat!");
      // Pat never replied: the thread starts with a parent in Olga's DM (she has the conversation).
      await h.settle();
      const dm = h.slack.messagesIn(`D${VOL1.slice(1)}`);
      const parent = dm.find((m) => String(m.text).includes("Pat (no reply yet"));
      expect(parent).toBeDefined();
      expect(
        h.slack.messagesIn(`D${VOL1.slice(1)}`, parent!.ts).some((m) => String(m.text).includes("Follow-up 2 sent by")),
      ).toBe(true);
    });

    it("stats show each round: covered, sent, replies", async () => {
      await h.inboundSms(p1!, "Voted!");
      await h.settle();
      const answer = await h.commandAnswer(ORGANIZER, "stats own");
      const text = textOf(answer.body.blocks);
      expect(text).toContain("Follow-up rounds");
      expect(text).toContain("Follow-up 1 (`tag:Yes`): covered 2 · sent 2 · replies 1");
      expect(text).toContain("Follow-up 2 (`no-reply`): covered 2 · sent 1 · replies 0");
    });
  });

  it("a double click and 20 concurrent copies of the same Send text one follow-up", async () => {
    const ps = phones(2, 2025556300);
    await seedTexted(h, { slug: "dbl", contacts: ps.map((phone) => ({ phone, first_name: "D" })) });
    await createRound("dbl", "no-reply", "Reminder, {first_name}!");
    const card = await startShift(h, "UDBL", "dbl");
    const send = buttonsOf(card.blocks)[FOLLOWUP_ACTIONS.send]!;
    const presses = await Promise.all(Array.from({ length: 20 }, () => press(h, "UDBL", send)));
    expect(presses.every((r) => r.status === 200)).toBe(true);
    await Promise.all(presses.map((p) => h.slack.waitForResponse(p.responseUrl)));
    await h.app.deliveries.idle();
    expect(h.twilio.messagesTo(ps[0]!)).toHaveLength(1);
    expect(await followupTexts(ps[0]!)).toHaveLength(1);
    expect(h.twilio.messagesTo(ps[1]!)).toHaveLength(0);
    const held = await h.db.selectFrom("followups").select("status").where("held_by", "=", "UDBL").execute();
    expect(held.map((r) => r.status).sort()).toEqual(["held", "sent"]);
  });

  it("never follows up an opted-out number, also when it opts out after the round was made or while the card is open", async () => {
    const [s1, s2, s3] = phones(3, 2025556400);
    await seedTexted(h, {
      slug: "stop",
      contacts: [s1!, s2!, s3!].map((phone, i) => ({ phone, first_name: `S${i}` })),
    });
    await createRound("stop", "no-reply", "Still with us, {first_name}?");
    await h.inboundSms(s1!, "STOP");
    await h.settle();
    const card = await startShift(h, "USTOPVOL", "stop");
    expect(textOf(card.blocks)).toContain("Still with us, S1?");
    await h.db
      .insertInto("opt_outs")
      .values({ phone: s2!, source: "test", keyword: "STOP", campaign_id: null })
      .execute();
    const next = await pressAndWait(h, "USTOPVOL", buttonsOf(card.blocks)[FOLLOWUP_ACTIONS.send]!);
    expect(textOf(next.blocks)).toContain("opted out meanwhile; nothing was sent");
    expect(textOf(next.blocks)).toContain("Still with us, S2?");
    await pressAndWait(h, "USTOPVOL", buttonsOf(next.blocks)[FOLLOWUP_ACTIONS.send]!);
    await h.app.deliveries.idle();
    expect(await followupTexts(s1!)).toHaveLength(0);
    expect(await followupTexts(s2!)).toHaveLength(0);
    expect(h.twilio.messagesTo(s3!)).toHaveLength(1);
    const statuses = await h.db
      .selectFrom("followups as f")
      .innerJoin("contacts as c", "c.id", "f.contact_id")
      .select(["c.phone", "f.status"])
      .where("c.phone", "in", [s1!, s2!, s3!])
      .orderBy("c.phone")
      .execute();
    expect(statuses.map((s) => s.status)).toEqual(["opted_out", "opted_out", "sent"]);
  });

  it("keeps to the contact's texting hours at hand-out and again at send", async () => {
    const [n1] = phones(1, 2025556500);
    await seedTexted(h, { slug: "late", hours: [9, 12], contacts: [{ phone: n1!, first_name: "Nia" }] });
    await createRound("late", "no-reply", "Morning, {first_name}!");
    try {
      h.clock = new Date("2026-07-15T18:00:00Z"); // 14:00 in New York: closed
      const closed = await startShift(h, "UHOURSFU", "late");
      expect(textOf(closed.blocks)).not.toContain("Follow-up");
      h.clock = new Date("2026-07-15T15:30:00Z"); // 11:30: open
      const open = await startShift(h, "UHOURSFU", "late");
      expect(textOf(open.blocks)).toContain("Morning, Nia!");
      h.clock = new Date("2026-07-15T16:00:00Z"); // noon: closed again while the card is open
      const after = await pressAndWait(h, "UHOURSFU", buttonsOf(open.blocks)[FOLLOWUP_ACTIONS.send]!);
      expect(textOf(after.blocks)).toContain("texting hours just ended; nothing was sent");
      await h.app.deliveries.idle();
      expect(h.twilio.messagesTo(n1!)).toHaveLength(0);
    } finally {
      h.clock = undefined;
    }
  });
});

// Real concurrency needs real connections: these run against PostgreSQL with two app instances.
describe.runIf(onPostgres)("follow-ups across two instances on one PostgreSQL", () => {
  let h: Harness;
  let second: Textbank;
  beforeAll(async () => {
    h = await Harness.start();
    second = await h.startInstance();
  });
  afterAll(async () => {
    await h?.stop();
  });

  const round = async (slug: string, message: string) => {
    const before = h.slack.callsTo("views.open").length;
    await h.command(ORGANIZER, `followup ${slug} no-reply`);
    await waitFor(() => h.slack.callsTo("views.open").length > before, { what: "the follow-up form" });
    const view = h.slack.callsTo("views.open").at(-1)!.args.view as View;
    const res = await h.interact({
      type: "view_submission",
      team: { id: "T0001", domain: "fake" },
      user: { id: ORGANIZER, username: "organizer", name: "organizer", team_id: "T0001" },
      api_app_id: "A0001",
      trigger_id: "trigger.x",
      view: {
        id: "VFOLLOWUP",
        team_id: "T0001",
        type: "modal",
        callback_id: "campaign_followup",
        private_metadata: view.private_metadata,
        state: { values: { followup_message: { value: { type: "plain_text_input", value: message } } } },
      },
    });
    expect((res.json() as Answer).response_action).toBe("update");
  };

  it("the same follow-up Send pressed 20 times across both instances texts once", async () => {
    const [a, b] = phones(2, 2025556600);
    await seedTexted(h, { slug: "race", contacts: [a!, b!].map((phone) => ({ phone, first_name: "R" })) });
    await round("race", "Reminder!");
    const card = await startShift(h, "URACEFU", "race");
    const send = buttonsOf(card.blocks)[FOLLOWUP_ACTIONS.send]!;
    const presses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => press(h, "URACEFU", send, { port: i % 2 ? second.port : h.app.port })),
    );
    await Promise.all(presses.map((p) => h.slack.waitForResponse(p.responseUrl)));
    await Promise.all([h.app.deliveries.idle(), second.deliveries.idle()]);
    await waitFor(() => h.twilio.messagesTo(a!).length === 1, { what: "the one follow-up" });
    expect(h.twilio.messagesTo(a!)).toHaveLength(1);
    const stored = await h.db
      .selectFrom("messages")
      .select("id")
      .where("to_phone", "=", a!)
      .where("kind", "=", "followup")
      .execute();
    expect(stored).toHaveLength(1);
  });

  it("two volunteers pressing Send as fast as they can on two instances follow up each contact once", async () => {
    const ps = phones(30, 2025556700);
    const { campaignId } = await seedTexted(h, {
      slug: "sprintfu",
      contacts: ps.map((phone) => ({ phone, first_name: "F" })),
    });
    await round("sprintfu", "Go vote, {first_name}!");
    const run = async (user: string, port: number) => {
      await h.command(user, "shift sprintfu", { port });
      let blocks = (await h.slack.waitForCall("chat.postMessage", (c) => c.args.channel === user)).args.blocks;
      for (;;) {
        const send = buttonsOf(blocks)[FOLLOWUP_ACTIONS.send];
        if (!send) return;
        const { responseUrl } = await press(h, user, send, { port });
        blocks = (await h.slack.waitForResponse(responseUrl)).body.blocks;
      }
    };
    await Promise.all([run("USPRINTFU1", h.app.port), run("USPRINTFU2", second.port)]);
    await Promise.all([h.app.deliveries.idle(), second.deliveries.idle()]);
    await waitFor(() => ps.every((phone) => h.twilio.messagesTo(phone).length === 1), { what: "30 follow-ups" });
    for (const phone of ps) expect(h.twilio.messagesTo(phone)).toHaveLength(1);
    const left = await h.db
      .selectFrom("followups")
      .select("status")
      .where("campaign_id", "=", campaignId)
      .where("status", "!=", "sent")
      .execute();
    expect(left).toEqual([]);
  });
});
