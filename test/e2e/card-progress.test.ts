import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CARD_ACTIONS } from "../../src/slack/blocks/card.ts";
import { buttonsOf, pressAndWait, startShift, textOf } from "../support/cards.ts";
import { Harness } from "../support/harness.ts";
import { phones, seedCampaign } from "../support/seed.ts";

const VOL = "UPROG1";

/** The context line on top of a card, if it has one. */
function topLine(blocks: unknown): string | undefined {
  const first = (blocks as { type: string; elements?: { text?: string }[] }[])[0];
  return first?.type === "context" ? first.elements?.[0]?.text : undefined;
}

describe("the card shows what the last press did and where the volunteer stands", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
    h.slack.addUser({ id: VOL, name: "Pat" });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it("after Send: who was texted, openings sent and the pool left; no encoding or ZIP on the card", async () => {
    const names: [string, string][] = [
      ["Maria", "Alvarez"],
      ["Ben", "Okafor"],
      ["Chen", "Li"],
      ["Dee", ""],
      ["Eli", "Moss"],
      ["Fay", "Ng"],
      ["Gus", "Hill"],
      ["Hal", "Ives"],
    ];
    await seedCampaign(h.db, {
      slug: "prog",
      title: "Progress",
      contacts: phones(8, 2025551300).map((phone, i) => ({
        phone,
        first_name: names[i]![0],
        last_name: names[i]![1],
        zip: "45402",
        custom_fields: { city: "Dayton" },
      })),
    });
    let card = await startShift(h, VOL, "prog");
    expect(topLine(card.blocks)).toBeUndefined();
    const first = textOf(card.blocks);
    expect(first).toContain("Maria Alvarez");
    expect(first).toContain("city: Dayton");
    expect(first).not.toMatch(/ZIP|45402|segment|GSM-7|UCS-2/);

    const afterOne = await pressAndWait(h, VOL, buttonsOf(card.blocks)[CARD_ACTIONS.send]!);
    // 8 contacts: one texted, one on the new card, six in the pool.
    expect(topLine(afterOne.blocks)).toBe("✓ Texted Maria A. · 1 opening sent by you · 6 left in the pool");
    expect(textOf(afterOne.blocks)).toContain("Ben Okafor");
    expect(textOf(afterOne.blocks)).not.toMatch(/ZIP|45402|segment|GSM-7/);
    card = { ...card, blocks: afterOne.blocks };

    const afterTwo = await pressAndWait(h, VOL, buttonsOf(card.blocks)[CARD_ACTIONS.send]!);
    expect(topLine(afterTwo.blocks)).toBe("✓ Texted Ben O. · 2 openings sent by you · 5 left in the pool");
    await h.app.deliveries.idle();
    expect(h.twilio.messagesTo(phones(2, 2025551300)[1]!)).toHaveLength(1);
    card = { ...card, blocks: afterTwo.blocks };

    // Skip: Chen goes back to the pool for someone else, and the card says so.
    const afterSkip = await pressAndWait(h, VOL, buttonsOf(card.blocks)[CARD_ACTIONS.skip]!);
    expect(topLine(afterSkip.blocks)).toBe("Skipped Chen L.: back in the pool for someone else (not you again)");
    const chen = await h.db
      .selectFrom("contacts")
      .select(["status", "held_by", "last_skipped_by"])
      .where("first_name", "=", "Chen")
      .executeTakeFirstOrThrow();
    expect(chen).toEqual({ status: "pool", held_by: null, last_skipped_by: VOL });
    expect(textOf(afterSkip.blocks)).toContain("Dee");

    // No last name: the first name alone. Chen is back in the pool: 8 − 3 texted or held − Dee's card… 4 left.
    const afterDee = await pressAndWait(h, VOL, buttonsOf(afterSkip.blocks)[CARD_ACTIONS.send]!);
    expect(topLine(afterDee.blocks)).toBe("✓ Texted Dee · 3 openings sent by you · 4 left in the pool");
  });

  it("plurals and the end of the pool: 1 left, then none, with the line above the last card", async () => {
    await seedCampaign(h.db, {
      slug: "prog-small",
      title: "Small",
      contacts: phones(3, 2025551400).map((phone, i) => ({ phone, first_name: `P${i}`, last_name: "Quinn" })),
    });
    const user = "UPROG2";
    const card = await startShift(h, user, "prog-small");
    const one = await pressAndWait(h, user, buttonsOf(card.blocks)[CARD_ACTIONS.send]!);
    expect(topLine(one.blocks)).toBe("✓ Texted P0 Q. · 1 opening sent by you · 1 left in the pool");
    const two = await pressAndWait(h, user, buttonsOf(one.blocks)[CARD_ACTIONS.send]!);
    expect(topLine(two.blocks)).toBe("✓ Texted P1 Q. · 2 openings sent by you · 0 left in the pool");
    const three = await pressAndWait(h, user, buttonsOf(two.blocks)[CARD_ACTIONS.send]!);
    expect(topLine(three.blocks)).toBe("✓ Texted P2 Q. · 3 openings sent by you · 0 left in the pool");
    expect(textOf(three.blocks)).toContain("has been texted");
  });

  it("keeps the refusal notices: a second press of a sent card says nothing was sent twice", async () => {
    await seedCampaign(h.db, {
      slug: "prog-notice",
      contacts: phones(2, 2025551500).map((phone) => ({ phone, first_name: "Rae" })),
    });
    const user = "UPROG3";
    const card = await startShift(h, user, "prog-notice");
    const send = buttonsOf(card.blocks)[CARD_ACTIONS.send]!;
    await pressAndWait(h, user, send);
    await h.commandText("UORGANIZER", "pause prog-notice");
    const again = await pressAndWait(h, user, send);
    expect(textOf(again.blocks)).not.toContain("✓ Texted");
    await h.app.deliveries.idle();
    expect(h.twilio.messagesTo(phones(1, 2025551500)[0]!)).toHaveLength(1);
  });
});
