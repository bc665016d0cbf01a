import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CARD_ACTIONS } from "../../src/slack/blocks/card.ts";
import type { Textbank } from "../../src/app.ts";
import type { Worker } from "node:worker_threads";
import { SendingWorker } from "../../src/sms/sending-worker.ts";
import { buttonsOf, press, pressAndWait, startShift } from "../support/cards.ts";
import { Harness } from "../support/harness.ts";
import { waitFor } from "../support/http-util.ts";
import { phones, seedCampaign } from "../support/seed.ts";
import { onPostgres } from "../support/test-db.ts";

// Real concurrency needs real connections: these run against PostgreSQL with two app instances.
describe.runIf(onPostgres)("sending across two instances on one PostgreSQL", () => {
  let h: Harness;
  let second: Textbank;
  beforeAll(async () => {
    h = await Harness.start();
    second = await h.startInstance();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it("40 volunteers starting shifts at once on two instances never share a contact", async () => {
    const ps = phones(60, 2025552000);
    await seedCampaign(h.db, { slug: "crowd", contacts: ps.map((phone) => ({ phone, first_name: "C" })) });
    const volunteers = Array.from({ length: 40 }, (_, i) => `UCROWD${i}`);
    await Promise.all(
      volunteers.map((user, i) => h.command(user, "shift crowd", { port: i % 2 ? second.port : h.app.port })),
    );
    await waitFor(
      async () => {
        const held = await h.db.selectFrom("contacts").select("id").where("status", "=", "held").execute();
        return held.length === 40;
      },
      { what: "40 held contacts" },
    );
    const rows = await h.db.selectFrom("contacts").select(["id", "held_by"]).where("status", "=", "held").execute();
    expect(new Set(rows.map((r) => r.held_by)).size).toBe(40);
    expect(new Set(rows.map((r) => r.id)).size).toBe(40);
  });

  it("the same Send pressed 20 times across both instances texts once", async () => {
    const [a, b] = phones(2, 2025553000);
    await seedCampaign(h.db, {
      slug: "race",
      contacts: [
        { phone: a!, first_name: "R" },
        { phone: b!, first_name: "S" },
      ],
    });
    await h.commandText("URACE", "shift race");
    const call = await h.slack.waitForCall("chat.postMessage", (c) => c.args.channel === "URACE");
    const send = buttonsOf(call.args.blocks)[CARD_ACTIONS.send]!;
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => press(h, "URACE", send, { port: i % 2 ? second.port : h.app.port })),
    );
    await waitFor(() => h.twilio.messagesTo(a!).length === 1, { what: "one text" });
    await Promise.all([h.app.deliveries.idle(), second.deliveries.idle()]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(h.twilio.messagesTo(a!)).toHaveLength(1);
    const openings = await h.db.selectFrom("messages").select("id").where("to_phone", "=", a!).execute();
    expect(openings).toHaveLength(1);
  });

  it("two volunteers pressing Send as fast as they can on two instances text each contact once", async () => {
    const ps = phones(40, 2025554000);
    await seedCampaign(h.db, { slug: "sprint", contacts: ps.map((phone) => ({ phone, first_name: "F" })) });
    const run = async (user: string, port: number) => {
      await h.command(user, "shift sprint", { port });
      let blocks = (await h.slack.waitForCall("chat.postMessage", (c) => c.args.channel === user)).args.blocks;
      for (;;) {
        const send = buttonsOf(blocks)[CARD_ACTIONS.send];
        if (!send) return;
        const { responseUrl } = await press(h, user, send, { port });
        blocks = (await h.slack.waitForResponse(responseUrl)).body.blocks;
      }
    };
    await Promise.all([run("USPRINT1", h.app.port), run("USPRINT2", second.port)]);
    await Promise.all([h.app.deliveries.idle(), second.deliveries.idle()]);
    for (const phone of ps) expect(h.twilio.messagesTo(phone)).toHaveLength(1);
  });

  it("texts leave from the sending worker; when it dies mid-text, the sweep finds the text at Twilio and never sends it twice", async () => {
    const [a, b] = phones(2, 2025555000);
    await seedCampaign(h.db, {
      slug: "crash",
      contacts: [
        { phone: a!, first_name: "K" },
        { phone: b!, first_name: "L" },
      ],
    });
    const first = await startShift(h, "UCRASH", "crash");
    const deliveries = h.app.deliveries as SendingWorker;
    expect(deliveries).toBeInstanceOf(SendingWorker);
    const attemptsBefore = h.twilio.attempts;
    // Twilio takes its time: it answers only after the thread is dead, with the request open
    // (a fixed delay could run out first on a loaded machine, and the text be recorded as sent).
    const slowTwilio = h.twilio.holdNext();
    const next = await pressAndWait(h, "UCRASH", buttonsOf(first.blocks)[CARD_ACTIONS.send]!);
    await waitFor(() => h.twilio.attempts === attemptsBefore + 1, { what: "the text to reach Twilio" });
    await (deliveries as unknown as { worker: Worker }).worker.terminate();
    slowTwilio.release();
    await waitFor(() => h.twilio.messagesTo(a!).length === 1, { what: "Twilio to create the text" });
    const stored = await h.db
      .selectFrom("messages")
      .select(["status", "twilio_sid"])
      .where("to_phone", "=", a!)
      .executeTakeFirstOrThrow();
    expect(stored).toEqual({ status: "submitting", twilio_sid: null });
    // Under its lease the dead attempt's text is left alone; time compressed, the lease runs out.
    expect(await deliveries.sweep(0)).toBe(0);
    await h.db
      .updateTable("messages")
      .set({ lease_until: new Date(Date.now() - 1000) })
      .where("to_phone", "=", a!)
      .execute();
    expect(await deliveries.sweep(0)).toBe(1);
    const found = await h.db
      .selectFrom("messages")
      .select(["twilio_sid"])
      .where("to_phone", "=", a!)
      .executeTakeFirstOrThrow();
    expect(found.twilio_sid).toBe(h.twilio.messagesTo(a!)[0]!.sid);
    expect(h.twilio.attempts).toBe(attemptsBefore + 1);
    // The next Send goes out as usual.
    await pressAndWait(h, "UCRASH", buttonsOf(next.blocks)[CARD_ACTIONS.send]!);
    await waitFor(() => h.twilio.messagesTo(b!).length === 1, { what: "the next text" });
    await deliveries.idle();
    expect(h.twilio.messagesTo(a!)).toHaveLength(1);
  });
});
