import { Readable } from "node:stream";
import { sql } from "kysely";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { importContacts } from "../../src/campaigns/contacts/import.ts";
import { isConnectionWaitTimeout, isStatementTimeout } from "../../src/db/database.ts";
import { migrateToLatest } from "../../src/db/migrate.ts";
import { buttonsOf, press, startShift } from "../support/cards.ts";
import { Harness, ORGANIZER } from "../support/harness.ts";
import { waitFor } from "../support/http-util.ts";
import { seedCampaign } from "../support/seed.ts";
import { onPostgres } from "../support/test-db.ts";

/** `promise`, or a failure naming `what` once `ms` have passed: a wait that never ends fails the test, not the run. */
async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still waiting for ${what} after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

describe("calls to Slack are bounded", () => {
  let h: Harness;
  beforeAll(async () => {
    // A 2 s request timeout (10 s in production); a retry only within the first second, so a
    // timed-out call is not tried again, while a quick 5xx still would be.
    h = await Harness.start({ slackBounds: { timeoutMs: 2_000, retries: 1, maxRetryTimeMs: 1_000 } });
    await seedCampaign(h.db, { slug: "busy", title: "Busy Slack", contacts: [{ phone: "+15555550101" }] });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it("a long 429 on chat.postMessage fails that call alone: shift says when to retry; modals open", async () => {
    h.slack.failNext("chat.postMessage", 429, { retryAfter: 60 });
    const shift = await h.commandAnswer("UVOLBUSY", "shift busy");
    expect(shift.text).toContain("Sorry, `/campaign shift` did not finish.");
    expect(shift.text).toContain("Slack asked Textbank to slow down for a moment; try again in 60 seconds.");
    expect(shift.text).toMatch(/\(ref [0-9a-f]{6}\)$/);
    expect(h.slack.callsTo("chat.postMessage").filter((c) => c.status === 429)).toHaveLength(1);

    // web-api's default paused every call of the client for the 60 s: views.open, whose
    // trigger_id expires 3 s after the command, went out long after that.
    const opened = h.slack.callsTo("views.open").length;
    const sentAt = Date.now();
    const answer = await h.command(ORGANIZER, "script busy");
    expect(answer.status).toBe(200);
    const call = await waitFor(() => h.slack.callsTo("views.open")[opened], { what: "views.open" });
    expect(call.at - sentAt).toBeLessThan(3_000);
  });

  it("a short Retry-After is waited out for that one call, and the card arrives", async () => {
    const before = h.slack.callsTo("chat.postMessage").length;
    h.slack.failNext("chat.postMessage", 429, { retryAfter: 1 });
    const { answer } = await startShift(h, "UVOLWAIT", "busy");
    expect(answer).toContain("Your shift on *Busy Slack* has started");
    const posts = h.slack.callsTo("chat.postMessage").slice(before);
    expect(posts.map((c) => c.status)).toEqual([429, 200]);
    expect(posts[1]!.at - posts[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it("a Slack call that never answers is abandoned at the timeout, and the organizer is told", async () => {
    h.slack.delayNext("views.open", { count: 5 });
    const opened = h.slack.callsTo("views.open").length;
    const sentAt = Date.now();
    const answer = await within(15_000, "the answer to /campaign script", h.commandAnswer(ORGANIZER, "script busy"));
    expect(answer.text).toContain("Sorry, `/campaign script` did not finish.");
    expect(answer.text).toContain("Slack did not answer in time; try again in a moment.");
    expect(answer.text).not.toMatch(/Error|at .*\.ts/);
    // One try: past maxRetryTime no retry starts, and a stale trigger_id would be useless anyway.
    expect(h.slack.callsTo("views.open").length - opened).toBe(1);
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(1_900);
    h.slack.delayNext("views.open", { count: 0 });
  });
});

describe.runIf(onPostgres)("database waits are bounded (PostgreSQL)", () => {
  const WAIT_MS = 500;
  const STATEMENT_MS = 1_000;
  let h: Harness;
  const clients: pg.Client[] = [];
  const held: pg.PoolClient[] = [];
  /** A session of the test's own on the app's database, outside every pool. */
  const session = async () => {
    const client = new pg.Client({ connectionString: h.testDb.url });
    await client.connect();
    clients.push(client);
    return client;
  };
  /** Holds every connection of the app's main pool, as a burst of slow work would. */
  const exhaustPool = async () => {
    for (let i = 0; i < 2; i++) held.push(await h.appDatabase.pool.connect());
  };
  /** Whether a statement of the app's matching `pattern` has been running (waiting) past the statement timeout. */
  const runningPastTimeout = async (pattern: string) => {
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND state = 'active' AND query LIKE ${pattern}
        AND now() - query_start > make_interval(secs => ${(STATEMENT_MS * 1.5) / 1000})`.execute(h.db);
    return rows[0]!.n > 0;
  };

  beforeAll(async () => {
    h = await Harness.start({
      database: {
        poolSize: 2,
        bounds: { connectionWaitMs: WAIT_MS, statementTimeoutMs: STATEMENT_MS, idleInTransactionMs: 60_000 },
      },
    });
    await seedCampaign(h.db, { slug: "dbbusy", title: "Busy Database", contacts: [{ phone: "+15555550201" }] });
  });
  afterEach(async () => {
    for (const client of held.splice(0)) client.release();
    for (const client of clients.splice(0)) await client.end().catch(() => undefined);
  });
  afterAll(async () => {
    await h?.stop();
  });

  it("with every connection in use, a query fails after the wait bound; a command says Textbank is busy", async () => {
    await exhaustPool();
    const startedAt = Date.now();
    const failure = await within(10_000, "the query", h.appDatabase.db.selectFrom("campaigns").selectAll().execute())
      .then(() => undefined)
      .catch((error: unknown) => error);
    expect(isConnectionWaitTimeout(failure)).toBe(true);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(WAIT_MS - 50);

    const answer = await within(15_000, "the answer to /campaign list", h.commandAnswer(ORGANIZER, "list"));
    expect(answer.text).toContain("Sorry, `/campaign list` did not finish.");
    expect(answer.text).toContain("Textbank is too busy right now");
    expect(answer.text).toContain("try again in a minute");

    for (const client of held.splice(0)) client.release();
    expect(JSON.stringify((await h.commandAnswer(ORGANIZER, "list")).body)).toContain("Busy Database");
  });

  it("a card button pressed while every connection is in use answers the presser that Textbank is busy", async () => {
    const { blocks } = await startShift(h, "UVOLDB", "dbbusy");
    const send = buttonsOf(blocks).card_send!;
    await exhaustPool();
    const { responseUrl } = await press(h, "UVOLDB", send);
    const post = await h.slack.waitForResponse(responseUrl);
    expect(post.body.response_type).toBe("ephemeral");
    expect(post.body.replace_original).toBe(false);
    expect(String(post.body.text)).toMatch(/^That click did not go through\. Textbank is too busy right now/);
    expect(String(post.body.text)).toMatch(/\(ref [0-9a-f]{6}\)$/);
  });

  it("a statement past the statement timeout is cancelled", async () => {
    const startedAt = Date.now();
    const failure = await within(10_000, "pg_sleep", sql`SELECT pg_sleep(5)`.execute(h.appDatabase.db))
      .then(() => undefined)
      .catch((error: unknown) => error);
    expect(isStatementTimeout(failure)).toBe(true);
    expect(Date.now() - startedAt).toBeLessThan(4_000);
  });

  it("a text arriving while its table is locked is answered 500 in time, stored when Twilio tries again", async () => {
    const locker = await session();
    await locker.query("BEGIN");
    await locker.query("LOCK TABLE messages IN EXCLUSIVE MODE");
    const params = {
      MessageSid: `SM${"7".repeat(32)}`,
      AccountSid: h.twilio.accountSid,
      From: "+15555550299",
      To: h.twilio.fromNumber,
      Body: "are you there?",
      NumMedia: "0",
    };
    const startedAt = Date.now();
    const first = await within(10_000, "the answer to Twilio", h.twilioWebhook("/twilio/sms", params));
    expect(first.status).toBe(500);
    expect(Date.now() - startedAt).toBeLessThan(5_000);
    await locker.query("COMMIT");
    const again = await h.twilioWebhook("/twilio/sms", params);
    expect(again.status).toBe(200);
    const stored = await h.db.selectFrom("messages").select("id").where("twilio_sid", "=", params.MessageSid).execute();
    expect(stored).toHaveLength(1);
  });

  it("migrations wait on another instance's migration lock past the statement timeout", async () => {
    const other = await session();
    // Kysely's PostgreSQL migration lock (PostgresAdapter.acquireMigrationLock).
    await other.query("SELECT pg_advisory_lock(3853314791062309107)");
    const migrating = migrateToLatest(h.appDatabase.db);
    migrating.catch(() => undefined); // awaited below; a failure meanwhile must not go unhandled
    await waitFor(() => runningPastTimeout("%pg_advisory_lock%"), { what: "the migration waiting past the timeout" });
    await other.query("SELECT pg_advisory_unlock(3853314791062309107)");
    expect(await within(10_000, "the migration", migrating)).toEqual([]);
  });

  it("a contacts import on PostgreSQL runs past the statement timeout", async () => {
    const { campaignId } = await seedCampaign(h.db, { slug: "dbimport", contacts: [] });
    const locker = await session();
    await locker.query("BEGIN");
    // SHARE lets the import read contacts but holds its COPY into them, as a long upload would take.
    await locker.query("LOCK TABLE contacts IN SHARE MODE");
    const importing = importContacts(h.appDatabase.db, {
      campaignId,
      startedBy: ORGANIZER,
      fileName: "slow.csv",
      input: Readable.from([Buffer.from("phone,first_name\n2025550301,Ann\n2025550302,Bo\n")]),
      defaultCountry: "US",
      pool: h.appDatabase.pool,
    });
    importing.catch(() => undefined); // awaited below
    await waitFor(() => runningPastTimeout("COPY contacts%"), { what: "the COPY waiting past the timeout" });
    await locker.query("COMMIT");
    const result = await within(10_000, "the import", importing);
    expect(result.ok && result.summary.imported).toBe(2);
  });
});
