import { describe, expect, it } from "vitest";
import type { Campaign, Contact } from "../../src/db/schema.ts";
import { contactCard } from "../../src/slack/blocks/card.ts";
import { conversationParent } from "../../src/slack/blocks/conversation.ts";

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
