import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Harness, ORGANIZER } from "../support/harness.ts";
import { textOf } from "../support/cards.ts";
import { waitFor } from "../support/http-util.ts";

describe("the script modal", () => {
  let h: Harness;
  let metadata: string;
  beforeAll(async () => {
    h = await Harness.start();
    h.slack.addUser({ id: ORGANIZER, name: "Olivia" });
    await h.commandText(ORGANIZER, "create scr Script Test");
    const campaign = await h.db.selectFrom("campaigns").select("id").where("slug", "=", "scr").executeTakeFirstOrThrow();
    await h.db.updateTable("campaigns").set({ custom_fields: JSON.stringify([{ key: "ward", header: "Ward" }]) }).where("id", "=", campaign.id).execute();
    const contact = (phone: string, first: string | null, ward?: string) => ({ campaign_id: campaign.id, phone, first_name: first, last_name: null, zip: null, timezone: null, external_id: null, custom_fields: JSON.stringify(ward ? { ward } : {}), import_id: null, row_number: 2 });
    await h.db.insertInto("contacts").values([contact("+12025550161", "Dana", "W3"), contact("+12025550162", null, "W4"), contact("+12025550163", "Eli")]).execute();
  });
  afterAll(async () => {
    await h?.stop();
  });

  const submit = (opening: string, canned = "", tags = "", meta = metadata, user = ORGANIZER) =>
    h.interact({
      type: "view_submission",
      user: { id: user },
      view: { id: "VS", callback_id: "campaign_script", private_metadata: meta, hash: "h1", state: { values: { opening: { value: { type: "plain_text_input", value: opening } }, canned: { value: { type: "plain_text_input", value: canned } }, tags: { value: { type: "plain_text_input", value: tags } } } } },
    });

  it("opens the modal with the three fields and the merge fields the campaign has", async () => {
    await h.command(ORGANIZER, "script scr");
    const call = await waitFor(() => h.slack.callsTo("views.open").at(-1), { what: "views.open" });
    const view = call.args.view as { private_metadata: string; blocks: { label?: { text: string } }[] };
    metadata = view.private_metadata;
    expect(view.blocks.map((b) => b.label?.text).filter(Boolean)).toEqual(["Opening message", "Canned replies", "Outcome tags"]);
    expect(textOf(view.blocks)).toContain("`{ward}`");
    expect(view.blocks.length).toBeLessThanOrEqual(100);
  });

  it("shows errors on the field at fault and saves nothing", async () => {
    const cases: [string, string, string, string, RegExp][] = [
      ["", "", "", "opening", /Write the opening message/],
      ["Hi {first_name} from {precinct}", "", "", "opening", /\{precinct\}/],
      ["Hi {first_name", "", "", "opening", /Unclosed/],
      ["Hi {first_name}", "Just text without a colon", "", "canned", /Line 1/],
      ["Hi {first_name}", "", "a,b,c,d,e,f,g,h,i,j,k", "tags", /10/],
      ["Hi {first_name}", "", "Yes, No, yes", "tags", /yes/i],
      ["Hi {first_name}", "", "x".repeat(76), "tags", /75/],
    ];
    for (const [opening, canned, tags, field, message] of cases) {
      const res = await submit(opening, canned, tags);
      const body = res.json() as { response_action: string; errors: Record<string, string> };
      expect(body.response_action).toBe("errors");
      expect(Object.keys(body.errors)).toEqual([field]);
      expect(body.errors[field]).toMatch(message);
    }
    const saved = await h.db.selectFrom("campaigns").select("opening_message").where("slug", "=", "scr").executeTakeFirstOrThrow();
    expect(saved.opening_message).toBeNull();
  });

  it("saves a valid script and shows the preview with encoding, segments, warnings and missing values", async () => {
    const opening = "Hi {firstName}, it’s {texter_name} with {campaign} in ward {Ward}! Can we count on you?";
    const res = await submit(opening, "Where: Polling place is on Main St\nWhen: Polls open 7am–8pm, {first_name|friend}", "Supporter, Undecided, Opposed");
    const body = res.json() as { response_action: string; view: { blocks: unknown[] } };
    expect(body.response_action).toBe("update");
    const text = textOf(body.view.blocks);
    expect(text).toContain("Hi Dana, it’s Olivia with Script Test in ward W3! Can we count on you?");
    expect(text).toContain("UCS-2");
    expect(text).toContain("’");
    expect(text.toLowerCase()).toContain("opt");
    expect(text).toContain("1 contact has no {firstname}");
    expect(text).toContain("1 contact has no {ward}");
    const saved = await h.db.selectFrom("campaigns").select(["opening_message", "canned_replies", "outcome_tags"]).where("slug", "=", "scr").executeTakeFirstOrThrow();
    expect(saved.opening_message).toBe(opening);
    expect(saved.canned_replies).toEqual([{ title: "Where", text: "Polling place is on Main St" }, { title: "When", text: "Polls open 7am–8pm, {first_name|friend}" }]);
    expect(saved.outcome_tags).toEqual(["Supporter", "Undecided", "Opposed"]);
  });

  it("reopens prefilled with the saved script", async () => {
    await h.command(ORGANIZER, "script scr");
    const view = h.slack.callsTo("views.open").at(-1)!.args.view;
    expect(JSON.stringify(view)).toContain("Supporter, Undecided, Opposed");
    expect(JSON.stringify(view)).toContain("Where: Polling place is on Main St");
  });

  it("refuses a tampered private_metadata and a non-organizer", async () => {
    const tampered = await submit("Hi {first_name}", "", "", JSON.stringify({ campaignId: 9999 }));
    expect((tampered.json() as { errors: Record<string, string> }).errors.opening).toContain("no longer exists");
    const garbage = await submit("Hi {first_name}", "", "", "not json");
    expect((garbage.json() as { errors: Record<string, string> }).errors.opening).toContain("no longer exists");
    const volunteer = await submit("Hi {first_name}", "", "", metadata, "UVOL");
    expect((volunteer.json() as { errors: Record<string, string> }).errors.opening).toContain("Only organizers");
  });
});
