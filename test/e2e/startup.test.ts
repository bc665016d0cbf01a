import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeSlack } from "../support/fake-slack.ts";
import { freePort, runMain, waitHealthy } from "../support/process.ts";
import { createTestDatabase, onPostgres } from "../support/test-db.ts";
import { migrations } from "../../migrations/index.ts";

describe("npm start (src/main.ts as a process)", () => {
  let slack: FakeSlack;
  let dataDir: string;
  beforeAll(async () => {
    slack = await new FakeSlack().start();
    dataDir = mkdtempSync(join(tmpdir(), "textbank-data-"));
  });
  afterAll(async () => {
    await slack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const baseEnv = () => ({
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_SIGNING_SECRET: "s3cret-signing",
    SLACK_API_URL: slack.apiUrl,
  });

  it("stops with exit code 1 and names every bad setting, printing no secret", async () => {
    const app = runMain({
      SLACK_SIGNING_SECRET: "very-secret-value",
      PORT: "eighty",
      TWILIO_ACCOUNT_SID: "AC" + "2".repeat(32),
    });
    expect(await app.exited).toBe(1);
    const out = app.output();
    expect(out).toContain("SLACK_BOT_TOKEN is missing");
    expect(out).toContain("PORT is not a port number");
    expect(out).toContain("TWILIO_AUTH_TOKEN is missing");
    expect(out).not.toContain("very-secret-value");
  });

  // Starting the app as a process (twice here) took 18 s beside a CPU hog: these tests get the
  // time their waits for /healthz allow (60 s each), not the default 30 s.
  it("starts on the embedded database, migrates, answers /healthz, and keeps data across restarts", async () => {
    const port = await freePort();
    const first = runMain({ ...baseEnv(), DATA_DIR: dataDir }, port);
    await waitHealthy(port, Date.now());
    const health = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ ok: true, database: "pglite", sms: "sandbox" });
    expect(first.output()).toContain(`applied migrations: ${Object.keys(migrations).join(", ")}`);
    expect(first.output()).not.toContain(slack.botToken);
    await first.stop();

    const second = runMain({ ...baseEnv(), DATA_DIR: dataDir }, port);
    await waitHealthy(port, Date.now());
    expect(second.output()).not.toContain("applied migrations");
    await second.stop();
  }, 150_000);

  it.runIf(onPostgres)(
    "two instances starting together on one PostgreSQL migrate once and both serve",
    async () => {
      const database = await createTestDatabase();
      // Start from an empty database so both instances race to migrate.
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      await client.query("DROP SCHEMA public CASCADE; CREATE SCHEMA public");
      const [p1, p2] = [await freePort(), await freePort()];
      const env = { ...baseEnv(), DATABASE_URL: database.url! };
      const a = runMain(env, p1);
      const b = runMain(env, p2);
      await Promise.all([waitHealthy(p1, Date.now()), waitHealthy(p2, Date.now())]);
      const { rows } = await client.query("SELECT name FROM kysely_migration");
      expect(rows.map((r: { name: string }) => r.name)).toEqual(Object.keys(migrations));
      const applied = [a.output(), b.output()].filter((out) => out.includes("applied migrations"));
      expect(applied).toHaveLength(1);
      await Promise.all([a.stop(), b.stop()]);
      await client.end();
      await database.drop();
    },
    90_000,
  );
});
