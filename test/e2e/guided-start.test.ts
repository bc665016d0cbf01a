import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHECKLIST_ACTIONS } from "../../src/slack/blocks/checklist.ts";
import { HOME_ACTIONS } from "../../src/slack/blocks/home.ts";
import { buttonsOf, press, type CardButton } from "../support/cards.ts";
import { Harness, ORGANIZER } from "../support/harness.ts";
import { waitFor } from "../support/http-util.ts";
import type { SlackCall } from "../support/fake-slack.ts";

const VOLUNTEER = "UGUIDEVOL";
const DM = `D${ORGANIZER.slice(1)}`;

/** A call's blocks, whether the client sent them as JSON text (form-encoded) or as an array. */
function blocksOf(call: SlackCall | undefined): unknown[] {
  const blocks = call?.args.blocks;
  if (typeof blocks === "string") return JSON.parse(blocks) as unknown[];
  return (blocks as unknown[] | undefined) ?? [];
}

/** Every text a person sees in these blocks (sections, contexts, button labels), one per line. */
function visibleText(blocks: unknown[]): string {
  const out: string[] = [];
  const walk = (node: unknown) => {
    if (!node || typeof node !== "object") return;
    if (Array.isArray(node)) return node.forEach(walk);
    const record = node as Record<string, unknown>;
    if (typeof record.text === "string") out.push(record.text);
    for (const value of Object.values(record)) if (typeof value === "object") walk(value);
  };
  walk(blocks);
  return out.join("\n");
}

const buttonLabels = (blocks: unknown[]) =>
  (blocks as { type: string; elements?: { type: string; text?: { text: string } }[] }[])
    .filter((b) => b.type === "actions")
    .flatMap((b) => (b.elements ?? []).filter((e) => e.type === "button").map((e) => e.text!.text));

describe("a guided start: help, the setup checklist and the App Home's campaign buttons", () => {
  let h: Harness;
  let fileCounter = 0;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(async () => {
    await h?.stop();
  });

  const campaignRow = (slug: string) =>
    h.db.selectFrom("campaigns").selectAll().where("slug", "=", slug).executeTakeFirstOrThrow();

  /** The checklist message as it was posted, then as the latest chat.update of it shows it. */
  const checklistNow = async (slug: string) => {
    const { checklist_ts: ts } = await campaignRow(slug);
    const updates = h.slack.callsTo("chat.update").filter((c) => c.args.ts === ts && c.args.channel === DM);
    const call =
      updates.at(-1) ??
      h.slack
        .callsTo("chat.postMessage")
        .find((c) => visibleText(blocksOf(c)).includes(`*Setup checklist:`) && c.args.channel === ORGANIZER);
    return { blocks: blocksOf(call), text: visibleText(blocksOf(call)), updates: updates.length };
  };
  const waitForChecklist = (slug: string, what: string, predicate: (text: string, blocks: unknown[]) => boolean) =>
    waitFor(
      async () => {
        const now = await checklistNow(slug);
        return now.updates > 0 && predicate(now.text, now.blocks) ? now : undefined;
      },
      { what },
    );

  async function upload(slug: string, csv: string) {
    const fileId = `FGUIDE${++fileCounter}`;
    h.slack.addFile({ id: fileId, name: "contacts.csv", content: Buffer.from(csv) });
    const opened = h.slack.callsTo("views.open").length;
    await h.command(ORGANIZER, `upload ${slug}`);
    await waitFor(() => h.slack.callsTo("views.open").length > opened, { what: "the upload modal" });
    const view = h.slack.callsTo("views.open").at(-1)!.args.view as { callback_id: string; private_metadata: string };
    const res = await h.interact({
      type: "view_submission",
      user: { id: ORGANIZER },
      view: {
        id: "VUP",
        callback_id: view.callback_id,
        private_metadata: view.private_metadata,
        state: { values: { csv: { file: { type: "file_input", files: [{ id: fileId, name: "contacts.csv" }] } } } },
      },
    });
    expect(res.status).toBe(200);
  }

  async function saveScript(campaignId: number, opening: string) {
    const box = (value: string) => ({ type: "plain_text_input", value });
    const res = await h.interact({
      type: "view_submission",
      user: { id: ORGANIZER },
      view: {
        id: "VSCRIPT",
        callback_id: "campaign_script",
        private_metadata: JSON.stringify({ c: campaignId }),
        state: { values: { opening: { value: box(opening) } } },
      },
    });
    expect((res.json() as { response_action: string }).response_action).toBe("update");
  }

  /** Presses a button and returns what the presser is told through the message's response_url. */
  async function pressAndHear(user: string, button: CardButton): Promise<string> {
    const { responseUrl } = await press(h, user, button);
    const post = await h.slack.waitForResponse(responseUrl);
    expect(post.body.response_type).toBe("ephemeral");
    return String(post.body.text);
  }

  it("help opens with the 4 steps and what <slug> is, then groups the rest; volunteers see their part", async () => {
    const help = await h.commandText(ORGANIZER, "help");
    const lines = help.split("\n");
    expect(lines[1]).toBe("*Get started in 4 steps*");
    expect(lines.slice(2, 6)).toEqual([
      "1. `/campaign create <slug> [title…]` — a new draft campaign",
      "2. `/campaign upload <slug>` — its contacts, from a CSV",
      "3. `/campaign script <slug>` — the opening message volunteers send",
      "4. `/campaign launch <slug>` — open it to volunteers",
    ]);
    expect(lines[6]).toContain("`<slug>` is a campaign's short handle, chosen at `create` (for example `gotv-2026`)");
    const headings = lines.filter((line) => /^\*[A-Z][a-z0-9 ]+\*$/.test(line));
    expect(headings).toEqual(["*Get started in 4 steps*", "*Set up*", "*Run*", "*People*", "*Results*"]);
    const under = (heading: string) => {
      const start = lines.indexOf(`*${heading}*`);
      const end = lines.findIndex((line, i) => i > start && line === "");
      return lines.slice(start + 1, end).join("\n");
    };
    expect(under("Set up")).toContain("`/campaign upload <slug>`");
    expect(under("Set up")).toContain("`/campaign hours <slug> <start>-<end>`");
    expect(under("Run")).toContain("`/campaign launch <slug>`");
    expect(under("Run")).toContain("`/campaign pause <slug>`");
    expect(under("People")).toContain("`/campaign organizers add|remove @user`");
    expect(under("People")).toContain("`/campaign shift <slug>`");
    expect(under("Results")).toContain("`/campaign stats <slug>`");
    expect(under("Results")).toContain("`/campaign export <slug>`");
    expect(help.length).toBeLessThan(4000);

    const volunteer = await h.commandText(VOLUNTEER, "help");
    expect(volunteer).toContain("*How to start texting:* type `/campaign shift <slug>`");
    expect(volunteer).toContain("your first contact appears in your DM with Textbank");
    const commands = volunteer.split("\n").filter((line) => line.startsWith("• "));
    expect(commands.map((line) => /`\/campaign (\w+)/.exec(line)![1]).sort()).toEqual([
      "help",
      "join",
      "list",
      "shift",
    ]);
    expect(volunteer).not.toContain("Get started");
    expect(volunteer).not.toContain("/campaign create");
  });

  it("create posts a setup checklist to the organizer's DM and says so", async () => {
    const answer = await h.commandText(ORGANIZER, "create guide-2026 Guided Start");
    expect(answer).toContain("Created *Guided Start* (`guide-2026`) as a draft.");
    expect(answer).toContain("Your setup checklist is in your DM with Textbank");
    const row = await campaignRow("guide-2026");
    expect(row.checklist_channel).toBe(DM);
    const posted = h.slack.callsTo("chat.postMessage").find((c) => c.args.channel === ORGANIZER && blocksOf(c).length);
    const text = visibleText(blocksOf(posted));
    expect(text).toContain("*Setup checklist: Guided Start* (`guide-2026`)");
    expect(text).toContain("☐ Contacts uploaded: none yet — `/campaign upload guide-2026`");
    expect(text).toContain("☐ Script written: no opening message yet — `/campaign script guide-2026`");
    expect(text).toContain("✓ Texting hours: 9:00 to 20:00 in each contact's time zone (the default)");
    expect(text).toContain("The *Launch* button appears here once contacts are uploaded and the script is written.");
    expect(buttonLabels(blocksOf(posted))).toEqual([]);
  });

  it("updates itself as contacts are imported, the hours change and the script is saved, then offers Launch", async () => {
    const row = await campaignRow("guide-2026");
    await upload("guide-2026", "phone,first_name\n2025550141,Ana\n2025550142,Ben\n2025550143,Cy\n");
    const imported = await waitForChecklist("guide-2026", "the checklist after the import", (text) =>
      text.includes("✓ Contacts uploaded: 3"),
    );
    expect(imported.text).toContain("☐ Script written");
    expect(buttonLabels(imported.blocks)).toEqual([]);

    expect(await h.commandText(ORGANIZER, "hours guide-2026 10-19")).toContain("now texts from 10:00 to 19:00");
    const hours = await waitForChecklist("guide-2026", "the checklist after the hours", (text) =>
      text.includes("✓ Texting hours: 10:00 to 19:00"),
    );
    expect(hours.text).not.toContain("(the default)");

    await saveScript(row.id, "Hi {first_name}, this is {texter_name} with {campaign}. Reply STOP to opt out.");
    const ready = await waitForChecklist("guide-2026", "the checklist once ready", (text) =>
      text.includes("✓ Script written"),
    );
    expect(ready.text).toContain("*Ready to launch.* Launching opens it to volunteers.");
    expect(buttonLabels(ready.blocks)).toEqual(["Launch"]);
    expect(buttonsOf(ready.blocks)[CHECKLIST_ACTIONS.launch]!.value).toBe(String(row.id));
    // Each change is one update of the same message, in the DM, through the outbox (once the
    // outbox has recorded the last one: Slack sees the call before the row is marked posted).
    await h.settle();
    const keys = await h.db
      .selectFrom("slack_outbox")
      .select(["dedupe_key", "method", "state"])
      .where("dedupe_key", "like", `checklist:${row.id}:%`)
      .orderBy("id")
      .execute();
    expect(keys.map((k) => [k.method, k.state])).toEqual(Array(3).fill(["chat.update", "posted"]));
  });

  it("Launch on the checklist refuses anyone else and a forged campaign, then launches like /campaign launch", async () => {
    const row = await campaignRow("guide-2026");
    const { blocks } = await checklistNow("guide-2026");
    const launch = buttonsOf(blocks)[CHECKLIST_ACTIONS.launch]!;

    expect(await pressAndHear(VOLUNTEER, launch)).toBe("Only organizers can launch a campaign; nothing was changed.");
    expect(await pressAndHear(ORGANIZER, { ...launch, value: "987654" })).toBe(
      "That campaign no longer exists (or the button is not one of ours); nothing was changed.",
    );
    expect((await campaignRow("guide-2026")).state).toBe("draft");

    expect(await pressAndHear(ORGANIZER, launch)).toBe(
      "*Guided Start* is live. Volunteers join with `/campaign join guide-2026` and text with " +
        "`/campaign shift guide-2026`.",
    );
    expect((await campaignRow("guide-2026")).state).toBe("active");
    const launched = await waitForChecklist("guide-2026", "the launched checklist", (text) =>
      text.includes("*Launched ✓*"),
    );
    expect(launched.text).toContain("Start texting yourself: `/campaign shift guide-2026`");
    expect(launched.text).toContain("Share this with your volunteers: `/campaign join guide-2026`");
    expect(buttonLabels(launched.blocks)).toEqual([]);

    // A second press (a stale checklist) changes nothing and says why.
    expect(await pressAndHear(ORGANIZER, launch)).toBe("*Guided Start* is active, so it can't launch.");

    // Paused, the checklist offers Launch again; launched again it says Launched again (a state seen before).
    expect(await h.commandText(ORGANIZER, "pause guide-2026")).toContain("is paused");
    const paused = await waitForChecklist("guide-2026", "the paused checklist", (text) => text.includes("*Paused.*"));
    expect(buttonLabels(paused.blocks)).toEqual(["Launch"]);
    expect(await h.commandText(ORGANIZER, "launch guide-2026")).toContain("is live");
    await waitForChecklist("guide-2026", "launched again", (text) => text.includes("*Launched ✓*"));
    expect(row.id).toBeGreaterThan(0);
  });

  it("a Launch press for a campaign that is not ready lists what is missing", async () => {
    await h.commandText(ORGANIZER, "create guide-empty Not Ready");
    const row = await campaignRow("guide-empty");
    const text = await pressAndHear(ORGANIZER, {
      action_id: CHECKLIST_ACTIONS.launch,
      value: String(row.id),
      block_id: "",
    });
    expect(text).toBe(
      "*Not Ready* can't launch yet:\n" +
        "• it has no contacts to text: `/campaign upload guide-empty`\n" +
        "• it has no opening message: `/campaign script guide-empty`",
    );
    expect((await campaignRow("guide-empty")).state).toBe("draft");
  });

  it("copy gets a checklist too, with the copied script ticked", async () => {
    const answer = await h.commandText(ORGANIZER, "copy guide-2026 guide-copy Guided Copy");
    expect(answer).toContain("Your setup checklist is in your DM with Textbank");
    const row = await campaignRow("guide-copy");
    const posted = await waitFor(
      () =>
        h.slack
          .callsTo("chat.postMessage")
          .find((c) => c.args.channel === ORGANIZER && visibleText(blocksOf(c)).includes("Guided Copy")),
      { what: "the copy's checklist" },
    );
    const text = visibleText(blocksOf(posted));
    expect(text).toContain("☐ Contacts uploaded: none yet — `/campaign upload guide-copy`");
    expect(text).toContain("✓ Script written");
    expect(text).toContain("✓ Texting hours: 10:00 to 19:00");
    expect(row.checklist_channel).toBe(DM);
  });

  describe("the organizer's App Home", () => {
    const publishHome = async (user: string) => {
      const before = h.slack.callsTo("views.publish").length;
      await h.event({ type: "app_home_opened", user, channel: `D${user.slice(1)}`, tab: "home" });
      await waitFor(() => h.slack.callsTo("views.publish").length > before, { what: "the Home tab" });
      return (h.slack.callsTo("views.publish").at(-1)!.args.view as { blocks: unknown[] }).blocks;
    };
    /** The buttons of one campaign's actions block, found by the section naming its handle. */
    const campaignButtons = (blocks: unknown[], slug: string) => {
      const list = blocks as { type: string; text?: { text: string } }[];
      const at = list.findIndex((b) => b.type === "section" && b.text?.text.includes(`\`${slug}\``));
      expect(at).toBeGreaterThanOrEqual(0);
      const actions = [list[at + 1]];
      return { labels: buttonLabels(actions), buttons: buttonsOf(actions) };
    };
    /** A Home button press, as Slack sends it (no response_url on the App Home). */
    const pressHome = (user: string, button: CardButton) =>
      h.interact({
        type: "block_actions",
        user: { id: user, username: user.toLowerCase(), team_id: "T0001" },
        api_app_id: "A0001",
        team: { id: "T0001", domain: "fake" },
        container: { type: "view", view_id: "VHOME" },
        view: { id: "VHOME", type: "home" },
        trigger_id: `trigger.home.${Math.random().toString(36).slice(2)}`,
        actions: [{ type: "button", ...button, text: { type: "plain_text", text: "x" }, action_ts: "1" }],
      });
    const dmTo = (user: string, predicate: (text: string) => boolean, what: string) =>
      h.slack
        .waitForCall("chat.postMessage", (c) => c.args.channel === user && predicate(String(c.args.text)), 15_000)
        .catch(() => {
          throw new Error(`no DM to ${user}: ${what}`);
        });

    it("offers Upload, Script, Launch or Pause, Stats and Export per campaign, carrying its id", async () => {
      const blocks = await publishHome(ORGANIZER);
      const active = campaignButtons(blocks, "guide-2026");
      expect(active.labels).toEqual(["Upload", "Script", "Pause", "Stats to my DM", "Export", "Start shift"]);
      const row = await campaignRow("guide-2026");
      expect(Object.values(active.buttons).every((b) => b.value === String(row.id))).toBe(true);
      const draft = campaignButtons(blocks, "guide-empty");
      expect(draft.labels).toEqual(["Upload", "Script", "Launch", "Stats to my DM", "Export"]);
      expect(blocks.length).toBeLessThanOrEqual(100);
    });

    it("Upload and Script open their modals for that campaign", async () => {
      const row = await campaignRow("guide-empty");
      const { buttons } = campaignButtons(await publishHome(ORGANIZER), "guide-empty");
      const opened = h.slack.callsTo("views.open").length;
      await pressHome(ORGANIZER, buttons[HOME_ACTIONS.upload]!);
      const upload = await waitFor(() => h.slack.callsTo("views.open")[opened], { what: "the upload modal" });
      const uploadView = upload.args.view as { title: { text: string }; private_metadata: string };
      expect(uploadView.title.text).toBe("Upload contacts");
      expect(JSON.parse(uploadView.private_metadata)).toEqual({ slug: "guide-empty" });

      await pressHome(ORGANIZER, buttons[HOME_ACTIONS.script]!);
      const script = await waitFor(() => h.slack.callsTo("views.open")[opened + 1], { what: "the script modal" });
      const scriptView = script.args.view as { title: { text: string }; private_metadata: string };
      expect(scriptView.title.text).toBe("Campaign script");
      expect(JSON.parse(scriptView.private_metadata)).toMatchObject({ c: row.id });
    });

    it("Pause and Launch change the state, say so in the DM and redraw the Home tab", async () => {
      let { buttons } = campaignButtons(await publishHome(ORGANIZER), "guide-2026");
      const publishes = h.slack.callsTo("views.publish").length;
      await pressHome(ORGANIZER, buttons[HOME_ACTIONS.pause]!);
      await dmTo(ORGANIZER, (t) => t.startsWith("*Guided Start* is paused"), "paused");
      expect((await campaignRow("guide-2026")).state).toBe("paused");
      await waitFor(() => h.slack.callsTo("views.publish").length > publishes, { what: "the Home redrawn" });
      const redrawn = (h.slack.callsTo("views.publish").at(-1)!.args.view as { blocks: unknown[] }).blocks;
      ({ buttons } = campaignButtons(redrawn, "guide-2026"));
      expect(buttons[HOME_ACTIONS.launch]).toBeDefined();

      await pressHome(ORGANIZER, buttons[HOME_ACTIONS.launch]!);
      await dmTo(ORGANIZER, (t) => t.startsWith("*Guided Start* is live"), "live");
      expect((await campaignRow("guide-2026")).state).toBe("active");

      // Not ready: the answer lists what is missing, and nothing changes.
      const draft = campaignButtons(await publishHome(ORGANIZER), "guide-empty").buttons;
      await pressHome(ORGANIZER, draft[HOME_ACTIONS.launch]!);
      await dmTo(ORGANIZER, (t) => t.startsWith("*Not Ready* can't launch yet:"), "not ready");
      expect((await campaignRow("guide-empty")).state).toBe("draft");
    });

    it("Stats posts the stats to the DM, Export uploads the two CSVs there", async () => {
      const { buttons } = campaignButtons(await publishHome(ORGANIZER), "guide-2026");
      await pressHome(ORGANIZER, buttons[HOME_ACTIONS.stats]!);
      const stats = await h.slack.waitForCall(
        "chat.postMessage",
        (c) => c.args.channel === ORGANIZER && visibleText(blocksOf(c)).includes("*Contacts:* 3"),
      );
      expect(visibleText(blocksOf(stats))).toContain("Guided Start");

      const uploads = h.slack.callsTo("files.completeUploadExternal").length;
      await pressHome(ORGANIZER, buttons[HOME_ACTIONS.export]!);
      await dmTo(ORGANIZER, (t) => t.startsWith("Preparing the export of *Guided Start*"), "preparing");
      await waitFor(() => h.slack.callsTo("files.completeUploadExternal").length === uploads + 2, {
        what: "two uploads",
      });
      expect(h.slack.callsTo("files.completeUploadExternal").at(-1)!.args.channel_id).toBe(DM);
    });

    it("a volunteer's press or a forged id changes nothing and says why", async () => {
      const row = await campaignRow("guide-2026");
      const button = (action_id: string, value = String(row.id)) => ({ action_id, value, block_id: "" });
      await pressHome(VOLUNTEER, button(HOME_ACTIONS.pause));
      await dmTo(VOLUNTEER, (t) => t === "Only organizers can pause a campaign; nothing was changed.", "refused");
      await pressHome(VOLUNTEER, button(HOME_ACTIONS.export));
      await dmTo(VOLUNTEER, (t) => t === "Only organizers can export a campaign; nothing was changed.", "refused");
      await pressHome(ORGANIZER, button(HOME_ACTIONS.pause, "not-a-number"));
      await dmTo(ORGANIZER, (t) => t.startsWith("That campaign no longer exists"), "forged");
      expect((await campaignRow("guide-2026")).state).toBe("active");
      expect(h.slack.callsTo("chat.postMessage").some((c) => c.args.channel === VOLUNTEER && blocksOf(c).length)).toBe(
        false,
      );
    });
  });
});
