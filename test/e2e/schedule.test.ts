import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postKickoffs, postRecaps, SHIFT_JOIN_ACTION } from "../../src/slack/shift-posts.ts";
import { zonedTimeToUtc } from "../../src/campaigns/shifts.ts";
import type { Textbank } from "../../src/app.ts";
import { buttonsOf, press } from "../support/cards.ts";
import { Harness, ORGANIZER } from "../support/harness.ts";
import { waitFor } from "../support/http-util.ts";
import { phones, seedCampaign } from "../support/seed.ts";
import { onPostgres } from "../support/test-db.ts";

const start = new Date(Math.floor((Date.now() - 3600_000) / 60_000) * 60_000);
const chicago = (at: Date) => {
  const p = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", {
      timeZone: "America/Chicago",
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
    })
      .formatToParts(at)
      .map((x) => [x.type, x.value]),
  );
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
};

describe("scheduled shifts", () => {
  let h: Harness;
  let second: Textbank | undefined;
  beforeAll(async () => {
    h = await Harness.start();
    if (onPostgres) second = await h.startInstance();
    h.slack.channels.set("C0SHIFTS", { id: "C0SHIFTS", name: "shifts", is_member: true });
    h.slack.channels.set("C0OUTSIDE", { id: "C0OUTSIDE", name: "outside", is_member: false });
    h.slack.addUser({ id: ORGANIZER, tz: "America/Chicago" });
    await seedCampaign(h.db, {
      slug: "shifty",
      title: "Shifty",
      contacts: phones(3, 2025559000).map((phone) => ({ phone, first_name: "S" })),
    });
    // The app's clock runs two hours behind the database's, so the shift below, scheduled in
    // the "future", spans the real moment its texts are stored.
    h.clock = new Date(start.getTime() - 3600_000);
  });
  afterAll(async () => {
    await h?.stop();
  });

  it("converts wall-clock time in a zone to UTC across DST", () => {
    expect(
      zonedTimeToUtc({ year: 2026, month: 11, day: 24, hour: 18, minute: 0 }, "America/Chicago").toISOString(),
    ).toBe("2026-11-25T00:00:00.000Z");
    expect(zonedTimeToUtc({ year: 2026, month: 7, day: 1, hour: 9, minute: 30 }, "America/Chicago").toISOString()).toBe(
      "2026-07-01T14:30:00.000Z",
    );
    expect(zonedTimeToUtc({ year: 2026, month: 7, day: 1, hour: 9, minute: 0 }, "America/Phoenix").toISOString()).toBe(
      "2026-07-01T16:00:00.000Z",
    );
  });

  it("refuses bad schedules with a clear answer and stores nothing", async () => {
    const cases: [string, string][] = [
      ["schedule shifty 2026-11-21 18:00 60 <#C0SHIFTS|shifts>", "is in the past"],
      ["schedule shifty 2026-11-24 18:00 60 <#C0NOPE|nope>", "can't find"],
      ["schedule shifty 2026-11-24 18:00 60 <#C0OUTSIDE|outside>", "not in <#C0OUTSIDE>"],
      ["schedule shifty 2026-13-24 18:00 60 <#C0SHIFTS|shifts>", "is not a date and time"],
      ["schedule shifty 2026-11-24 18:00 5 <#C0SHIFTS|shifts>", "15 to 720 minutes"],
      ["schedule nope 2026-11-24 18:00 60 <#C0SHIFTS|shifts>", "There is no campaign `nope`"],
      ["schedule shifty 2026-11-24 18:00 60 #shifts", "is not a channel"],
    ];
    for (const [text, expected] of cases) expect(await h.commandText(ORGANIZER, text)).toContain(expected);
    expect(await h.commandText("UVOLUNTEER", "schedule shifty 2026-11-24 18:00 60 <#C0SHIFTS|shifts>")).toContain(
      "Only organizers",
    );
    expect(await h.db.selectFrom("shifts").selectAll().execute()).toHaveLength(0);
  });

  it("schedules in the organizer's time zone, refuses an overlap, kicks off and recaps once across instances", async () => {
    const answer = await h.commandText(ORGANIZER, `schedule shifty ${chicago(start)} 120 <#C0SHIFTS|shifts>`);
    expect(answer).toContain("Scheduled a 120-minute shift of *Shifty* on ");
    expect(answer).toContain("(America/Chicago) in <#C0SHIFTS>");
    expect(
      await h.commandText(
        ORGANIZER,
        `schedule shifty ${chicago(new Date(start.getTime() + 1800_000))} 60 <#C0SHIFTS|shifts>`,
      ),
    ).toContain("overlaps");
    const shift = await h.db.selectFrom("shifts").selectAll().executeTakeFirstOrThrow();
    expect(shift.starts_at.toISOString()).toBe(start.toISOString());

    expect(await postKickoffs(h.app.slackDeps)).toBe(0);
    h.clock = new Date(start.getTime() + 10_000);
    const job = "shift-kickoffs-and-recaps";
    const instances = [h.app, ...(second ? [second] : [])];
    const ran = await Promise.all(
      instances.flatMap((app) => [app.runJob(job), postKickoffs(app.slackDeps).then(() => false)]),
    );
    expect(ran.filter(Boolean)).toHaveLength(1);
    await h.settle();
    const kickoffs = h.slack
      .callsTo("chat.postMessage")
      .filter((c) => c.args.channel === "C0SHIFTS" && String(c.args.text).includes("starts now"));
    expect(kickoffs).toHaveLength(1);

    const join = buttonsOf(kickoffs[0]!.args.blocks)[SHIFT_JOIN_ACTION]!;
    await press(h, "UJOINER", join);
    const card = await h.slack.waitForCall("chat.postMessage", (c) => c.args.channel === "UJOINER");
    await press(h, "UJOINER", buttonsOf(card.args.blocks).card_send!);
    await waitFor(() => h.twilio.messages.length === 1, { what: "a text in the shift" });
    await h.app.deliveries.idle();

    h.clock = new Date(start.getTime() + 120 * 60_000 + 5000);
    await Promise.all(instances.map((app) => postRecaps(app.slackDeps)));
    await h.settle();
    const recaps = h.slack
      .callsTo("chat.postMessage")
      .filter((c) => c.args.channel === "C0SHIFTS" && String(c.args.text).includes("shift is over"));
    expect(recaps).toHaveLength(1);
    expect(String(recaps[0]!.args.text)).toContain("1 texts sent, 0 replies, 0 opt-outs");
    expect(String(recaps[0]!.args.text)).toContain("1. <@UJOINER> — 1");
    const held = await h.db.selectFrom("contacts").select("id").where("status", "=", "held").execute();
    expect(held).toHaveLength(0);
  });

  it("a shift that came and went while the app was down gets a recap but no late kickoff", async () => {
    const later = start.getTime() + 3 * 3600_000;
    await h.db
      .insertInto("shifts")
      .values({
        campaign_id: 1,
        starts_at: new Date(later),
        ends_at: new Date(later + 1800_000),
        channel_id: "C0SHIFTS",
        created_by: ORGANIZER,
      })
      .execute();
    h.clock = new Date(later + 3600_000);
    expect(await postKickoffs(h.app.slackDeps)).toBe(0);
    expect(await postRecaps(h.app.slackDeps)).toBe(1);
  });
});
