import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commandTiming } from "../../src/slack/commands/index.ts";
import { Harness, ORGANIZER } from "../support/harness.ts";
import { phones, seedCampaign } from "../support/seed.ts";
import { twilioSignature } from "../support/signing.ts";

const VOLUNTEER = "UVOLUNTEER";

describe("foundation: commands, signatures, health", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it("answers /healthz with JSON while the database answers", async () => {
    const res = await fetch(`${h.url}/healthz`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { ok: boolean; database: string; sms: string };
    expect(body).toMatchObject({ ok: true, sms: "twilio" });
    expect(["pglite", "postgres"]).toContain(body.database);
  });

  it("greets Slack's auth.test through the fake Web API at start-up", () => {
    expect(h.slack.callsTo("auth.test").length).toBeGreaterThan(0);
    expect(h.slack.callsTo("auth.test")[0]!.token).toBe(h.slack.botToken);
  });

  it("shows organizers every subcommand in help, volunteers only theirs", async () => {
    const organizerHelp = await h.commandText(ORGANIZER, "help");
    expect(organizerHelp).toContain("/campaign create <slug> [title…]");
    expect(organizerHelp).toContain("/campaign organizers add|remove @user");
    const volunteerHelp = await h.commandText(VOLUNTEER, "help");
    expect(volunteerHelp).toContain("/campaign list");
    expect(volunteerHelp).not.toContain("/campaign create");
    const empty = await h.commandAnswer(VOLUNTEER, "");
    expect(empty.body.response_type).toBe("ephemeral");
    expect(empty.text).toContain("/campaign list");
  });

  it("answers an unknown subcommand with the usage", async () => {
    const res = await h.commandAnswer(ORGANIZER, "frobnicate now");
    expect(res.status).toBe(200);
    expect(res.body.response_type).toBe("ephemeral");
    expect(res.text).toContain("`frobnicate` is not a /campaign subcommand");
    expect(res.text).toContain("/campaign create");
  });

  it("creates a draft campaign and refuses a taken or malformed slug", async () => {
    const created = await h.commandText(ORGANIZER, "create gotv-2026 Get out the vote 2026");
    expect(created).toContain("Created *Get out the vote 2026* (`gotv-2026`) as a draft");
    const row = await h.db
      .selectFrom("campaigns")
      .selectAll()
      .where("slug", "=", "gotv-2026")
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ title: "Get out the vote 2026", state: "draft", created_by: ORGANIZER });

    expect(await h.commandText(ORGANIZER, "create gotv-2026 Again")).toContain("`gotv-2026` is taken");
    expect(await h.commandText(ORGANIZER, "create GOTV_2026")).toContain("has `G` `O` `T` `V` `_`");
    expect(await h.commandText(ORGANIZER, "create x")).toContain("2 to 40");
    expect(await h.commandText(ORGANIZER, "create")).toContain("Usage: `/campaign create <slug> [title…]`");
    const count = await h.db
      .selectFrom("campaigns")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    expect(count.n).toBe(1);
  });

  it("refuses organizer subcommands to volunteers, saying who can", async () => {
    const res = await h.commandText(VOLUNTEER, "create sneaky");
    expect(res).toContain("Only organizers can use `/campaign create`");
    expect(res).toContain("/campaign organizers add @user");
    expect(
      await h.db.selectFrom("campaigns").selectAll().where("slug", "=", "sneaky").executeTakeFirst(),
    ).toBeUndefined();
  });

  it("lists campaigns: organizers see drafts, volunteers only active ones", async () => {
    const organizerList = await h.commandAnswer(ORGANIZER, "list");
    expect(JSON.stringify(organizerList.body.blocks)).toContain("gotv-2026");
    expect(JSON.stringify(organizerList.body.blocks)).toContain("draft");
    expect(await h.commandText(VOLUNTEER, "list")).toBe("No campaign is active right now.");
    await h.db.updateTable("campaigns").set({ state: "active" }).where("slug", "=", "gotv-2026").execute();
    const volunteerList = await h.commandAnswer(VOLUNTEER, "list");
    expect(JSON.stringify(volunteerList.body.blocks)).toContain("/campaign join gotv-2026");
  });

  it("adds and removes organizers, with permissions following at once", async () => {
    expect(await h.commandText(ORGANIZER, `organizers add <@${VOLUNTEER}|vol>`)).toBe(
      `<@${VOLUNTEER}> is now an organizer.`,
    );
    expect(await h.commandText(ORGANIZER, `organizers add <@${VOLUNTEER}>`)).toBe(
      `<@${VOLUNTEER}> is already an organizer.`,
    );
    expect(await h.commandText(VOLUNTEER, "create by-volunteer")).toContain("Created");
    expect(await h.commandText(VOLUNTEER, `organizers remove <@${ORGANIZER}>`)).toContain("ORGANIZER_IDS setting");
    expect(await h.commandText(ORGANIZER, "organizers add @somebody")).toContain("`@somebody` is not a person");
    expect(await h.commandText(ORGANIZER, `organizers remove <@${VOLUNTEER}>`)).toBe(
      `<@${VOLUNTEER}> is no longer an organizer.`,
    );
    expect(await h.commandText(VOLUNTEER, "create after-removal")).toContain("Only organizers");
  });

  it("rejects unsigned, wrongly signed and stale Slack requests with 401 and stores nothing", async () => {
    const form = new URLSearchParams({
      command: "/campaign",
      text: "create forged",
      user_id: ORGANIZER,
      response_url: h.slack.responseUrl(),
      trigger_id: "t",
    }).toString();
    const type = "application/x-www-form-urlencoded";
    expect((await h.postSlack(form, type, { signature: null })).status).toBe(401);
    expect((await h.postSlack(form, type, { secret: "wrong-secret" })).status).toBe(401);
    expect((await h.postSlack(form, type, { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 })).status).toBe(401);
    expect(
      await h.db.selectFrom("campaigns").selectAll().where("slug", "=", "forged").executeTakeFirst(),
    ).toBeUndefined();
  });

  it("rejects Twilio webhooks without a valid signature with 403 and stores nothing", async () => {
    const params = {
      MessageSid: "SM" + "a".repeat(32),
      From: "+15551230001",
      To: h.twilio.fromNumber,
      Body: "hello",
      NumMedia: "0",
    };
    expect((await h.twilioWebhook("/twilio/sms", params, { signature: null })).status).toBe(403);
    expect((await h.twilioWebhook("/twilio/sms", params, { signature: "bm90IGEgc2lnbmF0dXJl" })).status).toBe(403);
    // Signed for another URL (the Host header, not PUBLIC_URL) is wrong too.
    const wrongUrl = twilioSignature(h.twilio.authToken, `${h.url}/twilio/sms`, params);
    expect((await h.twilioWebhook("/twilio/sms", params, { signature: wrongUrl })).status).toBe(403);
    expect(
      (
        await h.twilioWebhook(
          "/twilio/status",
          { MessageSid: params.MessageSid, MessageStatus: "delivered" },
          { signature: null },
        )
      ).status,
    ).toBe(403);
    expect(await h.db.selectFrom("messages").selectAll().execute()).toHaveLength(0);

    const ok = await h.twilioWebhook("/twilio/sms", params);
    expect(ok.status).toBe(200);
    expect(ok.text).toContain("<Response/>");
    const again = await h.twilioWebhook("/twilio/sms", params);
    expect(again.status).toBe(200);
    expect(await h.db.selectFrom("messages").selectAll().execute()).toHaveLength(1);
  });
});

describe("acks while subcommands queue", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it("a subcommand that must wait for a turn is acked at once and answered through response_url", async () => {
    // A burst of shift starts must not hold the acks of what arrives meanwhile: past the
    // instance's limit, a subcommand waits its turn and Slack gets its ack at once.
    await seedCampaign(h.db, { slug: "turns", contacts: phones(2).map((phone) => ({ phone, first_name: "Ana" })) });
    const limit = commandTiming.concurrent;
    commandTiming.concurrent = 1;
    try {
      h.slack.delayNext("chat.postMessage", { ms: 1500 }); // the shift's card post is slow
      const before = h.slack.callsTo("chat.postMessage").length;
      const first = h.commandAnswer(VOLUNTEER, "shift turns");
      await h.slack.waitForCall("chat.postMessage", (c) => h.slack.callsTo("chat.postMessage").indexOf(c) >= before);
      // help is quick, but the one turn is taken: acked empty while the shift is still under way…
      const second = await h.command(ORGANIZER, "help");
      expect(second.status).toBe(200);
      expect(second.text).toBe("");
      expect(h.slack.responses.some((post) => second.responseUrl.endsWith(post.id))).toBe(false);
      // …and answered once its turn comes.
      const later = await h.slack.waitForResponse(second.responseUrl);
      expect(String(later.body.text)).toContain("/campaign create <slug> [title…]");
      expect((await first).text).toContain("Your shift on *Campaign turns* has started");
    } finally {
      commandTiming.concurrent = limit;
    }
  });
});
