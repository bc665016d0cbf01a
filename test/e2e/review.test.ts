import type { View } from "@slack/types";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createReviewJob } from "../../src/campaigns/review/review.ts";
import { REVIEW_ACTIONS, REVIEW_ALL_CALLBACK, REVIEW_BLOCKS } from "../../src/slack/blocks/review.ts";
import { reviewTiming } from "../../src/slack/review-jobs.ts";
import { Harness, ORGANIZER } from "../support/harness.ts";
import { waitFor } from "../support/http-util.ts";
import { phones, seedCampaign } from "../support/seed.ts";

const VA = "UREVA";
const VB = "UREVB";
const VC = "UREVC";
const VD = "UREVD";
const VE = "UREVE";
const CONVERSATIONS = 40;

type Block = {
  type: string;
  block_id?: string;
  text?: { text?: string };
  elements?: { action_id?: string; value?: string; type?: string }[];
};

describe("/campaign review: filters, paging and reassigning", () => {
  let h: Harness;
  let ps: string[];
  let campaignId: number;
  let otherConversation: number;
  /** Conversation id of contact i (named P<i>). */
  const ids: number[] = [];

  /** A user's DM, whether a post named the user or the DM. */
  const dmOf = (channel: string) => (channel.startsWith("U") ? `D${channel.slice(1)}` : channel);
  const user = (id: string) => ({ id, username: id.toLowerCase(), name: id.toLowerCase(), team_id: "T0001" });

  /** Opens the review with this filter and returns the modal Slack was asked to open. */
  const open = async (filter: string): Promise<View> => {
    const { triggerId, text } = await h.command(ORGANIZER, `review rev ${filter}`.trim());
    expect(text).toBe("");
    const call = await h.slack.waitForCall("views.open", (c) => c.args.trigger_id === triggerId);
    return call.args.view as View;
  };

  const blocksOf = (view: View) => view.blocks as unknown as Block[];
  /** The conversation ids a page lists, in order. */
  const rowsOf = (view: View) =>
    blocksOf(view)
      .filter((b) => b.block_id?.startsWith(REVIEW_BLOCKS.rowPrefix))
      .map((b) => Number(b.block_id!.slice(REVIEW_BLOCKS.rowPrefix.length)));
  const contactsOf = (view: View) => rowsOf(view).map((id) => ids.indexOf(id));
  const buttonOf = (view: View, actionId: string) =>
    blocksOf(view)
      .flatMap((b) => (b.elements ?? []).map((e) => ({ ...e, block_id: b.block_id })))
      .find((e) => e.action_id === actionId);

  let viewCounter = 0;
  /** A click inside the modal, as Slack sends it; returns the views.update it caused. */
  const click = async (
    view: View,
    action: Record<string, unknown>,
    { as = ORGANIZER, metadata }: { as?: string; metadata?: string } = {},
  ) => {
    const viewId = `VREV${++viewCounter}`;
    const res = await h.interact({
      type: "block_actions",
      user: user(as),
      api_app_id: "A0001",
      token: "unused",
      team: { id: "T0001", domain: "fake" },
      container: { type: "view", view_id: viewId },
      trigger_id: `trigger.${Math.random().toString(36).slice(2)}`,
      view: {
        id: viewId,
        team_id: "T0001",
        type: "modal",
        callback_id: view.callback_id,
        private_metadata: metadata ?? view.private_metadata,
        hash: "1700000000.aaaa",
        state: { values: {} },
      },
      actions: [{ action_ts: String(Date.now() / 1000), ...action }],
    });
    expect(res.status).toBe(200);
    return { viewId, res };
  };
  const updated = async (viewId: string) =>
    (await h.slack.waitForCall("views.update", (c) => c.args.view_id === viewId)).args.view as View;
  const pressButton = async (view: View, actionId: string) => {
    const button = buttonOf(view, actionId)!;
    const { viewId } = await click(view, {
      type: "button",
      action_id: actionId,
      block_id: button.block_id,
      value: button.value,
    });
    return updated(viewId);
  };
  const reassignRow = async (view: View, conversationId: number, to: string, as = ORGANIZER) => {
    const { viewId } = await click(
      view,
      {
        type: "users_select",
        action_id: REVIEW_ACTIONS.reassign,
        block_id: `${REVIEW_BLOCKS.rowPrefix}${conversationId}`,
        selected_user: to,
      },
      { as },
    );
    return updated(viewId);
  };
  const volunteerOf = async (conversationId: number) =>
    (
      await h.db
        .selectFrom("conversations")
        .select("volunteer_id")
        .where("id", "=", conversationId)
        .executeTakeFirstOrThrow()
    ).volunteer_id;

  beforeAll(async () => {
    h = await Harness.start();
    ps = phones(CONVERSATIONS, 2025553100);
    ({ campaignId } = await seedCampaign(h.db, {
      slug: "rev",
      title: "Review Test",
      contacts: ps.map((phone, i) => ({ phone, first_name: `P${i}`, last_name: "Doe" })),
    }));
    await h.db
      .updateTable("campaigns")
      .set({
        outcome_tags: JSON.stringify(["Yes", "No", "Wrong number"]),
        survey_questions: JSON.stringify([{ id: 1, label: "Vote plan", answers: ["Early", "Election Day"] }]),
      })
      .where("id", "=", campaignId)
      .execute();
    for (const v of [VA, VB])
      await h.db
        .insertInto("volunteers")
        .values({ campaign_id: campaignId, user_id: v, dm_channel: `D${v.slice(1)}`, display_name: v })
        .execute();
    const contacts = await h.db
      .selectFrom("contacts")
      .select(["id", "phone"])
      .where("campaign_id", "=", campaignId)
      .orderBy("id")
      .execute();
    // Every contact was texted, one minute apart (P39 last); P<even> by VA, P<odd> by VB.
    for (const [i, contact] of contacts.entries()) {
      const at = sql<Date>`now() - make_interval(mins => ${200 - i})`;
      const conversation = await h.db
        .insertInto("conversations")
        .values({
          campaign_id: campaignId,
          contact_id: contact.id,
          volunteer_id: i % 2 ? VB : VA,
          last_outbound_at: at,
          created_at: at,
        })
        .returning("id")
        .executeTakeFirstOrThrow();
      ids.push(conversation.id);
      await h.db
        .insertInto("messages")
        .values({
          campaign_id: campaignId,
          contact_id: contact.id,
          conversation_id: conversation.id,
          direction: "out",
          kind: "opening",
          body: `Hi P${i}, this is the campaign. Reply STOP to opt out.`,
          from_phone: h.twilio.fromNumber,
          to_phone: contact.phone,
          status: "delivered",
          sent_by: i % 2 ? VB : VA,
          created_at: at,
        })
        .execute();
    }
    await h.db.updateTable("contacts").set({ status: "sent" }).where("campaign_id", "=", campaignId).execute();
    // Replies: P3 asks (waiting), P4 writes a number (waiting), P5 opts out.
    await h.inboundSms(ps[3]!, "Where do I VOTE this year?");
    await h.inboundSms(ps[4]!, "Call me at 202-555-0199 please");
    await h.inboundSms(ps[5]!, "STOP");
    await h.settle();
    await h.db.updateTable("conversations").set({ current_tag: "Yes" }).where("id", "in", [ids[3]!, ids[6]!]).execute();
    await h.db.updateTable("conversations").set({ current_tag: "Wrong number" }).where("id", "=", ids[7]!).execute();
    await h.db
      .updateTable("conversations")
      .set({ escalated_at: sql`now()`, escalated_by: VA, escalation_reason: "Angry" })
      .where("id", "=", ids[8]!)
      .execute();
    await h.db
      .insertInto("survey_answers")
      .values({
        campaign_id: campaignId,
        conversation_id: ids[6]!,
        question_id: 1,
        answer: "Early",
        user_id: VA,
        source: "button",
      })
      .execute();
    // Another campaign's conversation, for a forged click.
    const other = await seedCampaign(h.db, { slug: "other", contacts: [{ phone: "+12025559999" }] });
    otherConversation = (
      await h.db
        .insertInto("conversations")
        .values({ campaign_id: other.campaignId, contact_id: other.contactIds[0]!, volunteer_id: VA })
        .returning("id")
        .executeTakeFirstOrThrow()
    ).id;
  });
  afterAll(async () => {
    await h?.stop();
  });

  it("is for organizers; an unknown filter answers with the forms and opens nothing", async () => {
    const opened = h.slack.callsTo("views.open").length;
    expect(await h.commandText(VA, "review rev")).toContain("Only organizers can use `/campaign review`");
    const bogus = await h.commandText(ORGANIZER, "review rev waiting bogus");
    expect(bogus).toContain("`bogus` is not a filter.");
    expect(bogus).toContain("Usage: `/campaign review <slug>");
    for (const form of ["`waiting`", "`opted-out`", "`escalated`", "`tag:<tag>`", "`answer:<question>=<answer>`"])
      expect(bogus).toContain(form);
    expect(await h.commandText(ORGANIZER, "review rev tag:Maybe")).toContain('has no outcome tag "Maybe"');
    expect(await h.commandText(ORGANIZER, 'review rev answer:"Vote plan=Never"')).toContain('has no answer "Never"');
    expect(await h.commandText(ORGANIZER, "review rev @maya")).toContain("is not a mention");
    expect(await h.commandText(ORGANIZER, 'review rev "unclosed')).toContain("never closed");
    expect(await h.commandText(ORGANIZER, "review nope")).toContain("There is no campaign `nope`");
    expect(h.slack.callsTo("views.open").length).toBe(opened);
  });

  it("lists 10 a page, latest activity first, with masked numbers, and pages Next and Previous", async () => {
    const first = await open("");
    expect(first.blocks.length).toBeLessThanOrEqual(100);
    expect(first.private_metadata!.length).toBeLessThanOrEqual(3000);
    // The three that wrote back come first (latest reply first), then the rest, latest texted first.
    expect(contactsOf(first)).toEqual([5, 4, 3, 39, 38, 37, 36, 35, 34, 33]);
    const text = JSON.stringify(first.blocks);
    expect(text).toContain("*P4 Doe* •••3104");
    expect(text).toContain("_Them:_ Call me at •••0199 please");
    expect(text).toContain(`<@${VA}>`);
    expect(text).toMatch(/ago/);
    expect(text).not.toContain("2025553104");
    expect(text).not.toContain("555-0199");
    expect(buttonOf(first, REVIEW_ACTIONS.open)!.value).toBe(JSON.stringify({ c: ids[5] }));
    expect(buttonOf(first, REVIEW_ACTIONS.previous)).toBeUndefined();

    const second = await pressButton(first, REVIEW_ACTIONS.next);
    expect(contactsOf(second)).toEqual([32, 31, 30, 29, 28, 27, 26, 25, 24, 23]);
    const third = await pressButton(second, REVIEW_ACTIONS.next);
    const fourth = await pressButton(third, REVIEW_ACTIONS.next);
    expect(contactsOf(fourth)).toEqual([12, 11, 10, 9, 8, 7, 6, 2, 1, 0]);
    expect(buttonOf(fourth, REVIEW_ACTIONS.next)).toBeUndefined();
    expect(JSON.parse(fourth.private_metadata!)).toMatchObject({ p: 4, f: "" });
    const backToThird = await pressButton(fourth, REVIEW_ACTIONS.previous);
    expect(contactsOf(backToThird)).toEqual(contactsOf(third));
    const backToSecond = await pressButton(backToThird, REVIEW_ACTIONS.previous);
    expect(contactsOf(backToSecond)).toEqual(contactsOf(second));
    const backToFirst = await pressButton(backToSecond, REVIEW_ACTIONS.previous);
    expect(contactsOf(backToFirst)).toEqual(contactsOf(first));
    expect(JSON.parse(backToFirst.private_metadata!).p).toBe(1);
  });

  it("filters: waiting, opted-out, escalated, tag, answer, @person, a phrase, and combinations", async () => {
    expect(contactsOf(await open("waiting"))).toEqual([4, 3]);
    expect(contactsOf(await open("opted-out"))).toEqual([5]);
    expect(contactsOf(await open("escalated"))).toEqual([8]);
    expect(contactsOf(await open("tag:yes"))).toEqual([3, 6]);
    expect(contactsOf(await open('tag:"wrong number"'))).toEqual([7]);
    expect(contactsOf(await open('answer:"vote plan=early"'))).toEqual([6]);
    expect(contactsOf(await open('"where do i vote"'))).toEqual([3]);
    expect(contactsOf(await open("“0199 PLEASE”"))).toEqual([4]);
    const mine = await open(`<@${VA}|ava>`);
    expect(contactsOf(mine)).toEqual([4, 38, 36, 34, 32, 30, 28, 26, 24, 22]);
    expect(contactsOf(await pressButton(mine, REVIEW_ACTIONS.next))).toEqual([20, 18, 16, 14, 12, 10, 8, 6, 2, 0]);
    expect(contactsOf(await open("tag:Yes waiting"))).toEqual([3]);
    expect(contactsOf(await open(`<@${VB}> tag:Yes`))).toEqual([3]);
    const none = await open(`<@${VA}> opted-out`);
    expect(rowsOf(none)).toEqual([]);
    expect(JSON.stringify(none.blocks)).toContain("No conversation matches.");
    const labelled = await open('waiting tag:"wrong number"');
    expect(JSON.parse(labelled.private_metadata!).f).toBe('waiting tag:"Wrong number"');
  });

  it("a row's Reassign moves that conversation: history to the new volunteer, the previous one told", async () => {
    const view = await open("waiting");
    const before = await h.db
      .selectFrom("conversations")
      .select(["slack_channel", "slack_thread_ts"])
      .where("id", "=", ids[3]!)
      .executeTakeFirstOrThrow();
    expect(before.slack_channel).toBe(`D${VB.slice(1)}`);
    const after = await reassignRow(view, ids[3]!, VC);
    expect(JSON.stringify(after.blocks)).toContain(`Moved that conversation to <@${VC}>`);
    expect(await volunteerOf(ids[3]!)).toBe(VC);
    await h.settle();
    const posts = h.slack.callsTo("chat.postMessage");
    const history = posts.find(
      (c) => dmOf(String(c.args.channel)) === dmOf(VC) && String(c.args.text).includes("Reassigned to you"),
    );
    expect(String(history?.args.text)).toContain("*Them:* Where do I VOTE this year?");
    const told = posts.find(
      (c) =>
        c.args.channel === before.slack_channel &&
        c.args.thread_ts === before.slack_thread_ts &&
        String(c.args.text).includes(`moved this conversation to <@${VC}>`),
    );
    expect(told).toBeDefined();
    // The thread now lives in the new volunteer's DM.
    const moved = await h.db
      .selectFrom("conversations")
      .select("slack_channel")
      .where("id", "=", ids[3]!)
      .executeTakeFirstOrThrow();
    expect(moved.slack_channel).toBe(`D${VC.slice(1)}`);
    // Choosing the one who has it changes nothing.
    expect(JSON.stringify((await reassignRow(view, ids[3]!, VC)).blocks)).toContain("already has that conversation");
  });

  it("a forged reassign changes nothing and says why", async () => {
    const view = await open("");
    const otherCampaign = await reassignRow(view, otherConversation, VC);
    expect(JSON.stringify(otherCampaign.blocks)).toContain("belongs to another campaign; nothing changed");
    expect(await volunteerOf(otherConversation)).toBe(VA);
    const gone = await reassignRow(view, 99_999_999, VC);
    expect(JSON.stringify(gone.blocks)).toContain("no longer exists; nothing changed");
    const byVolunteer = await reassignRow(view, ids[0]!, VB, VA);
    expect(JSON.stringify(byVolunteer.blocks)).toContain("Only organizers can move conversations; nothing changed");
    expect(await volunteerOf(ids[0]!)).toBe(VA);
    const { viewId } = await click(view, {
      type: "users_select",
      action_id: REVIEW_ACTIONS.reassign,
      block_id: "review_row:abc",
      selected_user: VC,
    });
    expect(JSON.stringify((await updated(viewId)).blocks)).toContain("not one of ours; nothing changed");
    const tampered = await click(
      view,
      {
        type: "users_select",
        action_id: REVIEW_ACTIONS.reassign,
        block_id: `${REVIEW_BLOCKS.rowPrefix}${ids[0]}`,
        selected_user: VC,
      },
      { metadata: "{not json" },
    );
    expect(JSON.stringify((await updated(tampered.viewId)).blocks)).toContain("did not come through whole");
    expect(await volunteerOf(ids[0]!)).toBe(VA);
  });

  it("Reassign all matching moves every matching conversation once, in batches, leaving opted-out ones", async () => {
    reviewTiming.batchSize = 7;
    // A second opted-out number, on the list without a text.
    await h.db.insertInto("opt_outs").values({ phone: ps[9]!, source: "test" }).execute();
    const view = await open("");
    await click(view, { type: "button", action_id: REVIEW_ACTIONS.all, block_id: "review_all", value: "all" });
    const pushed = (await h.slack.waitForCall("views.push")).args.view as View;
    expect(pushed.callback_id).toBe(REVIEW_ALL_CALLBACK);
    const res = await h.interact({
      type: "view_submission",
      team: { id: "T0001", domain: "fake" },
      user: user(ORGANIZER),
      api_app_id: "A0001",
      trigger_id: `trigger.${Math.random().toString(36).slice(2)}`,
      view: {
        id: "VREVALL",
        team_id: "T0001",
        type: "modal",
        callback_id: REVIEW_ALL_CALLBACK,
        private_metadata: pushed.private_metadata,
        hash: "1700000000.aaaa",
        state: {
          values: {
            [REVIEW_BLOCKS.allTarget]: { [REVIEW_ACTIONS.allTarget]: { type: "users_select", selected_user: VD } },
          },
        },
      },
    });
    expect(res.json()).toEqual({ response_action: "clear" });
    const job = await waitFor(
      () =>
        h.db
          .selectFrom("review_jobs")
          .selectAll()
          .where("target", "=", VD)
          .where("state", "=", "done")
          .executeTakeFirst(),
      { what: "the job to finish" },
    );
    expect(job).toMatchObject({ moved: CONVERSATIONS - 2, opted_out: 2, already: 0 });
    const byVolunteer = await h.db
      .selectFrom("conversations")
      .select(["volunteer_id", (eb) => eb.fn.countAll<number>().as("n")])
      .where("campaign_id", "=", campaignId)
      .groupBy("volunteer_id")
      .execute();
    expect(Object.fromEntries(byVolunteer.map((r) => [r.volunteer_id, Number(r.n)]))).toEqual({
      [VD]: CONVERSATIONS - 2,
      [VB]: 2, // P5 and P9 opted out and stayed
    });
    const moves = await h.db.selectFrom("review_job_moves").selectAll().where("job_id", "=", job.id).execute();
    expect(moves).toHaveLength(CONVERSATIONS - 2);
    expect(new Set(moves.map((m) => m.conversation_id)).size).toBe(CONVERSATIONS - 2);
    await h.settle(60_000);
    const posts = h.slack.callsTo("chat.postMessage");
    const parents = await h.db
      .selectFrom("slack_outbox")
      .select("dedupe_key")
      .where("dedupe_key", "like", `conv-parent:%:j${job.id}`)
      .execute();
    expect(parents).toHaveLength(CONVERSATIONS - 2);
    const histories = posts.filter(
      (c) => dmOf(String(c.args.channel)) === dmOf(VD) && String(c.args.text).startsWith("Reassigned to you"),
    );
    expect(histories).toHaveLength(CONVERSATIONS - 2);
    const summary = posts.find((c) => c.args.channel === ORGANIZER && String(c.args.text).includes("Reassign all"));
    expect(String(summary?.args.text)).toContain(`moved ${CONVERSATIONS - 2} conversations to <@${VD}>`);
    expect(String(summary?.args.text)).toContain("2 opted-out conversations stayed where they were");
    const told = (who: string) =>
      posts.filter((c) => dmOf(String(c.args.channel)) === dmOf(who) && String(c.args.text).includes(`to <@${VD}>`));
    expect(told(VA).map((c) => c.args.text)).toEqual([expect.stringContaining("moved 20 of your conversations")]);
    expect(told(VB).map((c) => c.args.text)).toEqual([expect.stringContaining("moved 17 of your conversations")]);
    expect(told(VC).map((c) => c.args.text)).toEqual([expect.stringContaining("moved one of your conversations")]);
  }, 90_000);

  it("a job a crash left behind is carried on by the scheduled run, once", async () => {
    reviewTiming.batchSize = 1;
    const jobId = await createReviewJob(h.db, {
      campaignId,
      requestedBy: ORGANIZER,
      target: VE,
      filter: "tag:Yes",
      token: "crashed-instance",
    });
    // The instance that created it died: nothing ran, and its lease runs out.
    await h.db
      .updateTable("review_jobs")
      .set({ locked_until: sql`now() - interval '1 second'` })
      .where("id", "=", jobId)
      .execute();
    await h.app.runJob("review-reassign-all");
    const job = await h.db.selectFrom("review_jobs").selectAll().where("id", "=", jobId).executeTakeFirstOrThrow();
    expect(job).toMatchObject({ state: "done", moved: 2 });
    expect(await volunteerOf(ids[3]!)).toBe(VE);
    expect(await volunteerOf(ids[6]!)).toBe(VE);
    // Running again finds nothing to do.
    expect(await h.app.runJob("review-reassign-all", new Date(Date.now() + 60_000))).toBe(true);
    const again = await h.db.selectFrom("review_jobs").selectAll().where("id", "=", jobId).executeTakeFirstOrThrow();
    expect(again.moved).toBe(2);
    await h.settle();
    expect(
      h.slack.callsTo("chat.postMessage").filter((c) => String(c.args.text).includes(`2 conversations to <@${VE}>`)),
    ).toHaveLength(1);
  });
});
