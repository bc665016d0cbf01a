import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CARD_ACTIONS } from "../../src/slack/blocks/card.ts";
import { buttonsOf, pressAndWait, startShift, textOf } from "../support/cards.ts";
import { sendCanned } from "../support/canned.ts";
import { Harness, ORGANIZER } from "../support/harness.ts";
import { waitFor } from "../support/http-util.ts";

// A whole campaign through Slack and Twilio requests only: nothing written to the database by hand.
describe("a campaign from create to reply, through Slack alone", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
    h.slack.addUser({ id: "UVERA", name: "Vera" });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it("create → upload → script → hours → launch → shift → Send → reply → tag → stats", async () => {
    expect(await h.commandText(ORGANIZER, "create flow Flow Campaign")).toContain("Created");
    h.slack.addFile({
      id: "FFLOW",
      name: "people.csv",
      content: Buffer.from(
        "Phone,First Name,Ward,timezone\n(202) 555-0181,Rosa,W1,America/New_York\n202-555-0182,Sam,W2,America/New_York\n",
      ),
    });
    // The modal opens within the command, which may be acked before it when the machine is slow.
    const opensBeforeUpload = h.slack.callsTo("views.open").length;
    await h.command(ORGANIZER, "upload flow");
    await waitFor(() => h.slack.callsTo("views.open").length > opensBeforeUpload, { what: "the upload modal" });
    const uploadView = h.slack.callsTo("views.open").at(-1)!.args.view as {
      callback_id: string;
      private_metadata: string;
    };
    await h.interact({
      type: "view_submission",
      user: { id: ORGANIZER },
      view: {
        id: "V",
        callback_id: uploadView.callback_id,
        private_metadata: uploadView.private_metadata,
        state: { values: { csv: { file: { type: "file_input", files: [{ id: "FFLOW" }] } } } },
      },
    });
    await waitFor(() => h.slack.callsTo("chat.update").find((c) => String(c.args.text).includes("*2 imported*")), {
      what: "the import summary",
    });

    const opensBeforeScript = h.slack.callsTo("views.open").length;
    await h.command(ORGANIZER, "script flow");
    await waitFor(() => h.slack.callsTo("views.open").length > opensBeforeScript, { what: "the script modal" });
    const scriptView = h.slack.callsTo("views.open").at(-1)!.args.view as { private_metadata: string };
    const saved = await h.interact({
      type: "view_submission",
      user: { id: ORGANIZER },
      view: {
        id: "V2",
        callback_id: "campaign_script",
        private_metadata: scriptView.private_metadata,
        state: {
          values: {
            opening: {
              value: {
                type: "plain_text_input",
                value: "Hi {first_name}, {texter_name} here for ward {ward}. Will you vote? Reply STOP to opt out.",
              },
            },
            canned: { value: { type: "plain_text_input", value: "Thanks: Thank you {first_name}!" } },
            tags: { value: { type: "plain_text_input", value: "Yes, No" } },
          },
        },
      },
    });
    expect((saved.json() as { response_action: string }).response_action).toBe("update");
    expect(await h.commandText(ORGANIZER, "hours flow 0-24")).toContain("0:00 to 24:00");
    expect(await h.commandText(ORGANIZER, "launch flow")).toContain("is live");

    const card = await startShift(h, "UVERA", "flow");
    expect(textOf(card.blocks)).toContain("Hi Rosa, Vera here for ward W1. Will you vote? Reply STOP to opt out.");
    await pressAndWait(h, "UVERA", buttonsOf(card.blocks)[CARD_ACTIONS.send]!);
    const text = await h.twilio.waitForMessage((m) => m.to === "+12025550181");
    expect(text.body).toBe("Hi Rosa, Vera here for ward W1. Will you vote? Reply STOP to opt out.");

    await h.twilioWebhook("/twilio/sms", {
      MessageSid: "SMflow0000000000000000000000000001",
      From: "+12025550181",
      To: h.twilio.fromNumber,
      Body: "Yes!",
      NumMedia: "0",
    });
    await h.settle();
    const parent = h.slack
      .callsTo("chat.postMessage")
      .find((c) => c.args.channel === "DVERA" && !c.args.thread_ts && textOf(c.args.blocks).includes("Rosa"))!;
    await pressAndWait(h, "UVERA", buttonsOf(parent.args.blocks)["conv_tag:0"]!);
    const canned = await sendCanned(h, "UVERA", buttonsOf(parent.args.blocks)["conv_canned:0"]!);
    expect(canned.text).toBe("Thank you Rosa!");
    await waitFor(() => h.twilio.messagesTo("+12025550181").length === 2, { what: "the canned reply" });
    expect(h.twilio.messagesTo("+12025550181")[1]!.body).toBe("Thank you Rosa!");

    const stats = textOf((await h.commandAnswer(ORGANIZER, "stats flow")).body.blocks);
    expect(stats).toContain("*Contacts:* 2 · *handed out:* 2");
    expect(stats).toContain("*Sent:* 1");
    expect(stats).toContain("*Replies:* 1 reply (100.0%) from 1 contact · ");
    expect(stats).toContain("Yes: 1");
  });
});
