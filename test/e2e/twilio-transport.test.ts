import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTwilioClient } from "../../src/sms/twilio-client.ts";
import { SidRecorder } from "../../src/sms/sid-recorder.ts";
import { OptOutDoor } from "../../src/sms/opt-out-door.ts";
import { recordOptOut } from "../../src/campaigns/opt-outs/opt-outs.ts";
import { FakeTwilio } from "../support/fake-twilio.ts";
import { waitFor } from "../support/http-util.ts";
import { createTestDatabase } from "../support/test-db.ts";

// The official twilio client over our transport (src/sms/twilio-client.ts), against the fake
// Twilio on loopback: what it sends, what it reads back, and how failures reach the caller.
describe("the twilio client's transport", () => {
  let twilio: FakeTwilio;
  beforeAll(async () => {
    twilio = await new FakeTwilio().start();
  });
  afterAll(() => twilio.stop());

  const client = (authToken = twilio.authToken, timeoutMs?: number) =>
    createTwilioClient({ accountSid: twilio.accountSid, authToken, apiUrl: twilio.url + "/", timeoutMs });

  it("creates a message with every field form-encoded, media repeated, and reads the resource back", async () => {
    const created = await client().messages.create({
      from: twilio.fromNumber,
      to: "+12025550101",
      body: "Hi Ana & co — 100% ✓",
      mediaUrl: ["https://media.example.org/a.jpg", "https://media.example.org/b.jpg"],
      statusCallback: "https://textbank.example.org/twilio/status",
    });
    expect(created.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(created.status).toBe("queued");
    const seen = twilio.messages.find((m) => m.sid === created.sid)!;
    expect(seen).toMatchObject({
      from: twilio.fromNumber,
      to: "+12025550101",
      body: "Hi Ana & co — 100% ✓",
      mediaUrls: ["https://media.example.org/a.jpg", "https://media.example.org/b.jpg"],
      statusCallback: "https://textbank.example.org/twilio/status",
    });
  });

  it("lists with query parameters (the look-up before a retry)", async () => {
    await client().messages.create({ from: twilio.fromNumber, to: "+12025550102", body: "first" });
    const listed = await client().messages.list({ to: "+12025550102", limit: 20 });
    expect(listed.map((m) => m.body)).toEqual(["first"]);
  });

  it("raises Twilio's error code and HTTP status, and a wrong token is a 401", async () => {
    twilio.failNext(400, { code: 21211, message: "The 'To' number is not a valid phone number." });
    await expect(client().messages.create({ from: twilio.fromNumber, to: "+1202", body: "x" })).rejects.toMatchObject({
      status: 400,
      code: 21211,
    });
    await expect(
      client("wrong-token").messages.create({ from: twilio.fromNumber, to: "+12025550103", body: "x" }),
    ).rejects.toMatchObject({ status: 401, code: 20003 });
  });

  it("gives up after its timeout with an error that has no HTTP status (the sender then looks before retrying), though Twilio got the request", async () => {
    // Twilio answers only once the test says so (not after a fixed delay that a loaded machine
    // could outlast), so the client's timeout always fires first.
    const slowTwilio = twilio.holdNext();
    const before = { messages: twilio.messages.length, attempts: twilio.attempts };
    const slow = createTwilioClient({
      accountSid: twilio.accountSid,
      authToken: twilio.authToken,
      apiUrl: twilio.url,
      timeoutMs: 1000,
    });
    const error = await slow.messages.create({ from: twilio.fromNumber, to: "+12025550104", body: "slow" }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as { status?: number }).status).toBeUndefined();
    await waitFor(() => twilio.attempts === before.attempts + 1, { what: "Twilio to receive the request" });
    slowTwilio.release();
    await waitFor(() => twilio.messages.length > before.messages, { what: "Twilio to create the message" });
    expect(twilio.messages.at(-1)!.body).toBe("slow");
  });
});

describe("recording sids in batches", () => {
  // The test makes its own database (migrations included: 9 s beside a CPU hog), so it gets the
  // time a hook would have (60 s) rather than the default 30 s.
  it("writes every sid recorded at once, and one that cannot be written fails alone", async () => {
    const database = await createTestDatabase();
    try {
      const db = database.handle.db;
      const ids: number[] = [];
      for (let i = 0; i < 6; i++) {
        const row = await db
          .insertInto("messages")
          .values({
            direction: "out",
            kind: "reply",
            body: `m${i}`,
            from_phone: "+15005550006",
            to_phone: `+1202555020${i}`,
            status: "submitting",
          })
          .returning("id")
          .executeTakeFirstOrThrow();
        ids.push(row.id);
      }
      await db.updateTable("messages").set({ twilio_sid: "SMtaken" }).where("id", "=", ids[5]!).execute();
      const recorder = new SidRecorder(db);
      const results = await Promise.allSettled(
        ids
          .slice(0, 5)
          .map((id, i) => recorder.record(id, i === 2 ? "SMtaken" : `SMok${i}`, i === 4 ? "accepted" : "queued")),
      );
      expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled", "fulfilled"]);
      const rows = await db
        .selectFrom("messages")
        .select(["id", "twilio_sid", "status"])
        .where("id", "in", ids.slice(0, 5))
        .orderBy("id")
        .execute();
      expect(rows.map((r) => [r.twilio_sid, r.status])).toEqual([
        ["SMok0", "queued"],
        ["SMok1", "queued"],
        [null, "submitting"],
        ["SMok3", "queued"],
        ["SMok4", "accepted"],
      ]);
    } finally {
      await database.drop();
    }
  }, 60_000);
});

describe("the opt-out check at Twilio's door", () => {
  it("answers many numbers asked at once, each as its own lookup would, and sees an opt-out made since", async () => {
    const database = await createTestDatabase();
    try {
      const db = database.handle.db;
      const phones = Array.from({ length: 10 }, (_, i) => `+1202555030${i}`);
      for (const phone of phones.slice(0, 3)) await recordOptOut(db, { phone, source: "sms" });
      const door = new OptOutDoor(db);
      // Asked together (and each number twice), they share lookups; every answer is its number's.
      const answers = await Promise.all([...phones, ...phones].map((phone) => door.isOptedOut(phone)));
      const expected = phones.map((_, i) => i < 3);
      expect(answers).toEqual([...expected, ...expected]);
      // A number asked about again after it opted out: the answer comes from a new lookup.
      const late = phones[9]!;
      const underWay = door.isOptedOut(phones[0]!);
      await recordOptOut(db, { phone: late, source: "sms" });
      expect(await door.isOptedOut(late)).toBe(true);
      expect(await underWay).toBe(true);
    } finally {
      await database.drop();
    }
  }, 60_000);
});
