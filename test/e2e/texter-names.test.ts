import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buttonsOf, press, startShift } from "../support/cards.ts";
import { Harness } from "../support/harness.ts";
import { waitFor } from "../support/http-util.ts";
import { phones, seedCampaign } from "../support/seed.ts";

const VOL = "UVOLNAMES";

/** {texter_name}: the volunteer's first name from Slack, which they can change when they join. */
describe("the name a volunteer's texts use", () => {
  let h: Harness;
  let campaignId: number;

  const submitName = (value: string) =>
    h.interact({
      type: "view_submission",
      team: { id: "T0001", domain: "fake" },
      user: { id: VOL, username: "vera.k", name: "vera.k", team_id: "T0001" },
      api_app_id: "A0001",
      trigger_id: "trigger.rename",
      view: {
        id: "VRENAME",
        team_id: "T0001",
        type: "modal",
        callback_id: "volunteer_rename",
        private_metadata: String(campaignId),
        hash: "1700000000.bbbb",
        state: { values: { name: { value: { type: "plain_text_input", value } } } },
      },
    });

  beforeAll(async () => {
    h = await Harness.start();
    // The handle is not a name; the profile's first name is.
    h.slack.addUser({ id: VOL, name: "vera.k", real_name: "Vera Kim", first_name: "Vera" });
    ({ campaignId } = await seedCampaign(h.db, {
      slug: "names",
      title: "Names",
      opening: "Hi {first_name}, this is {texter_name} with {campaign}. Reply STOP to opt out.",
      contacts: phones(3, 2025557800).map((phone) => ({ phone, first_name: "Ana" })),
    }));
  });
  afterAll(async () => {
    await h?.stop();
  });

  it("is the first name in the volunteer's Slack profile, not their handle, and the join answer says so", async () => {
    const answer = await h.commandAnswer(VOL, "join names");
    expect(answer.text).toContain("Your texts will say your name is Vera.");
    expect(buttonsOf(answer.body.blocks).volunteer_rename?.value).toBe(String(campaignId));
    const { text } = await startShift(h, VOL, "names");
    expect(text).toContain("Ana");
    const card = h.slack.callsTo("chat.postMessage").at(-1)!;
    expect(JSON.stringify(card.args.blocks)).toContain("this is Vera with Names");
  });

  it("Change name opens a form with the current name; a saved name is used in the next texts", async () => {
    const join = await h.commandAnswer(VOL, "join names");
    await press(h, VOL, buttonsOf(join.body.blocks).volunteer_rename!);
    const opened = await h.slack.waitForCall(
      "views.open",
      (c) => (c.args.view as { callback_id?: string }).callback_id === "volunteer_rename",
    );
    expect(JSON.stringify(opened.args.view)).toContain('"initial_value":"Vera"');

    const saved = await submitName("  V. Kim ");
    expect(saved.status).toBe(200);
    expect(saved.text).toBe("");
    await h.slack.waitForCall(
      "chat.postMessage",
      (c) => c.args.channel === VOL && String(c.args.text).includes("V. Kim"),
    );

    // The next card and its Send use the new name.
    const { blocks } = await startShift(h, VOL, "names");
    const sent = await press(h, VOL, buttonsOf(blocks).card_send!);
    await h.slack.waitForResponse(sent.responseUrl);
    await waitFor(() => h.twilio.messages.find((m) => m.body.includes("this is V. Kim with Names")), {
      what: "the text",
    });
  });

  it("refuses an empty name, a link or braces in the form, and keeps the old name", async () => {
    for (const [value, error] of [
      ["   ", "Give the name your texts should use."],
      ["see www.example.org", "A name can't hold links, braces or angle brackets."],
      ["{first_name}", "A name can't hold links, braces or angle brackets."],
    ] as const) {
      const res = await submitName(value);
      expect(res.json()).toEqual({ response_action: "errors", errors: { name: error } });
    }
    const row = await h.db
      .selectFrom("volunteers")
      .select("display_name")
      .where("campaign_id", "=", campaignId)
      .where("user_id", "=", VOL)
      .executeTakeFirstOrThrow();
    expect(row.display_name).toBe("V. Kim");
  });

  it("a form for a campaign the person is not on changes nothing and says so", async () => {
    const other = await seedCampaign(h.db, { slug: "other-names", contacts: [] });
    const res = await h.interact({
      type: "view_submission",
      team: { id: "T0001", domain: "fake" },
      user: { id: VOL, username: "vera.k", name: "vera.k", team_id: "T0001" },
      api_app_id: "A0001",
      trigger_id: "trigger.rename",
      view: {
        id: "VRENAME",
        team_id: "T0001",
        type: "modal",
        callback_id: "volunteer_rename",
        private_metadata: String(other.campaignId),
        hash: "1700000000.bbbb",
        state: { values: { name: { value: { type: "plain_text_input", value: "Someone" } } } },
      },
    });
    expect(res.json()).toEqual({
      response_action: "errors",
      errors: { name: "You are not on this campaign any more; nothing was changed." },
    });
  });
});
