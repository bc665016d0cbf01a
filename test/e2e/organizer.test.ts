import Papa from "papaparse";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CARD_ACTIONS } from "../../src/slack/blocks/card.ts";
import { buttonsOf, pressAndWait, startShift, textOf } from "../support/cards.ts";
import { Harness, ORGANIZER } from "../support/harness.ts";
import { waitFor } from "../support/http-util.ts";
import { phones, seedCampaign } from "../support/seed.ts";

describe("the organizer's view: stats and export", () => {
  let h: Harness;
  let ps: string[];
  beforeAll(async () => {
    h = await Harness.start();
    ps = phones(5, 2025558000);
    const { campaignId } = await seedCampaign(h.db, {
      slug: "report",
      title: "Report Test",
      contacts: ps.map((phone, i) => ({
        phone,
        first_name: i === 0 ? '=HYPERLINK("x")' : `R${i}`,
        custom_fields: { ward: `W${i}` },
      })),
    });
    await h.db
      .updateTable("campaigns")
      .set({
        outcome_tags: JSON.stringify(["Yes", "No"]),
        custom_fields: JSON.stringify([{ key: "ward", header: "Ward" }]),
      })
      .where("id", "=", campaignId)
      .execute();
    // Two volunteers send four texts; contact 4 stays in the pool.
    for (const [user, count] of [
      ["UREP1", 3],
      ["UREP2", 1],
    ] as const) {
      let card = await startShift(h, user, "report");
      for (let i = 0; i < count; i++)
        card = { ...card, blocks: (await pressAndWait(h, user, buttonsOf(card.blocks)[CARD_ACTIONS.send]!)).blocks };
      await pressAndWait(h, user, buttonsOf(card.blocks)[CARD_ACTIONS.end]!);
    }
    await h.app.deliveries.idle();
    const inbound = async (from: string, body: string, n: number) =>
      h.twilioWebhook("/twilio/sms", {
        MessageSid: `SMrep${n}`.padEnd(34, "0"),
        From: from,
        To: h.twilio.fromNumber,
        Body: body,
        NumMedia: "0",
      });
    await inbound(ps[0]!, "Yes I'll vote", 1);
    await inbound(ps[0]!, "at 5pm", 2);
    await inbound(ps[1]!, "STOP", 3);
    await h.settle();
    const conversation = await h.db
      .selectFrom("conversations as v")
      .innerJoin("contacts as c", "c.id", "v.contact_id")
      .select("v.id")
      .where("c.phone", "=", ps[0]!)
      .executeTakeFirstOrThrow();
    await h.db
      .updateTable("conversations")
      .set({ current_tag: "Yes", tagged_by: "UREP1" })
      .where("id", "=", conversation.id)
      .execute();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it("stats agree with what happened", async () => {
    const answer = await h.commandAnswer(ORGANIZER, "stats report");
    const text = textOf(answer.body.blocks);
    expect(text).toContain("*Contacts:* 5 · *handed out:* 4");
    expect(text).toContain("*Sent:* 4");
    // The STOP is an opt-out, not a reply: two replies from one of the four texted (25%).
    expect(text).toContain("*Replies:* 2 replies (25.0%) from 1 contact · 1 opt-out");
    expect(text).toContain("*Waiting for an answer:* 1");
    expect(text).toContain("Yes: 1");
    expect(text).toContain("<@UREP1> sent 3 · 2 replies · 1 opt-out · tagged 1");
    expect(text).toContain("<@UREP2> sent 1 · 0 replies · 0 opt-outs · tagged 0");
    expect(await h.commandText("UREP1", "stats report")).toContain("Only organizers");
    expect(await h.commandText(ORGANIZER, "stats nope")).toContain("There is no campaign `nope`");
  });

  it("export uploads two CSVs to the organizer's DM, spreadsheet-safe", async () => {
    const answer = await h.commandText(ORGANIZER, "export report");
    expect(answer).toContain("Preparing the export");
    await waitFor(() => h.slack.callsTo("files.completeUploadExternal").length === 2, { what: "two uploads" });
    const complete = h.slack.callsTo("files.completeUploadExternal");
    expect(complete[0]!.args.channel_id).toBe(`D${ORGANIZER.slice(1)}`);
    const [contactsCsv, messagesCsv] = [...h.slack.uploads.values()].map((b) => b.toString("utf8"));
    const contacts = Papa.parse<Record<string, string>>(contactsCsv!, { header: true, skipEmptyLines: true }).data;
    expect(contacts).toHaveLength(5);
    expect(Object.keys(contacts[0]!)).toEqual([
      "external_id",
      "first_name",
      "last_name",
      "phone",
      "zip",
      "Ward",
      "volunteer",
      "opening_status",
      "error_code",
      "sent_at",
      "delivered_at",
      "replies",
      "last_reply",
      "outcome",
      "opted_out",
      "notes",
    ]);
    const first = contacts.find((r) => r.Ward === "W0")!;
    expect(first.first_name).toBe('\'=HYPERLINK("x")');
    expect(first).toMatchObject({
      replies: "2",
      last_reply: "at 5pm",
      outcome: "Yes",
      opted_out: "no",
      volunteer: "UREP1",
    });
    expect(contacts.find((r) => r.Ward === "W1")!.opted_out).toBe("yes");
    expect(contacts.find((r) => r.Ward === "W4")!.opening_status).toBe("not sent");
    const messages = Papa.parse<Record<string, string>>(messagesCsv!, { header: true, skipEmptyLines: true }).data;
    expect(messages.filter((m) => m.direction === "in")).toHaveLength(3);
    expect(messages.filter((m) => m.kind === "opening")).toHaveLength(4);
  });

  it("App Home: a volunteer sees campaigns, waiting conversations, today's count and the leaderboard", async () => {
    await h.event({ type: "app_home_opened", user: "UREP1", channel: "DREP1", tab: "home" });
    const call = await h.slack.waitForCall("views.publish", (c) => c.args.user_id === "UREP1");
    const text = textOf((call.args.view as { blocks: unknown }).blocks);
    expect(text).toContain("You sent *3* texts today");
    expect(text).toContain("Report Test");
    expect(text).toContain("home_start_shift");
    expect(text).toContain("Waiting for your answer");
    expect(text).toContain("1. <@UREP1> — 3");
  });

  it("App Home: an organizer sees every campaign within Slack's 100-block limit, for 1 and 60 campaigns", async () => {
    await h.event({ type: "app_home_opened", user: ORGANIZER, channel: "DORG", tab: "home" });
    const one = await h.slack.waitForCall("views.publish", (c) => c.args.user_id === ORGANIZER);
    const oneText = textOf((one.args.view as { blocks: unknown }).blocks);
    expect(oneText).toContain("4 / 5 texted");
    expect(oneText).toContain("2 replies (25.0%) · 1 opt-out · 1 waiting for an answer");
    for (let i = 0; i < 59; i++) {
      await h.db
        .insertInto("campaigns")
        .values({ slug: `bulk-${i}`, title: `Bulk ${i}`, created_by: ORGANIZER })
        .execute();
    }
    const before = h.slack.callsTo("views.publish").length;
    await h.event({ type: "app_home_opened", user: ORGANIZER, channel: "DORG", tab: "home" });
    await waitFor(() => h.slack.callsTo("views.publish").length > before, { what: "a second publish" });
    const sixty = h.slack.callsTo("views.publish").at(-1)!;
    const blocks = (sixty.args.view as { blocks: unknown[] }).blocks;
    expect(blocks.length).toBeLessThanOrEqual(100);
    expect(textOf(blocks)).toContain("more; see `/campaign list`");
  });
});
