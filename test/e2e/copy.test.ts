import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Harness, ORGANIZER } from "../support/harness.ts";
import { waitFor } from "../support/http-util.ts";
import { phones, seedCampaign } from "../support/seed.ts";

const VOL = "UVOLCOPY";
const OPENING =
  "Hi {first_name|there}, it's {texter_name} with {campaign}. Your ward is {ward}. Reply STOP to opt out.";
const CANNED = "Ward: You vote in {ward|your ward}.\nEarly voter: Great, early voting starts Monday! [Vote plan=Early]";
const TAGS = "Yes, No, Maybe";
const FIRST_SURVEY = "Vote plan: Early | Election Day | By mail\nSupport: Yes | No";
const SURVEY = "Vote plan: Early | Election Day | By mail\nRide: Yes | No";
const OPT_OUT_REPLY = "Done, {first_name}: no more texts from {campaign}.";
const HELP_REPLY = "{campaign}: volunteer texts. Reply STOP to opt out.";

type View = { blocks: { block_id?: string; element?: { initial_value?: string } }[] };

describe("/campaign copy: a new draft with another campaign's configuration and none of its people", () => {
  let h: Harness;
  let sourceId: number;

  /** The script modal's Save, as Slack posts it. */
  const submitScript = (fields: { opening: string; canned: string; tags: string; survey: string }) => {
    const box = (value: string) => ({ type: "plain_text_input", value });
    return h.interact({
      type: "view_submission",
      team: { id: "T0001", domain: "fake" },
      user: { id: ORGANIZER, username: "organizer", name: "organizer", team_id: "T0001" },
      api_app_id: "A0001",
      trigger_id: `trigger.${Math.random().toString(36).slice(2)}`,
      view: {
        id: "VSCRIPT",
        team_id: "T0001",
        type: "modal",
        callback_id: "campaign_script",
        private_metadata: JSON.stringify({ c: sourceId }),
        hash: "1700000000.aaaa",
        state: {
          values: {
            opening: { value: box(fields.opening) },
            canned: { value: box(fields.canned) },
            tags: { value: box(fields.tags) },
            survey: { value: box(fields.survey) },
            optOutReply: { value: box(OPT_OUT_REPLY) },
            helpReply: { value: box(HELP_REPLY) },
          },
        },
      },
    });
  };
  /** What `/campaign script <slug>` shows in its boxes. */
  const scriptBoxes = async (slug: string) => {
    const before = h.slack.callsTo("views.open").length;
    await h.command(ORGANIZER, `script ${slug}`);
    await waitFor(() => h.slack.callsTo("views.open").length > before, { what: "views.open" });
    const view = h.slack.callsTo("views.open").at(-1)!.args.view as View;
    const initial = (id: string) => view.blocks.find((b) => b.block_id === id)?.element?.initial_value;
    return {
      opening: initial("opening"),
      canned: initial("canned"),
      tags: initial("tags"),
      survey: initial("survey"),
      optOutReply: initial("optOutReply"),
      helpReply: initial("helpReply"),
    };
  };
  const campaignRow = (slug: string) =>
    h.db.selectFrom("campaigns").selectAll().where("slug", "=", slug).executeTakeFirst();
  const campaignCount = async () =>
    (
      await h.db
        .selectFrom("campaigns")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow()
    ).n;
  const rowsOf = async (table: "contacts" | "volunteers" | "conversations" | "imports", campaignId: number) =>
    (
      await h.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("campaign_id", "=", campaignId)
        .executeTakeFirstOrThrow()
    ).n;

  beforeAll(async () => {
    h = await Harness.start();
    ({ campaignId: sourceId } = await seedCampaign(h.db, {
      slug: "source",
      title: "Source Drive",
      contacts: phones(3, 2025557300).map((phone, i) => ({
        phone,
        first_name: `C${i}`,
        custom_fields: { ward: `W${i}` },
      })),
    }));
    // As an upload with a Ward column leaves it.
    await h.db
      .updateTable("campaigns")
      .set({ custom_fields: JSON.stringify([{ key: "ward", header: "Ward" }]) })
      .where("id", "=", sourceId)
      .execute();
    // Saved twice, so one question is removed (kept only to label answers) and one added.
    for (const survey of [FIRST_SURVEY, SURVEY]) {
      const saved = await submitScript({ opening: OPENING, canned: CANNED, tags: TAGS, survey });
      expect((saved.json() as { response_action: string }).response_action).toBe("update");
    }
    expect(await h.commandText(ORGANIZER, "hours source 10-19")).toContain("now texts from 10:00 to 19:00");
    expect(await h.commandText(ORGANIZER, "stale source 30 auto")).toContain("waiting over 30 minutes");
    expect(await h.commandText(VOL, "join source")).toContain("You joined");
  });
  afterAll(async () => {
    await h?.stop();
  });

  it("copies script, canned replies, tags, survey, hours and stale settings into a draft with no contacts", async () => {
    const answer = await h.commandText(ORGANIZER, "copy source source-2");
    expect(answer).toBe(
      "Created *Source Drive (copy)* (`source-2`) as a draft copy of *Source Drive* (`source`), with the opening " +
        "message, 2 canned replies, 3 outcome tags, 2 survey questions, texting hours from 10:00 to 19:00 and " +
        "replies stale after 30 minutes, moving by themselves. No contacts, volunteers or conversations were " +
        "copied. The script uses `{ward}`: the contacts file needs that column. Next: `/campaign upload source-2` " +
        "for contacts, `/campaign script source-2` to check the script, then `/campaign launch source-2`.\n" +
        "Your setup checklist is in your DM with Textbank: it ticks off each step as you go, and its *Launch* " +
        "button appears once the campaign is ready.",
    );

    // The script modal shows the same boxes for both.
    const copied = await scriptBoxes("source-2");
    expect(copied).toEqual(await scriptBoxes("source"));
    expect(copied.opening).toBe(OPENING);
    expect(copied.canned).toBe(CANNED);
    expect(copied.tags).toBe(TAGS);
    expect(copied.survey).toBe(SURVEY);
    expect(copied.optOutReply).toBe(OPT_OUT_REPLY);
    expect(copied.helpReply).toBe(HELP_REPLY);
    expect(await h.commandText(ORGANIZER, "hours source-2")).toContain("texts from 10:00 to 19:00");
    expect(await h.commandText(ORGANIZER, "stale source-2")).toBe(
      "Replies in *Source Drive (copy)* count as stale after 30 minutes; they move by themselves.",
    );

    const source = (await campaignRow("source"))!;
    const copy = (await campaignRow("source-2"))!;
    expect(source.state).toBe("active");
    expect(copy).toMatchObject({
      title: "Source Drive (copy)",
      state: "draft",
      opening_message: source.opening_message,
      canned_replies: source.canned_replies,
      outcome_tags: ["Yes", "No", "Maybe"],
      help_text: HELP_REPLY,
      opt_out_reply: OPT_OUT_REPLY,
      hours_start: 10,
      hours_end: 19,
      stale_reply_minutes: 30,
      auto_release_stale: true,
      custom_fields: [],
      created_by: ORGANIZER,
    });
    // The asked questions keep their ids; the removed one stays behind with the old answers.
    expect(source.survey_questions.map((q) => [q.id, q.label, q.removed ?? false])).toEqual([
      [1, "Vote plan", false],
      [3, "Ride", false],
      [2, "Support", true],
    ]);
    expect(copy.survey_questions).toEqual(source.survey_questions.filter((q) => !q.removed));
    for (const table of ["contacts", "volunteers", "conversations", "imports"] as const)
      expect(await rowsOf(table, copy.id), table).toBe(0);
    expect(await rowsOf("contacts", source.id)).toBe(3);
    expect(await rowsOf("volunteers", source.id)).toBe(1);

    // Not launchable until contacts come.
    expect(await h.commandText(ORGANIZER, "launch source-2")).toContain(
      "it has no contacts to text: `/campaign upload source-2`",
    );
  });

  it("takes a title, and names the source case-insensitively", async () => {
    const answer = await h.commandText(ORGANIZER, "copy SOURCE fall-drive   Fall drive 2026");
    expect(answer).toMatch(/^Created \*Fall drive 2026\* \(`fall-drive`\) as a draft copy of \*Source Drive\*/);
    expect((await campaignRow("fall-drive"))!.title).toBe("Fall drive 2026");
    // A copy of a campaign without a script says so.
    await h.db.insertInto("campaigns").values({ slug: "blank", title: "Blank", created_by: ORGANIZER }).execute();
    expect(await h.commandText(ORGANIZER, "copy blank blank-2")).toContain(
      "with no opening message (there was none), 0 canned replies, 0 outcome tags, 0 survey questions, " +
        "texting hours from 9:00 to 20:00 and replies stale after 60 minutes, moving with `/campaign release`. " +
        "No contacts, volunteers or conversations were copied. Next: `/campaign upload blank-2`",
    );
  });

  it("answers every bad input clearly and creates nothing", async () => {
    const before = await campaignCount();
    const usage = "Usage: `/campaign copy <from-slug> <new-slug> [title…]`";
    const cases: [text: string, as: string, expected: string[]][] = [
      ["copy", ORGANIZER, ["Name the campaign to copy and a handle for the new one.", usage]],
      ["copy source", ORGANIZER, ["Name the campaign to copy and a handle for the new one.", usage]],
      ["copy nope new-one", ORGANIZER, ["There is no campaign `nope` to copy. See `/campaign list`."]],
      ["copy source source-2", ORGANIZER, ["`source-2` is taken by another campaign: pick another handle"]],
      ["copy source source", ORGANIZER, ["`source` is taken by another campaign"]],
      ["copy source New_One", ORGANIZER, ["`New_One` has `N` `_` `O`; a campaign handle uses only lowercase", usage]],
      ["copy source x", ORGANIZER, ["`x` is 1 characters; a campaign handle has 2 to 40.", usage]],
      [`copy source long-one ${"t".repeat(151)}`, ORGANIZER, ["The title is 151 characters; keep it to 150.", usage]],
      ["copy source vol-copy", VOL, ["Only organizers can use `/campaign copy`."]],
    ];
    for (const [text, as, expected] of cases) {
      const answer = await h.commandText(as, text);
      for (const part of expected) expect(answer, text).toContain(part);
    }
    expect(await campaignCount()).toBe(before);
    for (const slug of ["new-one", "long-one", "vol-copy", "x"]) expect(await campaignRow(slug), slug).toBeUndefined();
    expect((await campaignRow("source-2"))!.title).toBe("Source Drive (copy)");
  });

  it("two copies to the same new handle at once: one is created, the other is told it is taken", async () => {
    const answers = await Promise.all([
      h.commandText(ORGANIZER, "copy source race-copy First"),
      h.commandText(ORGANIZER, "copy fall-drive race-copy Second"),
    ]);
    expect(answers.filter((a) => a.startsWith("Created *"))).toHaveLength(1);
    expect(answers.filter((a) => a.includes("`race-copy` is taken by another campaign"))).toHaveLength(1);
    const rows = await h.db.selectFrom("campaigns").select("title").where("slug", "=", "race-copy").execute();
    expect(rows).toHaveLength(1);
    expect(answers.find((a) => a.startsWith("Created"))).toContain(`*${rows[0]!.title}*`);
  });

  it("help lists copy for organizers only", async () => {
    expect(await h.commandText(ORGANIZER, "help")).toContain("`/campaign copy <from-slug> <new-slug> [title…]`");
    expect(await h.commandText(VOL, "help")).not.toContain("copy");
  });
});
