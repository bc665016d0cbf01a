import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { autoReleaseStale, postReminders } from "../../src/slack/shift-posts.ts";
import { CARD_ACTIONS } from "../../src/slack/blocks/card.ts";
import { buttonsOf, pressAndWait, startShift } from "../support/cards.ts";
import { Harness, ORGANIZER } from "../support/harness.ts";
import { phones, seedCampaign } from "../support/seed.ts";

describe("stale replies and after-shift reminders", () => {
  let h: Harness;
  let ps: string[];
  let campaignId: number;
  beforeAll(async () => {
    h = await Harness.start();
    ps = phones(3, 2025556600);
    ({ campaignId } = await seedCampaign(h.db, {
      slug: "stale",
      title: "Stale",
      contacts: ps.map((phone) => ({ phone, first_name: "W" })),
    }));
    let card = await startShift(h, "USLOW", "stale");
    for (let i = 0; i < 3; i++)
      card = { ...card, blocks: (await pressAndWait(h, "USLOW", buttonsOf(card.blocks)[CARD_ACTIONS.send]!)).blocks };
    await h.app.deliveries.idle();
    for (const [i, phone] of ps.entries()) {
      await h.twilioWebhook("/twilio/sms", {
        MessageSid: `SMstale${i}`.padEnd(34, "0"),
        From: phone,
        To: h.twilio.fromNumber,
        Body: `question ${i}`,
        NumMedia: "0",
      });
    }
    await h.settle();
    await h.db
      .updateTable("conversations")
      .set({ waiting_since: sql`now() - interval '2 hours'` })
      .where("campaign_id", "=", campaignId)
      .execute();
    await h.commandText("UFAST", "shift stale");
  });
  afterAll(async () => {
    await h?.stop();
  });

  it("release hands a volunteer's stale replies to someone on shift, with the thread and history", async () => {
    await h.db
      .updateTable("conversations")
      .set({ waiting_since: null })
      .where("contact_id", "in", h.db.selectFrom("contacts").select("id").where("phone", "in", [ps[1]!, ps[2]!]))
      .execute();
    const answer = await h.commandText(ORGANIZER, "release stale <@USLOW>");
    expect(answer).toContain("Handed 1 conversation waiting over 60 minutes to volunteers on shift");
    await h.settle();
    const moved = await h.db
      .selectFrom("conversations as v")
      .innerJoin("contacts as c", "c.id", "v.contact_id")
      .select(["v.volunteer_id", "v.slack_channel"])
      .where("c.phone", "=", ps[0]!)
      .executeTakeFirstOrThrow();
    expect(moved).toEqual({ volunteer_id: "UFAST", slack_channel: "DFAST" });
    expect(
      h.slack
        .callsTo("chat.postMessage")
        .some((c) => c.args.channel === "DFAST" && String(c.args.text).includes("*Them:* question 0")),
    ).toBe(true);
  });

  it("a campaign set to auto moves stale replies by itself", async () => {
    expect(await h.commandText(ORGANIZER, "stale stale 30 auto")).toContain("by themselves");
    expect(await h.commandText(ORGANIZER, "stale stale 2 auto")).toContain("5 to 1440");
    await h.db
      .updateTable("conversations")
      .set({ waiting_since: sql`now() - interval '45 minutes'` })
      .where("volunteer_id", "=", "USLOW")
      .execute();
    expect(await autoReleaseStale(h.app.slackDeps)).toBe(2);
    const left = await h.db.selectFrom("conversations").select("id").where("volunteer_id", "=", "USLOW").execute();
    expect(left).toHaveLength(0);
  });

  it("an hour after a shift, a volunteer with replies waiting gets one reminder", async () => {
    await h.db
      .insertInto("shifts")
      .values({
        campaign_id: campaignId,
        starts_at: sql`now() - interval '3 hours'`,
        ends_at: sql`now() - interval '90 minutes'`,
        channel_id: "C0",
        created_by: ORGANIZER,
        recap_posted_at: sql`now()`,
      })
      .execute();
    await h.db
      .updateTable("conversations")
      .set({ waiting_since: sql`now() - interval '2 hours'` })
      .where("campaign_id", "=", campaignId)
      .execute();
    expect(await postReminders(h.app.slackDeps)).toBe(1);
    expect(await postReminders(h.app.slackDeps)).toBe(0);
    await h.settle();
    const reminder = h.slack
      .callsTo("chat.postMessage")
      .find((c) => String(c.args.text).includes("still waiting for your answer"))!;
    expect(reminder.args.channel).toBe("UFAST");
    expect(String(reminder.args.text)).toContain("3 people are still waiting");
  });
});
