import Papa from "papaparse";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CARD_ACTIONS } from "../../src/slack/blocks/card.ts";
import { buttonsOf, pressAndWait, startShift, textOf, type CardButton } from "../support/cards.ts";
import { openCanned, submitCanned } from "../support/canned.ts";
import { Harness, ORGANIZER } from "../support/harness.ts";
import { waitFor } from "../support/http-util.ts";
import { phones, seedCampaign } from "../support/seed.ts";

const VOL = "UVOLSURVEY";
const VOL2 = "UVOLOTHER";
const SURVEY =
  "Vote plan: Early | Election Day | By mail | Not voting\nSupport: Yes | Lean yes | Undecided | Lean no | No | Refused";
const CANNED =
  "Where: Find your polling place at vote.org\nEarly voter: Great, early voting starts Monday! [vote plan=early]";

type Block = {
  type: string;
  block_id?: string;
  label?: { text: string };
  hint?: { text: string };
  text?: { text: string };
  element?: { initial_value?: string };
  elements?: { action_id?: string; value?: string; style?: string; text?: { text: string } }[];
  accessory?: {
    type: string;
    action_id: string;
    options: { text: { text: string }; value: string }[];
    initial_option?: { value: string };
  };
};
type View = { callback_id?: string; private_metadata: string; blocks: Block[] };

describe("surveys: questions in the script, answers and notes on the thread parent, results", () => {
  let h: Harness;
  let campaignId: number;
  let otherCampaignId: number;
  let contacts: string[];
  let sid = 0;

  const user = (id: string) => ({ id, username: id.toLowerCase(), name: id.toLowerCase(), team_id: "T0001" });
  /** The script modal's Save, as Slack posts it; `survey` undefined leaves the box out of the form. */
  const submitScript = (
    fields: { opening?: string; canned?: string; tags?: string; survey?: string },
    { campaign = campaignId, as = ORGANIZER } = {},
  ) => {
    const box = (value: string) => ({ type: "plain_text_input", value: value === "" ? null : value });
    const values: Record<string, unknown> = {
      opening: { value: box(fields.opening ?? "Hi {first_name}, it's {texter_name}. Reply STOP to opt out.") },
      canned: { value: box(fields.canned ?? "") },
      tags: { value: box(fields.tags ?? "") },
    };
    if (fields.survey !== undefined) values.survey = { value: box(fields.survey) };
    return h.interact({
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
        private_metadata: JSON.stringify({ c: campaign }),
        hash: "1700000000.aaaa",
        state: { values },
      },
    });
  };
  const errorsOf = async (res: Promise<{ json: () => unknown }>) => {
    const body = (await res).json() as { response_action: string; errors: Record<string, string> };
    expect(body.response_action).toBe("errors");
    return body.errors;
  };
  const savedQuestions = async () =>
    (
      await h.db
        .selectFrom("campaigns")
        .select("survey_questions")
        .where("id", "=", campaignId)
        .executeTakeFirstOrThrow()
    ).survey_questions;

  /** A click as Slack sends it: a button or a menu choice, with its own trigger_id and response_url. */
  const act = async (
    as: string,
    action: { action_id: string; block_id?: string; value: string; type?: "button" | "static_select" },
  ) => {
    const responseUrl = h.slack.responseUrl();
    const triggerId = `trigger.${Math.random().toString(36).slice(2)}`;
    const element =
      action.type === "static_select"
        ? { type: "static_select", selected_option: { text: { type: "plain_text", text: "x" }, value: action.value } }
        : { type: "button", value: action.value, text: { type: "plain_text", text: "x" } };
    const res = await h.interact({
      type: "block_actions",
      user: { id: as, username: as.toLowerCase(), team_id: "T0001" },
      api_app_id: "A0001",
      token: "unused",
      team: { id: "T0001", domain: "fake" },
      container: { type: "message", message_ts: "1700000000.000100", channel_id: `D${as.slice(1)}` },
      channel: { id: `D${as.slice(1)}`, name: "directmessage" },
      trigger_id: triggerId,
      response_url: responseUrl,
      actions: [
        {
          action_id: action.action_id,
          block_id: action.block_id ?? "b",
          action_ts: String(Date.now() / 1000),
          ...element,
        },
      ],
    });
    expect(res.status).toBe(200);
    return { responseUrl, triggerId };
  };
  /** The answer Slack got on the click's response_url. */
  const answerTo = async (responseUrl: string) => (await h.slack.waitForResponse(responseUrl)).body;

  const conversationOf = async (phone: string) =>
    h.db
      .selectFrom("conversations as v")
      .innerJoin("contacts as c", "c.id", "v.contact_id")
      .select(["v.id", "v.slack_channel", "v.slack_thread_ts"])
      .where("c.phone", "=", phone)
      .where("v.campaign_id", "=", campaignId)
      .executeTakeFirstOrThrow();
  const parentOf = (channel: string, name: string) =>
    h.slack
      .callsTo("chat.postMessage")
      .find((c) => c.args.channel === channel && !c.args.thread_ts && textOf(c.args.blocks).includes(`${name} `))!;
  const current = (conversationId: number) =>
    h.db
      .selectFrom("survey_answers")
      .select(["question_id", "answer", "user_id", "source"])
      .where("conversation_id", "=", conversationId)
      .where("replaced_at", "is", null)
      .orderBy("question_id")
      .execute();
  const answerCount = async () =>
    (
      await h.db
        .selectFrom("survey_answers")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow()
    ).n;
  const inbound = (from: string, body: string) =>
    h.twilioWebhook("/twilio/sms", {
      MessageSid: `SMsurvey${++sid}`.padEnd(34, "0"),
      AccountSid: h.twilio.accountSid,
      From: from,
      To: h.twilio.fromNumber,
      Body: body,
      NumMedia: "0",
    });
  const sendAll = async (volunteer: string, slug: string, count: number) => {
    let card = await startShift(h, volunteer, slug);
    for (let i = 0; i < count; i++)
      card = { ...card, blocks: (await pressAndWait(h, volunteer, buttonsOf(card.blocks)[CARD_ACTIONS.send]!)).blocks };
    // The last contact's Send leaves a card with nothing more to end.
    const end = buttonsOf(card.blocks)[CARD_ACTIONS.end];
    if (end) await pressAndWait(h, volunteer, end);
  };

  beforeAll(async () => {
    h = await Harness.start();
    h.slack.addUser({ id: VOL, name: "Vera" });
    contacts = phones(5, 2025559100);
    ({ campaignId } = await seedCampaign(h.db, {
      slug: "survey",
      title: "Survey Test",
      contacts: contacts.map((phone, i) => ({ phone, first_name: `S${i}` })),
    }));
    ({ campaignId: otherCampaignId } = await seedCampaign(h.db, {
      slug: "survey-other",
      title: "Other Survey",
      state: "draft",
      contacts: [{ phone: "+12025559199", first_name: "O0" }],
    }));
  });
  afterAll(async () => {
    await h?.stop();
  });

  it("the script modal has a Survey questions box, and refuses a bad line naming it, saving nothing", async () => {
    const before = h.slack.callsTo("views.open").length;
    await h.command(ORGANIZER, "script survey");
    await waitFor(() => h.slack.callsTo("views.open").length > before, { what: "views.open" });
    const view = h.slack.callsTo("views.open").at(-1)!.args.view as View;
    const inputs = view.blocks.filter((b) => b.type === "input");
    expect(inputs.map((b) => b.label?.text)).toEqual([
      "Opening message",
      "Canned replies",
      "Outcome tags",
      "Survey questions",
      "Opt-out reply",
      "HELP reply",
    ]);
    expect(inputs.find((b) => b.block_id === "survey")!.hint!.text).toContain("Question: Answer | Answer");
    expect(inputs.find((b) => b.block_id === "canned")!.hint!.text).toContain("[Question=Answer]");

    const cases: [survey: string, message: RegExp][] = [
      ["Vote plan Early | Late", /^Line 1 is not `Question: Answer \| Answer`/],
      ["\nVote plan: Early", /^Line 2: it has 1 answer; give at least 2/],
      [`Many: ${Array.from({ length: 11 }, (_, i) => `A${i}`).join(" | ")}`, /Line 1: it has 11 answers; at most 10/],
      [`${"Q".repeat(61)}: Yes | No`, /Line 1: the question is 61 characters; at most 60/],
      [`Q: Yes | ${"n".repeat(41)}`, /Line 1: the answer "n+" is 41 characters; at most 40/],
      ["A: x | y\n\na: z | w", /Line 3: the question "a" is already asked on line 1/],
      ["A: x | | y", /Line 1: an answer is empty/],
      ["A: Yes | yes", /Line 1: the answer "yes" is listed twice/],
      ["A=B: x | y", /Line 1: the question may not contain \[, \] or =/],
      [Array.from({ length: 11 }, (_, i) => `Q${i}: Yes | No`).join("\n"), /11 questions; at most 10/],
    ];
    for (const [survey, message] of cases) {
      const errors = await errorsOf(submitScript({ survey }));
      expect(Object.keys(errors), survey).toEqual(["survey"]);
      expect(errors.survey, survey).toMatch(message);
    }
    // A canned reply's [Question=Answer] is checked against the questions of the same submission.
    const unknown = await errorsOf(submitScript({ survey: SURVEY, canned: "Early: Great! [Vote plann=Early]" }));
    expect(Object.keys(unknown)).toEqual(["canned"]);
    expect(unknown.canned).toMatch(/Reply "Early" \(line 1\): \[Vote plann=Early\] names no survey question/);
    const notAnswer = await errorsOf(submitScript({ survey: SURVEY, canned: "Early: Great! [Vote plan=Soon]" }));
    expect(notAnswer.canned).toMatch(/"Soon" is not an answer to "Vote plan" \(Early \| Election Day/);
    expect(await savedQuestions()).toEqual([]);
    const campaign = await h.db
      .selectFrom("campaigns")
      .select(["opening_message", "canned_replies"])
      .where("id", "=", campaignId)
      .executeTakeFirstOrThrow();
    expect(campaign.canned_replies).toEqual([]);
  });

  it("saves the questions with stable ids and canned replies that record an answer, and shows them again", async () => {
    const res = await submitScript({ survey: SURVEY, canned: CANNED });
    const body = res.json() as { response_action: string; view: View };
    expect(body.response_action).toBe("update");
    expect(textOf(body.view.blocks)).toContain("The survey asks 2 questions");
    expect(await savedQuestions()).toEqual([
      { id: 1, label: "Vote plan", answers: ["Early", "Election Day", "By mail", "Not voting"] },
      { id: 2, label: "Support", answers: ["Yes", "Lean yes", "Undecided", "Lean no", "No", "Refused"] },
    ]);
    const { canned_replies } = await h.db
      .selectFrom("campaigns")
      .select("canned_replies")
      .where("id", "=", campaignId)
      .executeTakeFirstOrThrow();
    // Written back as the question lists them, whatever the case typed.
    expect(canned_replies[1]).toEqual({
      title: "Early voter",
      text: "Great, early voting starts Monday!",
      answers: [{ question: "Vote plan", answer: "Early" }],
    });
    const before = h.slack.callsTo("views.open").length;
    await h.command(ORGANIZER, "script survey");
    await waitFor(() => h.slack.callsTo("views.open").length > before, { what: "views.open" });
    const view = h.slack.callsTo("views.open").at(-1)!.args.view as View;
    const initial = (id: string) => view.blocks.find((b) => b.block_id === id)!.element!.initial_value;
    expect(initial("survey")).toBe(SURVEY);
    expect(initial("canned")).toContain("Early voter: Great, early voting starts Monday! [Vote plan=Early]");
    // The other campaign gets a survey of its own (for the forged buttons below).
    expect((await submitScript({ survey: "Pets: Cat | Dog" }, { campaign: otherCampaignId })).status).toBe(200);
  });

  it("the thread parent shows a row per question: buttons up to five answers, a menu past that", async () => {
    await sendAll(VOL, "survey", 4);
    await sendAll(VOL2, "survey", 1);
    await h.app.deliveries.idle();
    await inbound(contacts[0]!, "I might vote");
    await inbound(contacts[1]!, "When can I vote?");
    await inbound(contacts[4]!, "Hello");
    await h.settle();
    const parent = parentOf(`D${VOL.slice(1)}`, "S0");
    const blocks = parent.args.blocks as Block[];
    const conversation = await conversationOf(contacts[0]!);
    const votePlan = blocks.find((b) => b.block_id === `survey:${conversation.id}:1`)!;
    expect(votePlan.type).toBe("actions");
    expect(votePlan.elements!.map((e) => e.text!.text)).toEqual(["Early", "Election Day", "By mail", "Not voting"]);
    const support = blocks.find((b) => b.block_id === `survey:${conversation.id}:2`)!;
    expect(support.type).toBe("section");
    expect(support.accessory!.type).toBe("static_select");
    expect(support.accessory!.options.map((o) => o.text.text)).toHaveLength(6);
    expect(support.accessory!.initial_option).toBeUndefined();
    expect(textOf(blocks)).toContain("*Vote plan*");
    expect(buttonsOf(blocks).conv_note).toBeTruthy();
    expect(blocks.length).toBeLessThanOrEqual(50);
  });

  it("choosing records who and when, choosing again replaces it with the history kept, and the parent shows it", async () => {
    const conversation = await conversationOf(contacts[0]!);
    const buttons = buttonsOf(parentOf(`D${VOL.slice(1)}`, "S0").args.blocks);
    const early = buttons["survey_answer:1:0"]!;
    const first = await answerTo((await act(VOL, early)).responseUrl);
    expect(first.replace_original).toBe(true);
    const redrawn = buttonsOf(first.blocks);
    expect(textOf(first.blocks)).toContain("✓ Early");
    expect(
      (first.blocks as Block[]).flatMap((b) => b.elements ?? []).find((e) => e.action_id === "survey_answer:1:0")!
        .style,
    ).toBe("primary");
    expect(await current(conversation.id)).toEqual([
      { question_id: 1, answer: "Early", user_id: VOL, source: "button" },
    ]);

    await answerTo((await act(VOL, redrawn["survey_answer:1:2"]!)).responseUrl);
    // The same answer again (a double click) adds nothing.
    await answerTo((await act(VOL, redrawn["survey_answer:1:2"]!)).responseUrl);
    const history = await h.db
      .selectFrom("survey_answers")
      .select(["answer", "user_id", "created_at", "replaced_at"])
      .where("conversation_id", "=", conversation.id)
      .orderBy("id")
      .execute();
    expect(history.map((r) => [r.answer, r.user_id, r.replaced_at === null])).toEqual([
      ["Early", VOL, false],
      ["By mail", VOL, true],
    ]);
    expect(history[0]!.created_at).toBeInstanceOf(Date);

    // An organizer may answer too, here from the menu.
    const support = (first.blocks as Block[]).find((b) => b.accessory?.type === "static_select")!.accessory!;
    const leanYes = support.options.find((o) => o.text.text === "Lean yes")!;
    const chosen = await answerTo(
      (await act(ORGANIZER, { action_id: support.action_id, value: leanYes.value, type: "static_select" })).responseUrl,
    );
    const menu = (chosen.blocks as Block[]).find((b) => b.accessory?.type === "static_select")!.accessory!;
    expect(menu.initial_option!.value).toBe(leanYes.value);
    expect(await current(conversation.id)).toEqual([
      { question_id: 1, answer: "By mail", user_id: VOL, source: "button" },
      { question_id: 2, answer: "Lean yes", user_id: ORGANIZER, source: "button" },
    ]);

    // Anyone else is told why, and nothing changes.
    const before = await answerCount();
    const refused = await answerTo((await act("UINTRUDER", early)).responseUrl);
    expect(refused).toMatchObject({ response_type: "ephemeral", replace_original: false });
    expect(String(refused.text)).toContain(`Only <@${VOL}> (who has this conversation) or an organizer`);
    expect(await answerCount()).toBe(before);
  });

  it("a canned reply that records an answer records it when sent, once per double click", async () => {
    const conversation = await conversationOf(contacts[1]!);
    const buttons = buttonsOf(parentOf(`D${VOL.slice(1)}`, "S1").args.blocks);
    const before = h.twilio.messagesTo(contacts[1]!).length;
    const clicks = await Promise.all([
      openCanned(h, VOL, buttons["conv_canned:1"]!),
      openCanned(h, VOL, buttons["conv_canned:1"]!),
    ]);
    // Opening records nothing; Send does.
    expect(await current(conversation.id)).toEqual([]);
    await Promise.all(clicks.map((click) => submitCanned(h, VOL, click.view, click.text)));
    await waitFor(() => h.twilio.messagesTo(contacts[1]!).length > before, { what: "the canned reply" });
    await h.app.deliveries.idle();
    expect(h.twilio.messagesTo(contacts[1]!).map((m) => m.body)).toContain("Great, early voting starts Monday!");
    expect(h.twilio.messagesTo(contacts[1]!)).toHaveLength(before + 1);
    await waitFor(async () => (await current(conversation.id)).length === 1, { what: "the recorded answer" });
    expect(await current(conversation.id)).toEqual([
      { question_id: 1, answer: "Early", user_id: VOL, source: "canned" },
    ]);
    // Whichever click sent the text redraws the parent.
    const redraw = await waitFor(
      () =>
        clicks
          .flatMap((click) => h.slack.responsesTo(click.responseUrl.split("/").pop()!))
          .find((p) => p.body.replace_original === true),
      { what: "the redrawn parent" },
    );
    expect(textOf(redraw.body.blocks)).toContain("✓ Early");
  });

  it("Add note opens a modal with the click's trigger_id; the note is kept and posted in the thread with its author", async () => {
    const conversation = await conversationOf(contacts[0]!);
    const note = buttonsOf(parentOf(`D${VOL.slice(1)}`, "S0").args.blocks).conv_note!;
    const { triggerId } = await act(VOL, note);
    const open = await h.slack.waitForCall("views.open", (c) => c.args.trigger_id === triggerId);
    const modal = open.args.view as View & { callback_id: string };
    expect(modal.callback_id).toBe("conv_note");
    expect(textOf(modal.blocks)).toContain('"max_length":1000');
    const submitNote = (text: string | null, as = VOL, meta = modal.private_metadata) =>
      h.interact({
        type: "view_submission",
        team: { id: "T0001", domain: "fake" },
        user: user(as),
        api_app_id: "A0001",
        view: {
          id: "VNOTE",
          type: "modal",
          callback_id: "conv_note",
          private_metadata: meta,
          state: { values: { note: { value: { type: "plain_text_input", value: text } } } },
        },
      });
    expect((await errorsOf(submitNote(null))).note).toContain("Write the note first");
    expect((await errorsOf(submitNote("x".repeat(1001)))).note).toContain("1001 characters; at most 1000");
    expect((await errorsOf(submitNote("sneaky", "UINTRUDER"))).note).toContain(`Only <@${VOL}>`);
    expect((await errorsOf(submitNote("hi", VOL, "{bad"))).note).toContain("did not come through whole");
    expect(await h.db.selectFrom("conversation_notes").select("id").execute()).toEqual([]);

    const saved = await submitNote("  Prefers texts after 6pm.\nAsk about a ride.  ");
    expect(saved.status).toBe(200);
    expect(saved.text).toBe("");
    const rows = await h.db.selectFrom("conversation_notes").select(["conversation_id", "user_id", "body"]).execute();
    expect(rows).toEqual([
      { conversation_id: conversation.id, user_id: VOL, body: "Prefers texts after 6pm.\nAsk about a ride." },
    ]);
    await h.settle();
    const posted = await h.slack.waitForCall("chat.postMessage", (c) => String(c.args.text).includes("after 6pm"));
    expect(posted.args).toMatchObject({ channel: conversation.slack_channel, thread_ts: conversation.slack_thread_ts });
    expect(String(posted.args.text)).toContain(`Note from <@${VOL}>`);
    expect(String(posted.args.text)).toContain(">Ask about a ride.");

    // Someone without the conversation cannot even open the form.
    const refused = await answerTo((await act("UINTRUDER", note)).responseUrl);
    expect(String(refused.text)).toContain(`Only <@${VOL}>`);
  });

  it("a forged or stale answer changes nothing and says why", async () => {
    const conversation = await conversationOf(contacts[0]!);
    const other = await conversationOf(contacts[4]!);
    const early = buttonsOf(parentOf(`D${VOL.slice(1)}`, "S0").args.blocks)["survey_answer:1:0"]!;
    const value = JSON.parse(early.value) as { c: number; k: number; q: number; a: string };
    const forged = (patch: Partial<typeof value> | string): CardButton => ({
      ...early,
      value: typeof patch === "string" ? patch : JSON.stringify({ ...value, ...patch }),
    });
    const before = await answerCount();
    const cases: [as: string, button: CardButton, why: string][] = [
      [VOL, forged("not json"), "That button is not one of ours"],
      [VOL, forged({ k: otherCampaignId }), "belongs to another campaign's survey"],
      [VOL, forged({ q: 99 }), "That question is not part of this campaign's survey"],
      [VOL, forged({ a: "Maybe" }), `"Maybe" is not one of the answers to "Vote plan"`],
      [VOL, forged({ c: other.id }), `Only <@${VOL2}> (who has this conversation)`],
      [VOL, forged({ c: 999_999 }), "That conversation no longer exists"],
    ];
    for (const [as, button, why] of cases) {
      const told = await answerTo((await act(as, button)).responseUrl);
      expect(told, why).toMatchObject({ response_type: "ephemeral", replace_original: false });
      expect(String(told.text), why).toContain(why);
      expect(String(told.text), why).toContain("othing");
    }
    expect(await answerCount()).toBe(before);
    expect((await current(conversation.id)).map((r) => r.answer)).toEqual(["By mail", "Lean yes"]);
  });

  it("editing keeps recorded answers: a kept question keeps its id, a removed one its answers, stale buttons are refused", async () => {
    const parent = parentOf(`D${VOL.slice(1)}`, "S0").args.blocks as Block[];
    const res = await submitScript({
      survey: "Helps out: Yes | No\nvote plan: Early | Election Day | By mail",
      canned: CANNED,
    });
    expect((res.json() as { response_action: string }).response_action).toBe("update");
    expect(await savedQuestions()).toEqual([
      { id: 3, label: "Helps out", answers: ["Yes", "No"] },
      { id: 1, label: "vote plan", answers: ["Early", "Election Day", "By mail"] },
      {
        id: 2,
        label: "Support",
        answers: ["Yes", "Lean yes", "Undecided", "Lean no", "No", "Refused"],
        removed: true,
      },
    ]);
    const conversation = await conversationOf(contacts[0]!);
    expect((await current(conversation.id)).map((r) => [r.question_id, r.answer])).toEqual([
      [1, "By mail"],
      [2, "Lean yes"],
    ]);
    const before = await answerCount();
    const support = parent.find((b) => b.accessory?.type === "static_select")!.accessory!;
    const removed = await answerTo(
      (await act(VOL, { action_id: support.action_id, value: support.options[0]!.value, type: "static_select" }))
        .responseUrl,
    );
    expect(String(removed.text)).toContain('The question "Support" was removed from the survey; nothing was recorded');
    const notVoting = buttonsOf(parent)["survey_answer:1:3"]!;
    const gone = await answerTo((await act(VOL, notVoting)).responseUrl);
    expect(String(gone.text)).toContain('"Not voting" is not one of the answers to "vote plan" any more');
    expect(await answerCount()).toBe(before);
  });

  it("stats, the export and the organizer's App Home show the answers", async () => {
    const stats = textOf((await h.commandAnswer(ORGANIZER, "stats survey")).body.blocks);
    expect(stats).toContain("*Helps out* · answered by 0 of 5 texted contacts (0.0%)");
    expect(stats).toContain(
      "*vote plan* · answered by 2 of 5 texted contacts (40.0%)\\nEarly: 1 · Election Day: 0 · By mail: 1",
    );
    expect(stats).toContain("*Support* (removed from the survey) · answered by 1 of 5 texted contacts (20.0%)");
    expect(stats).toContain("Lean yes: 1");

    expect(await h.commandText(ORGANIZER, "export survey")).toContain("Preparing the export");
    await waitFor(() => h.slack.callsTo("files.completeUploadExternal").length === 2, { what: "two uploads" });
    const contactsCsv = [...h.slack.uploads.values()][0]!.toString("utf8");
    const rows = Papa.parse<Record<string, string>>(contactsCsv, { header: true, skipEmptyLines: true }).data;
    expect(Object.keys(rows[0]!).slice(-4)).toEqual(["Helps out", "vote plan", "Support (removed)", "notes"]);
    const s0 = rows.find((r) => r.first_name === "S0")!;
    expect(s0).toMatchObject({ "Helps out": "", "vote plan": "By mail", "Support (removed)": "Lean yes" });
    expect(s0.notes).toMatch(
      new RegExp(`^${VOL} \\(\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\dZ\\): Prefers texts after 6pm\\.\\nAsk`),
    );
    expect(rows.find((r) => r.first_name === "S1")!["vote plan"]).toBe("Early");
    expect(rows.find((r) => r.first_name === "S2")).toMatchObject({ "vote plan": "", notes: "" });

    // The App Home shows the first question still asked.
    await h.event({ type: "app_home_opened", user: ORGANIZER, channel: "DORG", tab: "home" });
    const home = await h.slack.waitForCall("views.publish", (c) => c.args.user_id === ORGANIZER);
    expect(textOf((home.args.view as { blocks: unknown }).blocks)).toContain("*Helps out:* Yes 0 · No 0 (0 answered)");
    await submitScript({ survey: "Vote plan: Early | Election Day | By mail", canned: CANNED });
    const before = h.slack.callsTo("views.publish").length;
    await h.event({ type: "app_home_opened", user: ORGANIZER, channel: "DORG", tab: "home" });
    await waitFor(() => h.slack.callsTo("views.publish").length > before, { what: "a second publish" });
    const again = h.slack.callsTo("views.publish").at(-1)!;
    expect(textOf((again.args.view as { blocks: unknown }).blocks)).toContain(
      "*Vote plan:* Early 1 · Election Day 0 · By mail 1 (2 answered)",
    );
  });
});
