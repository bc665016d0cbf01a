import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Harness, ORGANIZER } from "../support/harness.ts";

describe("launch, pause, archive and hours", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(async () => {
    await h?.stop();
  });
  const state = async () =>
    (await h.db.selectFrom("campaigns").select("state").where("slug", "=", "life").executeTakeFirstOrThrow()).state;

  it("refuses to launch without contacts, an opening message, or with a field no column provides", async () => {
    await h.commandText(ORGANIZER, "create life Life Cycle");
    const empty = await h.commandText(ORGANIZER, "launch life");
    expect(empty).toContain("can't launch yet");
    expect(empty).toContain("no contacts to text: `/campaign upload life`");
    expect(empty).toContain("no opening message: `/campaign script life`");
    const campaign = await h.db
      .selectFrom("campaigns")
      .select("id")
      .where("slug", "=", "life")
      .executeTakeFirstOrThrow();
    await h.db
      .insertInto("contacts")
      .values({
        campaign_id: campaign.id,
        phone: "+12025550177",
        first_name: "L",
        last_name: null,
        zip: null,
        timezone: null,
        external_id: null,
        custom_fields: "{}",
        import_id: null,
        row_number: 2,
      })
      .execute();
    await h.db
      .updateTable("campaigns")
      .set({ opening_message: "Hi {first_name} from {ward}! Reply STOP to opt out." })
      .where("id", "=", campaign.id)
      .execute();
    expect(await h.commandText(ORGANIZER, "launch life")).toContain(
      "names `{ward}`, which no uploaded column provides",
    );
    expect(await state()).toBe("draft");
    await h.db
      .updateTable("campaigns")
      .set({ custom_fields: JSON.stringify([{ key: "ward", header: "Ward" }]) })
      .where("id", "=", campaign.id)
      .execute();
    expect(await h.commandText(ORGANIZER, "launch life")).toContain("is live");
    expect(await state()).toBe("active");
    expect(await h.commandText(ORGANIZER, "launch life")).toContain("is active, so it can't launch");
  });

  it("pause returns held contacts to the pool; archive is final", async () => {
    await h.commandText("UHOLDER", "shift life");
    await h.slack.waitForCall("chat.postMessage", (c) => c.args.channel === "UHOLDER");
    expect(await h.commandText(ORGANIZER, "pause life")).toContain("is paused");
    const held = await h.db
      .selectFrom("contacts")
      .select("status")
      .where("phone", "=", "+12025550177")
      .executeTakeFirstOrThrow();
    expect(held.status).toBe("pool");
    expect(await h.commandText("UHOLDER", "shift life")).toContain("is paused");
    expect(await h.commandText(ORGANIZER, "archive life")).toContain("is archived");
    expect(await h.commandText(ORGANIZER, "launch life")).toContain("is archived, so it can't launch");
    expect(await h.commandText("UHOLDER", "pause life")).toContain("Only organizers");
  });

  it("tells an archived campaign apart from one that is not ready, and changes nothing", async () => {
    await h.commandText(ORGANIZER, "create gone Gone");
    expect(await h.commandText(ORGANIZER, "archive gone")).toContain("is archived");
    const answer = await h.commandText(ORGANIZER, "launch gone");
    expect(answer).toBe("*Gone* is archived, so it can't launch.");
    expect(await h.commandText(ORGANIZER, "hours gone 10-18")).toContain("archived");
    const row = await h.db
      .selectFrom("campaigns")
      .select(["state", "hours_start", "hours_end"])
      .where("slug", "=", "gone")
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ state: "archived", hours_start: 9, hours_end: 20 });
  });

  it("sets texting hours and says what is allowed for bad values", async () => {
    await h.commandText(ORGANIZER, "create hrs Hours");
    expect(await h.commandText(ORGANIZER, "hours hrs")).toContain("from 9:00 to 20:00");
    expect(await h.commandText(ORGANIZER, "hours hrs 10-19")).toContain("from 10:00 to 19:00");
    for (const bad of ["20-9", "9-25", "9.5-20", "nine-five", "9"]) {
      const answer = await h.commandText(ORGANIZER, `hours hrs ${bad}`);
      expect(answer).toContain("Usage: `/campaign hours <slug> <start>-<end>`");
      expect(answer).toContain("0–24");
    }
    const row = await h.db
      .selectFrom("campaigns")
      .select(["hours_start", "hours_end"])
      .where("slug", "=", "hrs")
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ hours_start: 10, hours_end: 19 });
  });
});
