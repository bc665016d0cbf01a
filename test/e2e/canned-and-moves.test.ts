import type { View } from "@slack/types";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CARD_ACTIONS } from "../../src/slack/blocks/card.ts";
import { REVIEW_ACTIONS, REVIEW_ALL_CALLBACK, REVIEW_BLOCKS } from "../../src/slack/blocks/review.ts";
import { openCanned, submitCanned } from "../support/canned.ts";
import { buttonsOf, pressAndWait, startShift, textOf } from "../support/cards.ts";
import type { SlackCall } from "../support/fake-slack.ts";
import { Harness, ORGANIZER } from "../support/harness.ts";
import { waitFor } from "../support/http-util.ts";
import { phones, seedCampaign } from "../support/seed.ts";

const VERA = "UVERACM";
const VICTOR = "UVICTORCM";
const WANDA = "UWANDACM";
const dmOf = (channel: string) => (channel.startsWith("U") ? `D${channel.slice(1)}` : channel);

describe("canned replies through a modal; reassign and release are visible", () => {
  let h: Harness;
  let campaignId: number;
  let contacts: string[];

  const conversationOf = (phone: string) =>
    h.db
      .selectFrom("conversations as v")
      .innerJoin("contacts as c", "c.id", "v.contact_id")
      .select(["v.id", "v.volunteer_id", "v.slack_channel", "v.slack_thread_ts"])
      .where("c.phone", "=", phone)
      .executeTakeFirstOrThrow();
  const parentOf = (channel: string, name: string) =>
    h.slack
      .callsTo("chat.postMessage")
      .filter((c) => dmOf(String(c.args.channel)) === channel && !c.args.thread_ts)
      .findLast((c) => textOf(c.args.blocks).includes(`${name} `))!;
  const errorsOf = (res: { json: () => unknown }) => {
    const body = res.json() as { response_action?: string; errors?: Record<string, string> };
    expect(body.response_action).toBe("errors");
    return body.errors!;
  };
  const texted = (phone: string) => h.twilio.messagesTo(phone).map((m) => m.body);
  /** Posts to a user's DM, in the order Slack got them. */
  const dmPosts = (user: string) =>
    h.slack.callsTo("chat.postMessage").filter((c) => dmOf(String(c.args.channel)) === dmOf(user));
  /** The chat.update of a conversation's old parent. */
  const parentUpdate = (old: { slack_channel: string | null; slack_thread_ts: string | null }) =>
    h.slack
      .callsTo("chat.update")
      .find((c) => c.args.channel === old.slack_channel && c.args.ts === old.slack_thread_ts);
  const actionsIn = (call: SlackCall) =>
    ((call.args.blocks as { type: string }[] | undefined) ?? []).filter((b) => b.type === "actions");
  /** The intro comes before every thread parent of `names` in the new volunteer's DM. */
  const introBefore = (user: string, introText: string, names: string[]) => {
    const posts = dmPosts(user);
    const intros = posts.filter((c) => String(c.args.text).includes(introText));
    expect(intros).toHaveLength(1);
    const at = posts.indexOf(intros[0]!);
    for (const name of names) {
      const parent = posts.findLastIndex((c) => !c.args.thread_ts && textOf(c.args.blocks).includes(`${name} `));
      expect(parent).toBeGreaterThan(at);
    }
  };

  beforeAll(async () => {
    h = await Harness.start();
    for (const [id, name] of [
      [VERA, "Vera"],
      [VICTOR, "Victor"],
      [WANDA, "Wanda"],
    ] as const)
      h.slack.addUser({ id, name });
    contacts = phones(10, 2025558100);
    ({ campaignId } = await seedCampaign(h.db, {
      slug: "cm",
      title: "Canned Moves",
      contacts: contacts.map((phone, i) => ({ phone, first_name: `K${i}`, custom_fields: { city: "Akron" } })),
    }));
    await h.db
      .updateTable("campaigns")
      .set({
        canned_replies: JSON.stringify([
          { title: "Where", text: "Hi {first_name}, vote in {city} at vote.org" },
          {
            title: "Early",
            text: "Great, early voting starts Monday!",
            answers: [{ question: "Vote plan", answer: "Early" }],
          },
        ]),
        outcome_tags: JSON.stringify(["Yes", "No"]),
        survey_questions: JSON.stringify([{ id: 1, label: "Vote plan", answers: ["Early", "Election Day"] }]),
      })
      .where("id", "=", campaignId)
      .execute();
    let card = await startShift(h, VERA, "cm");
    for (let i = 0; i < contacts.length; i++) {
      const next = await pressAndWait(h, VERA, buttonsOf(card.blocks)[CARD_ACTIONS.send]!);
      card = { ...card, blocks: next.blocks };
    }
    await h.app.deliveries.idle();
    for (const phone of contacts) await h.inboundSms(phone, `Hello from ${phone.slice(-4)}`);
    await h.settle();
  }, 60_000);
  afterAll(async () => {
    await h?.stop();
  });

  it("the canned button opens a prefilled modal; Send texts the edited text once, closing sends nothing", async () => {
    const phone = contacts[0]!;
    const before = texted(phone).length;
    const where = buttonsOf(parentOf(dmOf(VERA), "K0").args.blocks)["conv_canned:0"]!;
    const opened = await openCanned(h, VERA, where);
    expect(opened.view.callback_id).toBe("conv_canned_send");
    expect(opened.text).toBe("Hi K0, vote in Akron at vote.org");
    expect(textOf(opened.view.blocks)).toContain('"max_length":1600');
    expect(textOf(opened.view.blocks)).toContain("•••");
    expect(textOf(opened.view.blocks)).not.toContain(phone.slice(2));
    // Opening (and closing: Slack tells nothing) sends nothing.
    await h.settle();
    expect(texted(phone)).toHaveLength(before);

    expect(errorsOf(await submitCanned(h, VERA, opened.view, "   ")).canned_text).toContain("Write the text first");
    expect(errorsOf(await submitCanned(h, VERA, opened.view, "x".repeat(1601))).canned_text).toContain(
      "1601 characters",
    );
    const edited = "Hi K0, vote in Akron at vote.org, 7am to 8pm!";
    // A double submit of the same modal: one text.
    const answers = await Promise.all([
      submitCanned(h, VERA, opened.view, edited, "VDOUBLE"),
      submitCanned(h, VERA, opened.view, edited, "VDOUBLE"),
    ]);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(answers.map((a) => a.text)).toEqual(["", ""]);
    await waitFor(() => texted(phone).length > before, { what: "the canned reply" });
    await h.app.deliveries.idle();
    await h.settle();
    expect(texted(phone)).toEqual([...texted(phone).slice(0, before), edited]);
    const row = await h.db
      .selectFrom("messages")
      .select(["kind", "sent_by", "body"])
      .where("body", "=", edited)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ kind: "canned", sent_by: VERA, body: edited });
    const sentLine = h.slack.callsTo("chat.postMessage").filter((c) => String(c.args.text).includes(edited));
    expect(sentLine.map((c) => String(c.args.text))).toEqual([`Sent “Where”: ${edited}`]);

    // A second modal of the same reply before they text back sends nothing more, and says so.
    const again = await openCanned(h, VERA, where);
    expect(errorsOf(await submitCanned(h, VERA, again.view, again.text)).canned_text).toContain("already sent");
    await h.settle();
    expect(texted(phone)).toHaveLength(before + 1);
  });

  it("a survey-linked canned reply records its answer on Send, not on open", async () => {
    const conversation = await conversationOf(contacts[1]!);
    const answers = () =>
      h.db
        .selectFrom("survey_answers")
        .select(["answer", "source", "user_id"])
        .where("conversation_id", "=", conversation.id)
        .where("replaced_at", "is", null)
        .execute();
    const opened = await openCanned(h, VERA, buttonsOf(parentOf(dmOf(VERA), "K1").args.blocks)["conv_canned:1"]!);
    expect(opened.text).toBe("Great, early voting starts Monday!");
    await h.settle();
    expect(await answers()).toEqual([]);
    await submitCanned(h, VERA, opened.view, opened.text);
    await waitFor(async () => (await answers()).length === 1, { what: "the recorded answer" });
    expect(await answers()).toEqual([{ answer: "Early", source: "canned", user_id: VERA }]);
    const redraw = await h.slack.waitForResponse(opened.responseUrl);
    expect(redraw.body.replace_original).toBe(true);
    expect(textOf(redraw.body.blocks)).toContain("✓ Early");
  });

  it("a refusal at Send is shown in the modal and nothing is sent: opted out, moved, archived", async () => {
    const optedPhone = contacts[2]!;
    const opted = await openCanned(h, VERA, buttonsOf(parentOf(dmOf(VERA), "K2").args.blocks)["conv_canned:0"]!);
    await h.db.insertInto("opt_outs").values({ phone: optedPhone, source: "test" }).execute();
    expect(errorsOf(await submitCanned(h, VERA, opted.view, opted.text)).canned_text).toContain("opted out");

    const movedPhone = contacts[3]!;
    const moved = await openCanned(h, VERA, buttonsOf(parentOf(dmOf(VERA), "K3").args.blocks)["conv_canned:0"]!);
    await h.db
      .updateTable("conversations")
      .set({ volunteer_id: WANDA })
      .where("id", "=", (await conversationOf(movedPhone)).id)
      .execute();
    expect(errorsOf(await submitCanned(h, VERA, moved.view, moved.text)).canned_text).toContain(`<@${WANDA}>'s now`);
    await h.db
      .updateTable("conversations")
      .set({ volunteer_id: VERA })
      .where("id", "=", (await conversationOf(movedPhone)).id)
      .execute();

    const archived = await openCanned(h, VERA, buttonsOf(parentOf(dmOf(VERA), "K3").args.blocks)["conv_canned:0"]!);
    await h.db.updateTable("campaigns").set({ state: "archived" }).where("id", "=", campaignId).execute();
    expect(errorsOf(await submitCanned(h, VERA, archived.view, archived.text)).canned_text).toContain("archived");
    await h.db.updateTable("campaigns").set({ state: "active" }).where("id", "=", campaignId).execute();
    await h.settle();
    expect(texted(optedPhone)).toHaveLength(1);
    expect(texted(movedPhone)).toHaveLength(1);
  });

  it("release: stale conversations go to a volunteer on shift, with one intro; old parents say so; opted-out stay", async () => {
    // K4 and K5 waited two hours; K2 (opted out) too.
    const stale = [contacts[4]!, contacts[5]!, contacts[2]!];
    const old = await Promise.all(stale.map(conversationOf));
    await h.db
      .updateTable("conversations")
      .set({ waiting_since: sql<Date>`now() - interval '2 hours'` })
      .where(
        "id",
        "in",
        old.map((o) => o.id),
      )
      .execute();
    await h.db
      .insertInto("volunteers")
      .values({ campaign_id: campaignId, user_id: VICTOR, display_name: "Victor", on_shift: true })
      .execute();
    const answer = await h.commandText(ORGANIZER, `release cm <@${VERA}>`);
    expect(answer).toContain("Handed 2 conversations");
    await h.settle();
    expect((await conversationOf(contacts[4]!)).volunteer_id).toBe(VICTOR);
    expect((await conversationOf(contacts[5]!)).volunteer_id).toBe(VICTOR);
    expect((await conversationOf(contacts[2]!)).volunteer_id).toBe(VERA);
    introBefore(VICTOR, "waited over 60 minutes for an answer from", ["K4", "K5"]);
    const intro = dmPosts(VICTOR).find((c) => String(c.args.text).includes("waited over 60 minutes"))!;
    expect(String(intro.args.text)).toContain(`2 conversations in *Canned Moves*`);
    expect(String(intro.args.text)).toContain(`released by <@${ORGANIZER}>`);
    for (const o of old.slice(0, 2)) {
      const update = parentUpdate(o)!;
      expect(String(textOf(update.args.blocks))).toContain(`Moved to <@${VICTOR}>`);
      expect(actionsIn(update)).toEqual([]);
    }
    expect(parentUpdate(old[2]!)).toBeUndefined();
  });

  it("reassign: the old parents say 'Moved to', one intro comes first, opted-out conversations stay", async () => {
    const mine = ["K0", "K1", "K3", "K6", "K7", "K8", "K9"];
    const old = await Promise.all([0, 1, 3, 6, 7, 8, 9].map((i) => conversationOf(contacts[i]!)));
    const answer = await h.commandText(ORGANIZER, `reassign cm <@${VERA}> <@${WANDA}>`);
    expect(answer).toContain(`Moved 7 conversations in *Canned Moves* from <@${VERA}> to <@${WANDA}>`);
    expect(answer).toContain("1 opted-out conversation stayed");
    await h.settle();
    expect((await conversationOf(contacts[2]!)).volunteer_id).toBe(VERA);
    introBefore(WANDA, `<@${ORGANIZER}> moved 7 conversations to you from <@${VERA}> in *Canned Moves*`, mine);
    for (const o of old) {
      const update = parentUpdate(o)!;
      expect(update.args.channel).toBe(dmOf(VERA));
      expect(textOf(update.args.blocks)).toContain(`Moved to <@${WANDA}>`);
      expect(textOf(update.args.blocks)).not.toContain("conv_canned");
      expect(actionsIn(update)).toEqual([]);
    }
    // The moved conversation's canned reply works from the new thread.
    const k9 = contacts[9]!;
    const opened = await openCanned(h, WANDA, buttonsOf(parentOf(dmOf(WANDA), "K9").args.blocks)["conv_canned:0"]!);
    await submitCanned(h, WANDA, opened.view, opened.text);
    await waitFor(() => texted(k9).includes("Hi K9, vote in Akron at vote.org"), { what: "Wanda's canned reply" });
  });

  it("the review's Reassign all matching: one intro to the new volunteer first, old parents updated", async () => {
    const moving = [4, 5].map((i) => contacts[i]!);
    const old = await Promise.all(moving.map(conversationOf));
    const { triggerId } = await h.command(ORGANIZER, `review cm <@${VICTOR}>`);
    const review = (await h.slack.waitForCall("views.open", (c) => c.args.trigger_id === triggerId)).args.view as View;
    const user = { id: ORGANIZER, username: "organizer", name: "organizer", team_id: "T0001" };
    await h.interact({
      type: "block_actions",
      user,
      api_app_id: "A0001",
      team: { id: "T0001", domain: "fake" },
      container: { type: "view", view_id: "VCMREV" },
      trigger_id: "trigger.cmall",
      view: {
        id: "VCMREV",
        type: "modal",
        callback_id: review.callback_id,
        private_metadata: review.private_metadata,
        state: { values: {} },
      },
      actions: [{ type: "button", action_id: REVIEW_ACTIONS.all, block_id: "review_all", value: "all" }],
    });
    const pushed = (await h.slack.waitForCall("views.push", (c) => c.args.trigger_id === "trigger.cmall")).args
      .view as View;
    const res = await h.interact({
      type: "view_submission",
      team: { id: "T0001", domain: "fake" },
      user,
      api_app_id: "A0001",
      view: {
        id: "VCMALL",
        type: "modal",
        callback_id: REVIEW_ALL_CALLBACK,
        private_metadata: pushed.private_metadata,
        state: {
          values: {
            [REVIEW_BLOCKS.allTarget]: { [REVIEW_ACTIONS.allTarget]: { type: "users_select", selected_user: VERA } },
          },
        },
      },
    });
    expect(res.json()).toEqual({ response_action: "clear" });
    await waitFor(() => h.db.selectFrom("review_jobs").select("id").where("state", "=", "done").executeTakeFirst(), {
      what: "the job",
    });
    await h.settle();
    for (const phone of moving) expect((await conversationOf(phone)).volunteer_id).toBe(VERA);
    introBefore(VERA, `<@${ORGANIZER}> moved 2 conversations matching`, ["K4", "K5"]);
    for (const o of old) {
      const update = parentUpdate(o)!;
      expect(textOf(update.args.blocks)).toContain(`Moved to <@${VERA}>`);
      expect(actionsIn(update)).toEqual([]);
    }
  });
});
