import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { DEFAULT_HELP_REPLY, DEFAULT_OPT_OUT_REPLY } from "../../src/campaigns/opt-outs/reply-texts.ts";
import { CARD_ACTIONS } from "../../src/slack/blocks/card.ts";
import { buttonsOf, press, pressAndWait, startShift, textOf, type CardButton } from "../support/cards.ts";
import { Harness, ORGANIZER } from "../support/harness.ts";
import { waitFor } from "../support/http-util.ts";
import { phones, seedCampaign } from "../support/seed.ts";
import { onPostgres } from "../support/test-db.ts";

const VOL = "UVOLOPTREPLY";
const DM = `D${VOL.slice(1)}`;
const OPT_OUT_REPLY = "Got it {first_name|friend}: {campaign} won't text you again. Reply START to undo.";
const HELP_REPLY = "{campaign} ({city}): texts from {texter_name}. Reply STOP to opt out.";

type Block = {
  type: string;
  block_id?: string;
  text?: { text: string };
  element?: { type?: string; initial_value?: string; placeholder?: { text: string }; max_length?: number };
  elements?: { action_id?: string; confirm?: unknown }[];
};
type View = { callback_id?: string; private_metadata: string; blocks: Block[] };

/**
 * The organizer's opt-out and HELP replies: written in the script modal, texted through the
 * same path as every automatic text (once per new opt-out, never for Twilio's own keywords,
 * HELP once a day per number), and the thread's Opt out button that asks first.
 */
describe("opt-out and HELP replies", () => {
  let h: Harness;
  let campaignId: number;
  let contacts: string[];

  const user = (id: string) => ({ id, username: id.toLowerCase(), name: id.toLowerCase(), team_id: "T0001" });
  const box = (value: string | undefined) => ({ type: "plain_text_input", value: value ? value : null });
  /** The script modal's Save, as Slack posts it, with both reply boxes. */
  const submitScript = (replies: { optOut?: string; help?: string }) =>
    h.interact({
      type: "view_submission",
      team: { id: "T0001", domain: "fake" },
      user: user(ORGANIZER),
      api_app_id: "A0001",
      view: {
        id: "VSCRIPT",
        type: "modal",
        callback_id: "campaign_script",
        private_metadata: JSON.stringify({ c: campaignId }),
        state: {
          values: {
            opening: { value: box("Hi {first_name}, this is {texter_name} with {campaign}. Reply STOP to opt out.") },
            canned: { value: box("") },
            tags: { value: box("") },
            optOutReply: { value: box(replies.optOut) },
            helpReply: { value: box(replies.help) },
          },
        },
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
      .select(["opt_out_reply", "help_text"])
      .where("id", "=", campaignId)
      .executeTakeFirstOrThrow();
  const textsTo = (phone: string) => h.twilio.messagesTo(phone).map((m) => m.body);
  const optOutOf = (phone: string) =>
    h.db.selectFrom("opt_outs").select(["source", "campaign_id"]).where("phone", "=", phone).executeTakeFirst();
  const threadPosts = (words: string) =>
    h.slack.callsTo("chat.postMessage").filter((c) => c.args.thread_ts && String(c.args.text).includes(words));
  /** The thread parent of a contact's conversation (posted once they replied). */
  const parentOf = (name: string) =>
    h.slack
      .callsTo("chat.postMessage")
      .find((c) => c.args.channel === DM && !c.args.thread_ts && textOf(c.args.blocks).includes(`${name} `))!;
  /** The Opt out button pressed as Slack sends it; the modal it opens, if any. */
  const pressOptOut = async (as: string, button: CardButton) => {
    const opens = h.slack.callsTo("views.open").length;
    const { responseUrl } = await press(h, as, button);
    return { responseUrl, opens };
  };
  const modalAfter = async (opens: number) => {
    await waitFor(() => h.slack.callsTo("views.open").length > opens, { what: "the opt-out modal" });
    return h.slack.callsTo("views.open").at(-1)!.args.view as View;
  };
  /** The modal's Opt out, with or without "Send the opt-out reply" ticked. */
  const confirmOptOut = (modal: View, sendReply: boolean, { as = VOL, viewId = "VOPTOUT1" } = {}) =>
    h.interact({
      type: "view_submission",
      team: { id: "T0001", domain: "fake" },
      user: user(as),
      api_app_id: "A0001",
      view: {
        id: viewId,
        type: "modal",
        callback_id: "conv_optout",
        private_metadata: modal.private_metadata,
        state: {
          values: {
            optout_reply: {
              value: {
                type: "checkboxes",
                selected_options: sendReply
                  ? [{ text: { type: "plain_text", text: "Send the opt-out reply" }, value: "send" }]
                  : [],
              },
            },
          },
        },
      },
    });

  beforeAll(async () => {
    h = await Harness.start();
    h.slack.addUser({ id: VOL, name: "Vera" });
    contacts = phones(9, 2025558600);
    ({ campaignId } = await seedCampaign(h.db, {
      slug: "opt-replies",
      title: "Opt Replies",
      contacts: contacts.map((phone, i) => ({
        phone,
        first_name: i === 2 ? undefined : `P${i}`,
        custom_fields: { city: "Akron" },
      })),
    }));
    await h.db
      .updateTable("campaigns")
      .set({ custom_fields: JSON.stringify([{ key: "city", header: "City" }]) })
      .where("id", "=", campaignId)
      .execute();
    let card = await startShift(h, VOL, "opt-replies");
    for (let i = 0; i < contacts.length; i++)
      card = { ...card, blocks: (await pressAndWait(h, VOL, buttonsOf(card.blocks)[CARD_ACTIONS.send]!)).blocks };
    await h.app.deliveries.idle();
    for (const phone of contacts) expect(textsTo(phone)).toHaveLength(1);
  });
  afterAll(async () => {
    await h?.stop();
  });

  it("the script modal shows both boxes with the defaults as placeholders and refuses bad ones on their own box", async () => {
    const opens = h.slack.callsTo("views.open").length;
    expect((await h.command(ORGANIZER, "script opt-replies")).status).toBe(200);
    const form = await modalAfter(opens);
    const boxes = Object.fromEntries(form.blocks.filter((b) => b.type === "input").map((b) => [b.block_id, b]));
    expect(boxes.optOutReply!.element).toMatchObject({ max_length: 320, placeholder: { text: DEFAULT_OPT_OUT_REPLY } });
    expect(boxes.helpReply!.element).toMatchObject({ max_length: 320, placeholder: { text: DEFAULT_HELP_REPLY } });
    expect(boxes.optOutReply!.element!.initial_value).toBeUndefined();

    expect(await errorsOf(submitScript({ optOut: "x".repeat(321), help: HELP_REPLY }))).toEqual({
      optOutReply: "The opt-out reply is 321 characters; it can have at most 320.",
    });
    const fieldErrors = await errorsOf(submitScript({ optOut: OPT_OUT_REPLY, help: "{campaign}: from {texter_nam}" }));
    expect(Object.keys(fieldErrors)).toEqual(["helpReply"]);
    expect(fieldErrors.helpReply).toContain("No uploaded column provides {texter_nam} (did you mean {texter_name}?)");
    expect(
      (await errorsOf(submitScript({ optOut: "Bye {first_name", help: "😀".repeat(321) }))) as Record<string, string>,
    ).toEqual({
      optOutReply: 'Unclosed "{" at character 5.',
      helpReply: "The HELP reply is 321 characters; it can have at most 320.",
    });
    expect(await saved()).toEqual({ opt_out_reply: null, help_text: null });

    const ok = await submitScript({ optOut: `  ${OPT_OUT_REPLY}\n`, help: HELP_REPLY });
    expect((ok.json() as { response_action: string }).response_action).toBe("update");
    expect(await saved()).toEqual({ opt_out_reply: OPT_OUT_REPLY, help_text: HELP_REPLY });
    // The form opens with them filled in.
    const again = h.slack.callsTo("views.open").length;
    await h.command(ORGANIZER, "script opt-replies");
    const reopened = await modalAfter(again);
    const filled = reopened.blocks.filter((b) => b.type === "input").map((b) => b.element?.initial_value);
    expect(filled.slice(-2)).toEqual([OPT_OUT_REPLY, HELP_REPLY]);
  });

  it("an opt-out in words gets the campaign's reply once, filled in; a bare STOP and a repeat get none", async () => {
    const [words, stop, noName] = [contacts[0]!, contacts[1]!, contacts[2]!];
    await h.inboundSms(words, "Please take me off your list");
    await waitFor(() => textsTo(words).length === 2, { what: "the opt-out reply" });
    expect(textsTo(words)[1]).toBe("Got it P0: Opt Replies won't text you again. Reply START to undo.");
    const stored = await h.db
      .selectFrom("messages")
      .select(["kind", "status"])
      .where("to_phone", "=", words)
      .where("kind", "=", "auto")
      .execute();
    expect(stored).toHaveLength(1);
    await h.inboundSms(words, "stop texting me");
    await h.inboundSms(words, "Remove me!");
    await h.settle();
    expect(textsTo(words)).toHaveLength(2);

    // Twilio answers its own keyword: nothing from us, but the opt-out holds.
    await h.inboundSms(stop, " Stop. ");
    await h.settle();
    expect(textsTo(stop)).toHaveLength(1);
    expect(await optOutOf(stop)).toMatchObject({ source: "sms" });

    // A contact without the field gets the fallback.
    await h.inboundSms(noName, "unsubscribe me");
    await waitFor(() => textsTo(noName).length === 2, { what: "the opt-out reply" });
    expect(textsTo(noName)[1]).toBe("Got it friend: Opt Replies won't text you again. Reply START to undo.");
    // Every inbound text still shows in the thread.
    await h.settle();
    expect(threadPosts("Please take me off your list")).toHaveLength(1);
    expect(threadPosts("Remove me!")).toHaveLength(1);
  });

  it("HELP or INFO gets the campaign's HELP reply at most once a day per number, and still shows in the thread", async () => {
    const phone = contacts[3]!;
    await h.inboundSms(phone, "help");
    await waitFor(() => textsTo(phone).length === 2, { what: "the HELP reply" });
    expect(textsTo(phone)[1]).toBe("Opt Replies (Akron): texts from Vera. Reply STOP to opt out.");
    await h.inboundSms(phone, "  Info! ");
    await h.inboundSms(phone, "HELP");
    await h.settle();
    expect(textsTo(phone)).toHaveLength(2);
    expect(threadPosts("Info!")).toHaveLength(1);
    const rows = await h.db.selectFrom("help_replies").select("phone").where("phone", "=", phone).execute();
    expect(rows).toHaveLength(1);
    // "help me" is a message, not the keyword.
    await h.inboundSms(phone, "help me find my polling place");
    await h.settle();
    expect(textsTo(phone)).toHaveLength(2);

    // The next day (the stored day moved back by one) it is answered again, once.
    await h.db
      .updateTable("help_replies")
      .set({ day: sql`day - 1` })
      .where("phone", "=", phone)
      .execute();
    await h.inboundSms(phone, "HELP");
    await waitFor(() => textsTo(phone).length === 3, { what: "the next day's HELP reply" });
    await h.inboundSms(phone, "help");
    await h.settle();
    expect(textsTo(phone)).toHaveLength(3);
  });

  it("Opt out asks first; cancelling changes nothing, and only the volunteer or an organizer can open it", async () => {
    const phone = contacts[4]!;
    await h.inboundSms(phone, "Who is this?");
    await h.settle();
    const button = buttonsOf(parentOf("P4").args.blocks).conv_optout!;
    expect(button).toBeTruthy();
    // No native confirm dialog: the modal asks.
    expect(JSON.stringify(parentOf("P4").args.blocks)).not.toContain('"confirm"');

    const { opens, responseUrl } = await pressOptOut(VOL, button);
    const modal = await modalAfter(opens);
    expect(modal.callback_id).toBe("conv_optout");
    const shown = textOf(modal.blocks);
    expect(shown).toContain("Got it P4: Opt Replies won't text you again.");
    expect(shown).toContain("Send the opt-out reply");
    expect(shown).toContain("•••" + phone.slice(-4));
    // Closing the modal sends Slack nothing back (no notify_on_close): nothing has changed.
    await h.settle();
    expect(await optOutOf(phone)).toBeUndefined();
    expect(textsTo(phone)).toHaveLength(1);
    expect(h.slack.responsesTo(responseUrl.split("/").pop()!)).toEqual([]);

    const intruder = await pressOptOut("UINTRUDER", button);
    const refused = await h.slack.waitForResponse(intruder.responseUrl);
    expect(String(refused.body.text)).toContain(`Only <@${VOL}>`);
    expect(h.slack.callsTo("views.open")).toHaveLength(intruder.opens);
    // Nor can they confirm a modal someone else opened.
    expect((await errorsOf(confirmOptOut(modal, true, { as: "UINTRUDER" }))).optout_reply).toContain(`Only <@${VOL}>`);
    expect((await errorsOf(confirmOptOut({ ...modal, private_metadata: "{oops" }, true))).optout_reply).toContain(
      "did not come through whole",
    );
    await h.settle();
    expect(await optOutOf(phone)).toBeUndefined();
    expect(textsTo(phone)).toHaveLength(1);
  });

  it("Opt out confirmed without the reply opts the number out and texts nothing", async () => {
    const phone = contacts[4]!;
    const button = buttonsOf(parentOf("P4").args.blocks).conv_optout!;
    const { opens, responseUrl } = await pressOptOut(VOL, button);
    const modal = await modalAfter(opens);
    const res = await confirmOptOut(modal, false, { viewId: "VOPTOUTNO" });
    expect(res.status).toBe(200);
    expect(res.text).toBe("");
    expect(await optOutOf(phone)).toEqual({ source: `volunteer:${VOL}`, campaign_id: campaignId });
    const redraw = await h.slack.waitForResponse(responseUrl, (p) => p.body.replace_original === true);
    expect(textOf(redraw.body.blocks)).toContain("Opted out.");
    expect(buttonsOf(redraw.body.blocks).conv_optout).toBeUndefined();
    await h.settle();
    expect(textsTo(phone)).toHaveLength(1);

    // A stale parent's Opt out says so and opens nothing.
    const stale = await pressOptOut(VOL, button);
    const told = await h.slack.waitForResponse(stale.responseUrl, (p) => p.body.replace_original === false);
    expect(String(told.body.text)).toContain("already opted out");
    expect(h.slack.callsTo("views.open")).toHaveLength(stale.opens);
  });

  it("Opt out confirmed with the reply texts the campaign's reply once, even if confirmed twice", async () => {
    const phone = contacts[5]!;
    await h.inboundSms(phone, "Maybe later");
    await h.settle();
    const button = buttonsOf(parentOf("P5").args.blocks).conv_optout!;
    const { opens, responseUrl } = await pressOptOut(ORGANIZER, button);
    const modal = await modalAfter(opens);
    expect((await confirmOptOut(modal, true, { as: ORGANIZER, viewId: "VOPTOUTYES" })).status).toBe(200);
    expect(await optOutOf(phone)).toEqual({ source: `volunteer:${ORGANIZER}`, campaign_id: campaignId });
    await waitFor(() => textsTo(phone).length === 2, { what: "the opt-out reply" });
    expect(textsTo(phone)[1]).toBe("Got it P5: Opt Replies won't text you again. Reply START to undo.");
    await h.slack.waitForResponse(responseUrl, (p) => p.body.replace_original === true);
    // The same confirmation again (Slack retrying, a double click) stores nothing more.
    await confirmOptOut(modal, true, { as: ORGANIZER, viewId: "VOPTOUTYES" });
    await confirmOptOut(modal, true, { as: ORGANIZER, viewId: "VOPTOUTYES2" });
    await h.settle();
    expect(textsTo(phone)).toHaveLength(2);
    const row = await h.db
      .selectFrom("messages")
      .select(["kind", "sent_by", "status"])
      .where("to_phone", "=", phone)
      .where("kind", "=", "auto")
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ kind: "auto", sent_by: ORGANIZER });
    expect(row.status).not.toBe("failed");
  });

  it.runIf(onPostgres)("two instances given HELP at the same moment answer it once", async () => {
    const phone = contacts[8]!;
    const second = await h.startInstance();
    try {
      const answers = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          h.inboundSms(phone, i % 2 ? "HELP" : "info", i % 2 ? { port: second.port } : {}),
        ),
      );
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200]);
      await h.settle();
      await second.deliveries.idle();
      expect(textsTo(phone)).toHaveLength(2);
    } finally {
      await second.stop();
    }
  });

  it("empty boxes mean the default texts", async () => {
    const ok = await submitScript({ optOut: "", help: "   " });
    expect((ok.json() as { response_action: string }).response_action).toBe("update");
    expect(await saved()).toEqual({ opt_out_reply: null, help_text: null });
    const [out, help] = [contacts[6]!, contacts[7]!];
    await h.inboundSms(out, "Wrong number. Remove me");
    await h.inboundSms(help, "INFO");
    await waitFor(() => textsTo(out).length === 2 && textsTo(help).length === 2, { what: "the default replies" });
    expect(textsTo(out)[1]).toBe(DEFAULT_OPT_OUT_REPLY);
    expect(textsTo(help)[1]).toBe("Opt Replies: peer-to-peer texts from Vera. Reply STOP to opt out.");
  });
});
