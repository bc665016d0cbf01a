import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Harness, ORGANIZER } from "../support/harness.ts";
import { textOf } from "../support/cards.ts";
import { waitFor } from "../support/http-util.ts";
import { previewTiming } from "../../src/slack/views/script-preview.ts";
import { LivePreviews } from "../../src/slack/views/live-preview.ts";

type Block = {
  type: string;
  block_id?: string;
  label?: { text: string };
  element?: Record<string, unknown>;
  dispatch_action?: boolean;
};
type View = { title: { text: string }; callback_id?: string; private_metadata: string; blocks: Block[] };

/** The script modal exactly as Slack posts it: each box under its block_id and action_id, empty boxes as null. */
function scriptState(opening: string, canned = "", tags = "") {
  const box = (value: string) => ({ type: "plain_text_input", value: value === "" ? null : value });
  return { values: { opening: { value: box(opening) }, canned: { value: box(canned) }, tags: { value: box(tags) } } };
}

describe("the script modal", () => {
  let h: Harness;
  let campaignId: number;
  // The app shows a modal without the counts of contacts lacking a value when counting takes
  // longer than a budget (1 s to open, 2 s to save), which a loaded machine can exceed even for
  // four contacts. These tests expect the counts, so they give counting all the time it takes
  // (the same race, with a budget it never hits); the one about a slow count sets 0.
  const original = { ...previewTiming };
  const fresh = { ...previewTiming, openBudgetMs: 20_000, submitBudgetMs: 20_000 };

  const user = (id: string) => ({ id, username: id.toLowerCase(), name: id.toLowerCase(), team_id: "T0001" });
  const submit = (
    opening: string,
    canned = "",
    tags = "",
    { meta = JSON.stringify({ c: campaignId }), as = ORGANIZER } = {},
  ) =>
    h.interact({
      type: "view_submission",
      team: { id: "T0001", domain: "fake" },
      user: user(as),
      api_app_id: "A0001",
      trigger_id: `trigger.${Math.random().toString(36).slice(2)}`,
      view: {
        id: "VSCRIPT",
        team_id: "T0001",
        type: "modal",
        callback_id: "campaign_script",
        private_metadata: meta,
        hash: "1700000000.aaaa",
        state: scriptState(opening, canned, tags),
      },
    });
  const errorsOf = async (res: Promise<{ json: () => unknown }>) => {
    const body = (await res).json() as { response_action: string; errors: Record<string, string> };
    expect(body.response_action).toBe("errors");
    return body.errors;
  };
  const saved = () =>
    h.db
      .selectFrom("campaigns")
      .select(["opening_message", "canned_replies", "outcome_tags"])
      .where("id", "=", campaignId)
      .executeTakeFirstOrThrow();
  const openModal = async (slug = "scr") => {
    const before = h.slack.callsTo("views.open").length;
    const answer = await h.command(ORGANIZER, `script ${slug}`);
    expect(answer.status).toBe(200);
    await waitFor(() => h.slack.callsTo("views.open").length > before, { what: "views.open" });
    return h.slack.callsTo("views.open").at(-1)!.args.view as View;
  };

  beforeAll(async () => {
    Object.assign(previewTiming, fresh);
    h = await Harness.start();
    // Slack's profile: a first name, and a handle that is not a name.
    h.slack.addUser({ id: ORGANIZER, name: "oo.organizer", real_name: "Olivia Ortiz", first_name: "Olivia" });
    await h.commandText(ORGANIZER, "create scr Script Test");
    campaignId = (await h.db.selectFrom("campaigns").select("id").where("slug", "=", "scr").executeTakeFirstOrThrow())
      .id;
    await h.db
      .updateTable("campaigns")
      .set({
        custom_fields: JSON.stringify([
          { key: "ward", header: "Ward" },
          { key: "pollingplace", header: "Polling Place" },
        ]),
      })
      .where("id", "=", campaignId)
      .execute();
    const contact = (phone: string, first: string | null, custom: Record<string, string>) => ({
      campaign_id: campaignId,
      phone,
      first_name: first,
      last_name: "Reyes",
      zip: null,
      timezone: null,
      external_id: null,
      custom_fields: JSON.stringify(custom),
      import_id: null,
      row_number: 2,
    });
    await h.db
      .insertInto("contacts")
      .values([
        contact("+12025550161", "Dana", { ward: "W3", pollingplace: "Main St School" }),
        contact("+12025550162", null, { ward: "W4", pollingplace: "Library" }),
        contact("+12025550163", "Eli", { pollingplace: "Library" }),
        contact("+12025550164", "  ", { ward: " ", pollingplace: "Library" }),
      ])
      .execute();
  });
  afterEach(() => Object.assign(previewTiming, fresh));
  afterAll(async () => {
    Object.assign(previewTiming, original);
    await h?.stop();
  });

  it("opens the modal with the six boxes, the campaign's merge fields and Slack's limits respected", async () => {
    const view = await openModal();
    expect(view.title.text.length).toBeLessThanOrEqual(24);
    expect(view.blocks.filter((b) => b.type === "input").map((b) => b.label?.text)).toEqual([
      "Opening message",
      "Canned replies",
      "Outcome tags",
      "Survey questions",
      "Opt-out reply",
      "HELP reply",
    ]);
    const opening = view.blocks.find((b) => b.block_id === "opening")!;
    expect(opening.element).toMatchObject({
      max_length: 1600,
      multiline: true,
      dispatch_action_config: { trigger_actions_on: ["on_character_entered"] },
    });
    expect(opening.dispatch_action).toBe(true);
    expect(textOf(view.blocks)).toContain(
      "{first_name} {last_name} {texter_name} {campaign} {zip} {external_id} {ward} {polling_place}",
    );
    expect(textOf(view.blocks)).toContain("No opening message yet");
    expect(JSON.parse(view.private_metadata)).toMatchObject({ c: campaignId });
  });

  it("shows each mistake on the box at fault, names it, and saves nothing", async () => {
    const cases: [opening: string, canned: string, tags: string, box: string, message: RegExp][] = [
      ["", "", "", "opening", /Write the opening message/],
      ["   \n ", "", "", "opening", /Write the opening message/],
      ["Hi {first_name} from {Precinct}", "", "", "opening", /No uploaded column provides \{Precinct\}\..*\{ward\}/],
      ["Hi {frist_name}", "", "", "opening", /\{frist_name\} \(did you mean \{first_name\}\?\)/],
      ["Hi {first_name", "", "", "opening", /Unclosed "\{" at character 4/],
      ["Hi {first_name}", "Where: Main St\nJust text without a colon", "", "canned", /Line 2 is not `Title: text`/],
      [
        "Hi {first_name}",
        "Where: at {polling_place}\nWho: {candidate}",
        "",
        "canned",
        /Reply "Who" \(line 2\): No uploaded column provides \{candidate\}/,
      ],
      ["Hi {first_name}", "", "a,b,c,d,e,f,g,h,i,j,k", "tags", /11 tags; at most 10/],
      ["Hi {first_name}", "", "Yes, No, yes", "tags", /"yes" is listed twice/],
      ["Hi {first_name}", "", `Fine, ${"x".repeat(76)}`, "tags", /76 characters; a Slack button fits at most 75/],
    ];
    for (const [opening, canned, tags, box, message] of cases) {
      const errors = await errorsOf(submit(opening, canned, tags));
      expect(Object.keys(errors), opening + canned + tags).toEqual([box]);
      expect(errors[box]).toMatch(message);
    }
    const errors = await errorsOf(submit("Hi {nope}", "bad line", "a,a"));
    expect(Object.keys(errors).sort()).toEqual(["canned", "opening", "tags"]);
    expect((await saved()).opening_message).toBeNull();
  });

  it("saves a valid script and shows its preview: sample, encoding, segments, warnings and contacts lacking a value", async () => {
    const opening =
      "Hi {firstName}, it’s {texter_name} with {campaign}. Ward {Ward} votes at {polling place|your usual place}! See you there.";
    const canned = "Where: Your polling place is {polling_place}\n\nWhen: Polls open 7am-8pm, {first_name|friend}";
    const res = await submit(opening, canned, "Supporter, Undecided , Opposed");
    const body = res.json() as { response_action: string; view: View };
    expect(body.response_action).toBe("update");
    expect(body.view.title.text).toBe("Script saved");
    const text = textOf(body.view.blocks);
    expect(text).toContain("2 canned replies and 3 outcome tags");
    expect(text).toContain("for Dana R., sent by Sam");
    expect(text).toContain("Hi Dana, it’s Sam with Script Test. Ward W3 votes at Main St School! See you there.");
    expect(text).toContain("UCS-2 · 2 segments · 83 characters");
    expect(text).toContain("because of: ’ (curly apostrophe, use ')");
    expect(text).toContain("no opt-out language");
    // The blank first name and the blank ward count as missing, as they render empty.
    expect(text).toContain("2 of 4 contacts have no {first_name}: it renders empty for them");
    expect(text).toContain("2 of 4 contacts have no {ward}");
    expect(text).not.toContain("{polling_place}: it renders empty");
    expect(text).toContain("/campaign launch scr");
    expect(await saved()).toEqual({
      opening_message: opening,
      canned_replies: [
        { title: "Where", text: "Your polling place is {polling_place}" },
        { title: "When", text: "Polls open 7am-8pm, {first_name|friend}" },
      ],
      outcome_tags: ["Supporter", "Undecided", "Opposed"],
    });
  });

  it("warns about a long message without refusing it", async () => {
    const opening = `Hi {first_name}! ${"Please vote early this year. ".repeat(18)}Reply STOP to opt out.`;
    const text = textOf(((await submit(opening)).json() as { view: View }).view.blocks);
    expect(text).toContain("GSM-7 · 4 segments");
    expect(text).toContain("The sample message is 4 segments (GSM-7); over 3 costs more");
    expect(text).not.toContain("opt-out language");
    expect((await saved()).opening_message).toBe(opening);
    expect((await saved()).canned_replies).toEqual([]);
  });

  it("reopens prefilled with the saved script and its preview, signed with the organizer's own first name", async () => {
    await submit("Hi {first_name}, it's {texter_name}. Reply STOP to opt out", "Where: At {polling_place}", "Yes, No");
    const view = await openModal();
    const initial = (id: string) => view.blocks.find((b) => b.block_id === id)!.element!.initial_value;
    expect([initial("opening"), initial("canned"), initial("tags")]).toEqual([
      "Hi {first_name}, it's {texter_name}. Reply STOP to opt out",
      "Where: At {polling_place}",
      "Yes, No",
    ]);
    const text = textOf(view.blocks);
    expect(text).toContain("Hi Dana, it's Olivia. Reply STOP to opt out");
    expect(text).not.toContain("an example volunteer name");
    expect(text).toContain("GSM-7 · 1 segment · 43 characters");
    expect(text).toContain("2 of 4 contacts have no {first_name}");
    expect(JSON.parse(view.private_metadata)).toEqual({ c: campaignId, t: "Olivia", n: 4, m: { firstname: 2 } });
  });

  it("opens at once when counting is slow, then adds the counts to the same view", async () => {
    previewTiming.openBudgetMs = 0;
    const view = await openModal();
    expect(textOf(view.blocks)).toContain("Counting contacts without a value…");
    const update = await h.slack.waitForCall("views.update", (c) =>
      textOf((c.args.view as View).blocks).includes("2 of 4 contacts have no {first_name}"),
    );
    expect(String(update.args.view_id)).toMatch(/^V/);
  });

  it("redraws the preview as the opening is typed, with the hash Slack sent", async () => {
    const before = h.slack.callsTo("views.update").length;
    const res = await h.interact({
      type: "block_actions",
      user: user(ORGANIZER),
      team: { id: "T0001", domain: "fake" },
      api_app_id: "A0001",
      trigger_id: "trigger.live",
      container: { type: "view", view_id: "VLIVE" },
      view: {
        id: "VLIVE",
        type: "modal",
        callback_id: "campaign_script",
        hash: "1700000001.bbbb",
        private_metadata: JSON.stringify({ c: campaignId }),
        state: scriptState("Hola {first_name} 🗳️ {precinct}"),
      },
      actions: [
        {
          type: "plain_text_input",
          block_id: "opening",
          action_id: "value",
          value: "Hola {first_name} 🗳️ {precinct}",
          action_ts: "1700000001.000200",
        },
      ],
    });
    expect(res.status).toBe(200);
    const call = await h.slack.waitForCall(
      "views.update",
      (c) => c.args.view_id === "VLIVE" && h.slack.callsTo("views.update").length > before,
    );
    expect(call.args.hash).toBe("1700000001.bbbb");
    const text = textOf((call.args.view as View).blocks);
    expect(text).toContain("Preview as you type");
    expect(text).toContain("Hola Dana 🗳️");
    expect(text).toContain("emoji");
    expect(text).toContain("Can't save yet: No uploaded column provides {precinct}");
    expect(text).toContain("2 of 4 contacts have no {first_name}");
    expect((await saved()).opening_message).not.toContain("Hola");
  });

  it("keeps up with fast typing: the last keystroke's text is the preview left showing", async () => {
    const keystroke = (value: string) =>
      h.interact({
        type: "block_actions",
        user: user(ORGANIZER),
        trigger_id: "trigger.fast",
        container: { type: "view", view_id: "VFAST" },
        view: {
          id: "VFAST",
          type: "modal",
          callback_id: "campaign_script",
          hash: "1700000003.dddd",
          private_metadata: JSON.stringify({ c: campaignId }),
          state: scriptState(value),
        },
        actions: [
          {
            type: "plain_text_input",
            block_id: "opening",
            action_id: "value",
            value,
            action_ts: String(Date.now() / 1000),
          },
        ],
      });
    const typed = ["H", "Hi", "Hi {", "Hi {z", "Hi {zip}", "Hi {zip}!"];
    for (const value of typed) expect((await keystroke(value)).status).toBe(200);
    const updates = () => h.slack.callsTo("views.update").filter((c) => c.args.view_id === "VFAST");
    await waitFor(() => updates().some((c) => textOf((c.args.view as View).blocks).includes('"text":"Hi!"')), {
      what: "the last keystroke's preview",
    });
    expect(updates().length).toBeLessThanOrEqual(typed.length);
  });

  it("a keystroke whose handler finishes late does not put back text already typed over", async () => {
    // Slack's requests are answered at once and handled after; the handler of an earlier
    // keystroke can reach the preview after a later one. Slack's action_ts orders them.
    const live = new LivePreviews(h.app.slackDeps);
    const campaign = await h.db
      .selectFrom("campaigns")
      .selectAll()
      .where("id", "=", campaignId)
      .executeTakeFirstOrThrow();
    const access = { campaign, meta: { c: campaignId } };
    const updates = () => h.slack.callsTo("views.update").filter((c) => c.args.view_id === "VLATE");
    const later = live.request("VLATE", undefined, "Hi {zip}!", 1700000002.5, access);
    const earlier = live.request("VLATE", undefined, "Hi {zip}", 1700000001.5, access);
    await Promise.all([later, earlier]);
    expect(updates().length).toBe(1);
    expect(textOf((updates().at(-1)!.args.view as View).blocks)).toContain('"text":"Hi!"');
  });

  it("Edit again turns the saved view back into the form, prefilled", async () => {
    await submit("Hi {first_name}! Reply STOP to opt out", "", "Yes");
    await h.interact({
      type: "block_actions",
      user: user(ORGANIZER),
      container: { type: "view", view_id: "VSAVED" },
      trigger_id: "trigger.edit",
      view: {
        id: "VSAVED",
        type: "modal",
        callback_id: "campaign_script_saved",
        hash: "1700000002.cccc",
        private_metadata: JSON.stringify({ c: campaignId }),
        state: { values: {} },
      },
      actions: [
        {
          type: "button",
          block_id: "x",
          action_id: "script_edit_again",
          value: String(campaignId),
          action_ts: "1700000002.000300",
        },
      ],
    });
    const call = await h.slack.waitForCall("views.update", (c) => c.args.view_id === "VSAVED");
    const view = call.args.view as View;
    expect(call.args.hash).toBe("1700000002.cccc");
    expect(view.callback_id).toBe("campaign_script");
    expect(view.blocks.find((b) => b.block_id === "opening")!.element!.initial_value).toBe(
      "Hi {first_name}! Reply STOP to opt out",
    );
  });

  it("refuses stale or tampered modals and people who are not organizers, changing nothing", async () => {
    const before = await saved();
    expect((await errorsOf(submit("Hi {first_name}", "", "", { meta: JSON.stringify({ c: 9999 }) }))).opening).toBe(
      "This campaign no longer exists; see /campaign list. Nothing was saved.",
    );
    expect((await errorsOf(submit("Hi {first_name}", "", "", { meta: "not json" }))).opening).toContain(
      "no longer exists",
    );
    expect(
      (await errorsOf(submit("Hi {first_name}", "", "", { meta: JSON.stringify({ c: "1 OR 1=1" }) }))).opening,
    ).toContain("no longer exists");
    expect((await errorsOf(submit("Hi {first_name}", "", "", { as: "UVOLUNTEER" }))).opening).toBe(
      "Only organizers can change a script. Nothing was saved.",
    );
    const broken = await h.interact({
      type: "view_submission",
      user: user(ORGANIZER),
      view: { id: "V1", callback_id: "campaign_script", private_metadata: "{}", state: { values: {} } },
    });
    expect((broken.json() as { errors: Record<string, string> }).errors.opening).toContain(
      "did not come through whole",
    );
    expect(await saved()).toEqual(before);
  });

  it("answers the command with what is wrong instead of opening a modal", async () => {
    const opens = h.slack.callsTo("views.open").length;
    expect(await h.commandText(ORGANIZER, "script")).toContain("Usage: `/campaign script <slug>`");
    expect(await h.commandText(ORGANIZER, "script nosuch")).toContain("There is no campaign `nosuch`");
    expect(await h.commandText("UVOLUNTEER", "script scr")).toContain("Only organizers");
    await h.commandText(ORGANIZER, "create old Old");
    await h.commandText(ORGANIZER, "archive old");
    expect(await h.commandText(ORGANIZER, "script old")).toContain("archived, so its script can no longer change");
    const old = await h.db.selectFrom("campaigns").select("id").where("slug", "=", "old").executeTakeFirstOrThrow();
    expect((await errorsOf(submit("Hi", "", "", { meta: JSON.stringify({ c: old.id }) }))).opening).toContain(
      "archived",
    );
    expect(h.slack.callsTo("views.open").length).toBe(opens);
    h.slack.failNext("views.open", 200, { error: "expired_trigger_id" });
    expect(await h.commandText(ORGANIZER, "script scr")).toBe(
      "Slack's moment to open the form passed before it opened. Run `/campaign script scr` again.",
    );
  });

  it("before any upload offers only the builtin fields, and previews an example contact", async () => {
    await h.commandText(ORGANIZER, "create fresh Fresh Start");
    const id = (await h.db.selectFrom("campaigns").select("id").where("slug", "=", "fresh").executeTakeFirstOrThrow())
      .id;
    const meta = JSON.stringify({ c: id });
    expect((await errorsOf(submit("Hi {first_name} in {ward}", "", "", { meta }))).opening).toMatch(
      /No uploaded column provides \{ward\}\. Fields you can use: \{first_name\} \{last_name\} \{texter_name\} \{campaign\} \{zip\} \{external_id\}\.$/,
    );
    const body = (await submit("Hi {first_name} from {campaign}, reply STOP to opt out", "", "", { meta })).json() as {
      view: View;
    };
    const text = textOf(body.view.blocks);
    expect(text).toContain("Alex R. (an example: no contacts yet)");
    expect(text).toContain("Hi Alex from Fresh Start, reply STOP to opt out");
    expect(text).toContain("/campaign upload fresh");
  });
});
