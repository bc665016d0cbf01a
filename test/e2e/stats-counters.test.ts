import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { campaignStats, exactCampaignStats, type CampaignStats } from "../../src/campaigns/stats.ts";
import { CARD_ACTIONS } from "../../src/slack/blocks/card.ts";
import { statsBlocks } from "../../src/slack/blocks/stats.ts";
import { buttonsOf, pressAndWait, startShift, textOf, type CardButton } from "../support/cards.ts";
import { Harness, ORGANIZER } from "../support/harness.ts";
import { waitFor } from "../support/http-util.ts";
import { phones, seedCampaign } from "../support/seed.ts";
import { onPostgres } from "../support/test-db.ts";

const TITLE = "Counter Test";

/** The same figures in a fixed order (the exact queries leave ties and hash order unsorted). */
function normalized(stats: CampaignStats) {
  return {
    ...stats,
    failedByCode: [...stats.failedByCode].sort((a, b) => (a.code ?? -1) - (b.code ?? -1)),
    tags: [...stats.tags].sort((a, b) => a.tag.localeCompare(b.tag)),
    volunteers: [...stats.volunteers].sort((a, b) => a.userId.localeCompare(b.userId)),
    survey: stats.survey.map((q) => ({
      ...q,
      answers: [...q.answers].sort((a, b) => Number(b.offered) - Number(a.offered) || a.answer.localeCompare(b.answer)),
    })),
  };
}

const shown = (text: string) => text.replace(/\(oldest \d+ min\)/, "(oldest N min)");

/** Ties in the order the stats message uses (most first, then by code or tag). */
function ordered(stats: CampaignStats): CampaignStats {
  return {
    ...stats,
    failedByCode: [...stats.failedByCode].sort((a, b) => b.count - a.count || (a.code ?? -1) - (b.code ?? -1)),
    tags: [...stats.tags].sort((a, b) => b.count - a.count || (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0)),
  };
}

/**
 * `/campaign stats` reads the summary counters the triggers keep; after every kind of change
 * what it shows must be what the old queries count from the rows.
 */
describe("stats counters stay exact", () => {
  let h: Harness;
  let campaignId: number;
  let ps: string[];
  let fileCounter = 0;

  async function expectExact(what: string): Promise<CampaignStats> {
    const exact = await exactCampaignStats(h.db, campaignId);
    const fast = await campaignStats(h.db, campaignId);
    expect(normalized(fast), what).toEqual(normalized(exact));
    // What the organizer sees: the command's answer is the exact figures' message.
    const answer = textOf((await h.commandAnswer(ORGANIZER, "stats ctr")).body.blocks);
    expect(shown(answer), what).toEqual(shown(textOf(statsBlocks(TITLE, ordered(exact), new Date()).blocks)));
    return exact;
  }

  async function send(user: string, count: number): Promise<void> {
    let card = await startShift(h, user, "ctr");
    for (let i = 0; i < count; i++) {
      const button: CardButton = buttonsOf(card.blocks)[CARD_ACTIONS.send]!;
      card = { ...card, blocks: (await pressAndWait(h, user, button)).blocks };
    }
    await pressAndWait(h, user, buttonsOf(card.blocks)[CARD_ACTIONS.end]!);
    await h.app.deliveries.idle();
  }

  async function conversationOf(phone: string) {
    return h.db
      .selectFrom("conversations as v")
      .innerJoin("contacts as c", "c.id", "v.contact_id")
      .select(["v.id", "v.volunteer_id"])
      .where("c.phone", "=", phone)
      .where("v.campaign_id", "=", campaignId)
      .executeTakeFirstOrThrow();
  }

  async function openingSid(phone: string): Promise<string> {
    const row = await h.db
      .selectFrom("messages")
      .select("twilio_sid")
      .where("to_phone", "=", phone)
      .where("kind", "=", "opening")
      .executeTakeFirstOrThrow();
    return row.twilio_sid!;
  }

  /** Uploads a CSV through the modal, as import.test.ts does; returns the summary DM. */
  async function upload(csv: string): Promise<string> {
    const fileId = `FCTR${++fileCounter}`;
    h.slack.addFile({ id: fileId, name: "more.csv", content: Buffer.from(csv) });
    const opened = h.slack.callsTo("views.open").length;
    await h.command(ORGANIZER, "upload ctr");
    await waitFor(() => h.slack.callsTo("views.open").length > opened, { what: "the upload modal" });
    const view = h.slack.callsTo("views.open").at(-1)!.args.view as { callback_id: string; private_metadata: string };
    const updates = h.slack.callsTo("chat.update").length;
    await h.interact({
      type: "view_submission",
      user: { id: ORGANIZER },
      view: {
        id: "V1",
        callback_id: view.callback_id,
        private_metadata: view.private_metadata,
        state: { values: { csv: { file: { type: "file_input", files: [{ id: fileId, name: "more.csv" }] } } } },
      },
    });
    const done = await waitFor(
      () =>
        h.slack
          .callsTo("chat.update")
          .slice(updates)
          .find((c) => /finished|was not imported|nothing was imported/.test(String(c.args.text))),
      { what: "the import summary", timeoutMs: 20_000 },
    );
    return String(done.args.text);
  }

  beforeAll(async () => {
    h = await Harness.start();
    ps = phones(12, 2025557000);
    ({ campaignId } = await seedCampaign(h.db, {
      slug: "ctr",
      title: TITLE,
      contacts: ps.slice(0, 9).map((phone, i) => ({ phone, first_name: `K${i}` })),
    }));
    await h.db
      .updateTable("campaigns")
      .set({
        outcome_tags: JSON.stringify(["Yes", "No"]),
        survey_questions: JSON.stringify([{ id: 1, label: "Plan", answers: ["Early", "Mail"] }]),
      })
      .where("id", "=", campaignId)
      .execute();
    // A number another campaign has too, already on the opt-out list before any of this.
    await seedCampaign(h.db, { slug: "ctr-other", contacts: [{ phone: ps[8]!, first_name: "Elsewhere" }] });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it("across sends, statuses, replies, opt-outs and opt-ins, tags, answers, an import, deletes and compaction", async () => {
    await expectExact("seeded");

    await send("UCTR1", 3);
    await send("UCTR2", 2);
    const afterSends = await expectExact("after five sends");
    expect(afterSends.sent).toBe(5);

    // Statuses: one delivered, one undelivered with a code, one failed without one.
    const [s0, s1, s2] = await Promise.all([openingSid(ps[0]!), openingSid(ps[1]!), openingSid(ps[2]!)]);
    await h.twilioWebhook("/twilio/status", { MessageSid: s0, MessageStatus: "delivered" });
    await h.twilioWebhook("/twilio/status", { MessageSid: s1, MessageStatus: "undelivered", ErrorCode: "30006" });
    await h.twilioWebhook("/twilio/status", { MessageSid: s2, MessageStatus: "failed" });
    await h.settle();
    const afterStatuses = await expectExact("after status callbacks");
    expect(afterStatuses.delivered).toBe(1);
    expect(afterStatuses.failed).toBe(2);

    // Replies, and an opt-out by text.
    await h.inboundSms(ps[0]!, "Yes I'll vote");
    await h.inboundSms(ps[0]!, "early");
    await h.inboundSms(ps[3]!, "who is this?");
    await h.inboundSms(ps[4]!, "STOP");
    await h.settle();
    const afterReplies = await expectExact("after replies and a STOP");
    // A STOP is not a reply: three replies from two contacts, and one opt-out beside them.
    expect(afterReplies.replies).toBe(3);
    expect(afterReplies.repliedContacts).toBe(2);
    expect(afterReplies.replyRate).toBeCloseTo(2 / 5);
    expect(afterReplies.optOuts).toBe(1);
    expect(afterReplies.volunteers.reduce((sum, v) => sum + v.optOuts, 0)).toBe(1);
    const statsText = textOf((await h.commandAnswer(ORGANIZER, "stats ctr")).body.blocks);
    expect(statsText).toContain("*Replies:* 3 replies (40.0%) from 2 contacts · 1 opt-out");
    expect(statsText).toMatch(/ · 1 opt-out · tagged/);

    // An opt-out by an organizer (a pooled contact, and a number in both campaigns), an opt-in by text.
    expect(await h.commandText(ORGANIZER, `optouts add ${ps[7]!}`)).toContain("Added");
    expect(await h.commandText(ORGANIZER, `optouts add ${ps[8]!}`)).toContain("Added");
    await expectExact("after organizer opt-outs");
    await h.inboundSms(ps[4]!, "START");
    await h.settle();
    const afterOptIn = await expectExact("after an opt-in by text");
    expect(afterOptIn.optOuts).toBe(2);
    // Nor is a START: the replies stay three.
    expect(afterOptIn.replies).toBe(3);
    expect(afterOptIn.repliedContacts).toBe(2);

    // Tags and survey answers (replaced once), then the conversation moves to another volunteer.
    const c0 = await conversationOf(ps[0]!);
    const c3 = await conversationOf(ps[3]!);
    await h.db
      .updateTable("conversations")
      .set({ current_tag: "Yes", tagged_by: "UCTR1" })
      .where("id", "=", c0.id)
      .execute();
    await h.db
      .updateTable("conversations")
      .set({ current_tag: "No", tagged_by: "UCTR2" })
      .where("id", "=", c3.id)
      .execute();
    await h.db
      .insertInto("survey_answers")
      .values([
        {
          campaign_id: campaignId,
          conversation_id: c0.id,
          question_id: 1,
          answer: "Mail",
          user_id: "UCTR1",
          source: "button",
        },
        {
          campaign_id: campaignId,
          conversation_id: c3.id,
          question_id: 1,
          answer: "Maybe",
          user_id: "UCTR2",
          source: "button",
        },
      ])
      .execute();
    await h.db.transaction().execute(async (tx) => {
      await tx
        .updateTable("survey_answers")
        .set({ replaced_at: sql`now()` })
        .where("conversation_id", "=", c0.id)
        .where("replaced_at", "is", null)
        .execute();
      await tx
        .insertInto("survey_answers")
        .values({
          campaign_id: campaignId,
          conversation_id: c0.id,
          question_id: 1,
          answer: "Early",
          user_id: "UCTR1",
          source: "button",
        })
        .execute();
    });
    await expectExact("after tags and survey answers");
    await h.db.updateTable("conversations").set({ volunteer_id: "UCTR2" }).where("id", "=", c0.id).execute();
    const afterMove = await expectExact("after a conversation changed hands");
    expect(afterMove.volunteers.find((v) => v.userId === "UCTR2")).toMatchObject({ tagged: 2 });

    // The volunteer answers: no longer waiting.
    await h.db.updateTable("conversations").set({ waiting_since: null }).where("id", "=", c3.id).execute();
    await expectExact("after an answer");

    // An import: new numbers, one already in the campaign, one on the opt-out list.
    const summary = await upload(
      ["phone,first_name", `${ps[9]!},New`, `${ps[10]!},Newer`, `${ps[0]!},Again`, `${ps[7]!},Opted`].join("\n"),
    );
    expect(summary).toMatch(/finished/);
    const afterImport = await expectExact("after an import");
    expect(afterImport.contacts).toBe(11);

    // Compaction folds the deltas and changes no figure; deltas after it still count.
    expect(await h.app.runJob("compact-campaign-counts")).toBe(true);
    const rows = await h.db
      .selectFrom("campaign_counts")
      .select(["name", "key", "compacted"])
      .where("campaign_id", "=", campaignId)
      .execute();
    expect(rows.every((r) => r.compacted)).toBe(true);
    expect(new Set(rows.map((r) => `${r.name}/${r.key}`)).size).toBe(rows.length);
    await expectExact("after compaction");
    await send("UCTR3", 2);
    await h.inboundSms(ps[5]!, "stop");
    await h.settle();
    await expectExact("after more sends and a STOP since compaction");

    // Deletes: a pooled contact on the opt-out list, and a number taken off the list.
    await h.db.deleteFrom("contacts").where("campaign_id", "=", campaignId).where("phone", "=", ps[7]!).execute();
    await h.db.deleteFrom("opt_outs").where("phone", "=", ps[8]!).execute();
    await expectExact("after deletes");
    expect(await h.app.runJob("compact-campaign-counts", new Date(Date.now() + 60_000))).toBe(true);
    const final = await expectExact("after a second compaction");
    expect(final.contacts).toBe(10);
  });

  it("a new database's migration counts the rows already there", async () => {
    // The backfill's query is the migration's; recomputing it now must equal the live counters.
    const { rows } = await sql<{ name: string; key: string; n: number }>`
      SELECT name, key, sum(n)::int AS n FROM campaign_counts WHERE campaign_id = ${campaignId}
      GROUP BY name, key HAVING sum(n) <> 0 ORDER BY name, key`.execute(h.db);
    await sql`DELETE FROM campaign_counts`.execute(h.db);
    // 0018's counters, then 0023's recount of the replies (an opt-out is not a reply).
    const { backfill } = await import("../../migrations/0018_campaign_counters.ts");
    const { recount } = await import("../../migrations/0023_honest_replies.ts");
    for (const statement of [...backfill, ...recount]) await statement.execute(h.db);
    const again = await sql<{ name: string; key: string; n: number }>`
      SELECT name, key, sum(n)::int AS n FROM campaign_counts WHERE campaign_id = ${campaignId}
      GROUP BY name, key ORDER BY name, key`.execute(h.db);
    expect(again.rows).toEqual(rows);
    await expectExact("after the backfill");
  });

  it.runIf(onPostgres)("stay exact with two instances sending, replying and opting out at once", async () => {
    const { campaignId: busy } = await seedCampaign(h.db, {
      slug: "ctr-busy",
      contacts: phones(40, 2025557100).map((phone, i) => ({ phone, first_name: `B${i}` })),
    });
    const second = await h.startInstance();
    const port = second.port;
    const shift = async (user: string, n: number) => {
      let card = await startShift(h, user, "ctr-busy");
      for (let i = 0; i < n; i++) {
        const button = buttonsOf(card.blocks)[CARD_ACTIONS.send];
        if (!button) break;
        card = { ...card, blocks: (await pressAndWait(h, user, button)).blocks };
      }
    };
    const stops = phones(40, 2025557100).filter((_, i) => i % 4 === 0);
    try {
      await Promise.all([
        shift("UBUSY1", 8),
        shift("UBUSY2", 8),
        shift("UBUSY3", 8),
        ...stops.map((phone, i) => h.inboundSms(phone, i % 2 ? "STOP" : "yes", { port })),
        h.commandText(ORGANIZER, `optouts add ${phones(1, 2025557139)[0]!}`),
      ]);
      await h.app.deliveries.idle();
      await second.deliveries.idle();
      await h.settle();
    } finally {
      await second.stop();
    }
    const exact = await exactCampaignStats(h.db, busy);
    expect(normalized(await campaignStats(h.db, busy))).toEqual(normalized(exact));
    expect(exact.sent).toBeGreaterThan(0);
  });
});
