import { describe, expect, it } from "vitest";
import type { Campaign, Contact } from "../../src/db/schema.ts";
import { contactCard } from "../../src/slack/blocks/card.ts";
import { conversationParent } from "../../src/slack/blocks/conversation.ts";
import { truncate } from "../../src/slack/blocks/text.ts";

const campaign = { id: 7, slug: "gotv", title: "GOTV", state: "active" } as Campaign;
const contact = {
  id: 1,
  campaign_id: 7,
  phone: "+12025550143",
  first_name: "Maria",
  last_name: "Alvarez",
  zip: "20001",
  custom_fields: { home_phone: "(202) 555-0199", city: "Washington", notes: "call 202-555-0177 after 6" },
  held_at: new Date(0),
} as unknown as Contact;

describe("volunteers never see a full phone number", () => {
  it("the card masks a second phone column and any number inside another field", () => {
    const text = JSON.stringify(contactCard({ campaign, contact, body: "Hi Maria", sandbox: false }).blocks);
    expect(text).toContain("•••0143");
    expect(text).not.toMatch(/555.?0199|555.?0177|5550143/);
    expect(text).toContain("•••0199");
    expect(text).toContain("Washington");
  });

  it("the thread parent masks them in its context line too", () => {
    const parent = conversationParent({
      conversationId: 3,
      campaignTitle: "GOTV",
      contactName: "Maria Alvarez",
      phone: contact.phone,
      context: "home_phone: (202) 555-0199",
      opening: "Hi Maria",
      cannedReplies: [],
      tags: [],
      currentTag: null,
      optedOut: false,
      volunteerId: "U1",
    });
    expect(JSON.stringify(parent)).not.toMatch(/555.?0199/);
  });
});

describe("text is cut only between characters a person sees", () => {
  it("never splits an emoji, a flag or an accented letter, and stays within the limit", () => {
    const tag = "x".repeat(73) + "😀😀";
    const cut = truncate(tag, 75);
    expect(cut.length).toBeLessThanOrEqual(75);
    expect(cut.isWellFormed()).toBe(true);
    expect(truncate("&😀".repeat(800), 3000).isWellFormed()).toBe(true);
    expect(truncate("ab🇺🇸🇺🇸", 5)).toBe("ab…");
    expect(truncate("e\u0301e\u0301e\u0301", 4)).toBe("e\u0301…");
    expect(truncate("short", 75)).toBe("short");
  });

  it("the thread parent of a conversation whose tag and canned reply end in an emoji is well formed", () => {
    const parent = conversationParent({
      conversationId: 3,
      campaignTitle: "GOTV",
      contactName: "Maria",
      phone: "+12025550143",
      opening: "Hi",
      cannedReplies: [{ title: "y".repeat(73) + "😀😀", text: "Vote!" }],
      tags: ["z".repeat(73) + "🗳️😀"],
      currentTag: null,
      optedOut: false,
      volunteerId: "U1",
    });
    expect(JSON.stringify(parent).isWellFormed()).toBe(true);
    expect(JSON.stringify(parent)).not.toMatch(/\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f])/i);
  });
});
