import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buttonsOf, press, startShift, textOf, type CardButton } from "../support/cards.ts";
import { Harness, ORGANIZER } from "../support/harness.ts";
import { phones, seedCampaign } from "../support/seed.ts";

const VOL = "UVOLDEADEND";

/**
 * Every message that once ended in a command to type now carries the button that does it:
 * Join in `/campaign join`'s list, Start shift in its answer and on an ended shift.
 */
describe("no dead ends for volunteers", () => {
  let h: Harness;
  let activeId: number;
  let draftId: number;

  /** Presses a button on an ephemeral message (is_ephemeral) or on a post everyone sees. */
  const pressOn = async (button: CardButton, ephemeral: boolean, user = VOL) => {
    const responseUrl = h.slack.responseUrl();
    const res = await h.interact({
      type: "block_actions",
      user: { id: user, username: user.toLowerCase(), team_id: "T0001" },
      api_app_id: "A0001",
      token: "unused",
      team: { id: "T0001", domain: "fake" },
      container: { type: "message", message_ts: "1700000000.000200", channel_id: "C0GENERAL", is_ephemeral: ephemeral },
      channel: { id: "C0GENERAL", name: "general" },
      trigger_id: "trigger.x",
      response_url: responseUrl,
      actions: [{ type: "button", ...button, text: { type: "plain_text", text: "x" }, action_ts: "1700000000.2" }],
    });
    expect(res.status).toBe(200);
    const answer = await h.slack.waitForResponse(responseUrl);
    return answer.body as { text?: string; blocks?: unknown[]; replace_original?: boolean; response_type?: string };
  };
  const volunteerRows = async (campaignId: number, user = VOL) =>
    h.db
      .selectFrom("volunteers")
      .select("user_id")
      .where("campaign_id", "=", campaignId)
      .where("user_id", "=", user)
      .execute();

  beforeAll(async () => {
    h = await Harness.start();
    ({ campaignId: activeId } = await seedCampaign(h.db, {
      slug: "doors",
      title: "Door knock recruits",
      contacts: phones(3, 2025557700).map((phone) => ({ phone, first_name: "Ana" })),
    }));
    ({ campaignId: draftId } = await seedCampaign(h.db, {
      slug: "secret-draft",
      title: "Secret plan",
      state: "draft",
      contacts: [],
    }));
  });
  afterAll(async () => {
    await h?.stop();
  });

  it("`/campaign join` alone lists the active campaigns, each with Join; Join answers with Start shift", async () => {
    const list = await h.commandAnswer(VOL, "join");
    expect(textOf(list.body.blocks)).toContain("Door knock recruits");
    expect(textOf(list.body.blocks)).not.toContain("Secret plan");
    const join = buttonsOf(list.body.blocks).campaign_join!;
    expect(join.value).toBe(String(activeId));

    const joined = await pressOn(join, true);
    expect(joined.replace_original).toBe(true); // the list becomes the answer
    expect(joined.text).toContain("You joined Door knock recruits");
    expect(await volunteerRows(activeId)).toHaveLength(1);

    const before = h.slack.callsTo("chat.postMessage").length;
    const started = await pressOn(buttonsOf(joined.blocks).campaign_start_shift!, true);
    expect(started.text).toBe(
      "Your shift on *Door knock recruits* has started: your first contact is in your DM with Textbank.",
    );
    const card = await h.slack.waitForCall(
      "chat.postMessage",
      (c) => c.args.channel === VOL && h.slack.callsTo("chat.postMessage").indexOf(c) >= before,
    );
    expect(buttonsOf(card.args.blocks).card_send).toBeDefined();
  });

  it("`/campaign join <slug>` answers with a Start shift button too", async () => {
    const answer = await h.commandAnswer("UVOLTWO", "join doors");
    expect(answer.text).toContain("You joined Door knock recruits");
    expect(buttonsOf(answer.body.blocks).campaign_start_shift?.value).toBe(String(activeId));
  });

  it("an ended shift carries Start shift, which brings the next card back", async () => {
    const { blocks } = await startShift(h, "UVOLTHREE", "doors");
    const ended = await press(h, "UVOLTHREE", buttonsOf(blocks).card_end!);
    const endedCard = await h.slack.waitForResponse(ended.responseUrl);
    expect(String(endedCard.body.text)).toContain("Start again with `/campaign shift doors` or the button below.");
    const again = await press(h, "UVOLTHREE", buttonsOf(endedCard.body.blocks).card_start!);
    const card = await h.slack.waitForResponse(again.responseUrl);
    expect(buttonsOf(card.body.blocks).card_send).toBeDefined();
  });

  it("a Join button on a channel post answers the presser alone and leaves the post for the next volunteer", async () => {
    const answer = await pressOn(
      { action_id: "campaign_join", value: String(activeId), block_id: "b" },
      false,
      "UVOLFOUR",
    );
    expect(answer.replace_original).toBe(false);
    expect(answer.response_type).toBe("ephemeral");
    expect(answer.text).toContain("You joined Door knock recruits");
  });

  it("a forged Join or Start shift naming a draft shows nothing of it and joins nobody", async () => {
    for (const action_id of ["campaign_join", "campaign_start_shift"]) {
      const answer = await pressOn({ action_id, value: String(draftId), block_id: "b" }, true, "UVOLFIVE");
      expect(answer.text).toBe("That button is not one of ours; nothing happened.");
    }
    expect(await volunteerRows(draftId, "UVOLFIVE")).toHaveLength(0);
    const unknown = await pressOn({ action_id: "campaign_join", value: "999999", block_id: "b" }, true, "UVOLFIVE");
    expect(unknown.text).toBe("That button is not one of ours; nothing happened.");
  });

  it("launch offers to post a Join button in a channel; the channel gets it, or the organizer hears why not", async () => {
    const { campaignId } = await seedCampaign(h.db, {
      slug: "launch-share",
      title: "Phone bank",
      state: "draft",
      contacts: phones(2, 2025557750).map((phone) => ({ phone, first_name: "Ana" })),
    });
    const launched = await h.commandAnswer(ORGANIZER, "launch launch-share");
    expect(launched.text).toContain("is live");
    type Section = { block_id?: string; accessory?: { type: string; action_id: string } };
    const picker = (launched.body.blocks as Section[]).find((b) => b.accessory?.type === "conversations_select")!;
    expect(picker.block_id).toBe(`launch_share:${campaignId}`);
    const pick = async (channel: string, user = ORGANIZER) => {
      const responseUrl = h.slack.responseUrl();
      await h.interact({
        type: "block_actions",
        user: { id: user, username: "organizer", team_id: "T0001" },
        api_app_id: "A0001",
        token: "unused",
        team: { id: "T0001", domain: "fake" },
        container: { type: "message", message_ts: "1700000000.000300", channel_id: "C0GENERAL", is_ephemeral: true },
        channel: { id: "C0GENERAL", name: "general" },
        trigger_id: "trigger.share",
        response_url: responseUrl,
        actions: [
          {
            type: "conversations_select",
            action_id: picker.accessory!.action_id,
            block_id: picker.block_id,
            selected_conversation: channel,
            action_ts: "1700000000.3",
          },
        ],
      });
      return String((await h.slack.waitForResponse(responseUrl)).body.text);
    };
    expect(await pick("CVOLUNTEERS")).toBe("Posted a *Join* button for *Phone bank* in <#CVOLUNTEERS>.");
    const post = h.slack.callsTo("chat.postMessage").find((c) => c.args.channel === "CVOLUNTEERS")!;
    expect(buttonsOf(post.args.blocks).campaign_join?.value).toBe(String(campaignId));

    h.slack.failNext("chat.postMessage", 200, { error: "not_in_channel" });
    expect(await pick("CNOTIN")).toContain("Textbank is not in <#CNOTIN>: invite it there first");
    // Only organizers can post one.
    expect(await pick("CVOLUNTEERS", VOL)).toBe("That button is not one of ours; nothing happened.");
    expect(h.slack.callsTo("chat.postMessage").filter((c) => c.args.channel === "CVOLUNTEERS")).toHaveLength(1);
  });

  it("with no active campaign, `/campaign join` says so and how to come back", async () => {
    await h.db.updateTable("campaigns").set({ state: "paused" }).where("state", "=", "active").execute();
    expect(await h.commandText(VOL, "join")).toBe(
      "No campaign is active right now. When an organizer launches one, join it here with `/campaign join`.",
    );
    // A paused campaign's buttons say why instead of starting anything.
    const answer = await pressOn({ action_id: "campaign_start_shift", value: String(activeId), block_id: "b" }, true);
    expect(answer.text).toContain("is paused, so there is nothing to text right now");
  });
});
