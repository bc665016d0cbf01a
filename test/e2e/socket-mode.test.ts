import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LogLevel } from "@slack/bolt";
import { startTextbank, type Textbank } from "../../src/app.ts";
import { createLogger } from "../../src/logger.ts";
import { parseSettings } from "../../src/settings.ts";
import { FakeSlack } from "../support/fake-slack.ts";
import { FakeSocketMode } from "../support/fake-socket-mode.ts";
import { freePort } from "../support/process.ts";
import { createTestDatabase, type TestDatabase } from "../support/test-db.ts";
import type { DatabaseHandle } from "../../src/db/database.ts";
import { ORGANIZER } from "../support/harness.ts";

describe("Socket Mode (SLACK_APP_TOKEN set)", () => {
  let slack: FakeSlack;
  let socket: FakeSocketMode;
  let db: TestDatabase & { handle: DatabaseHandle };
  let app: Textbank;
  let port: number;
  beforeAll(async () => {
    slack = await new FakeSlack().start();
    socket = await new FakeSocketMode().start();
    slack.socketModeUrl = socket.url;
    db = await createTestDatabase();
    port = await freePort();
    const parsed = parseSettings({
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_APP_TOKEN: "xapp-1-A0001-test",
      SLACK_API_URL: slack.apiUrl,
      PORT: String(port),
      ORGANIZER_IDS: ORGANIZER,
    });
    if (!parsed.ok) throw new Error(parsed.problems.join("\n"));
    app = await startTextbank({
      settings: parsed.settings,
      database: db.handle,
      logger: createLogger(LogLevel.ERROR),
      jobs: false,
    });
    await socket.connected();
  });
  afterAll(async () => {
    await app?.stop();
    await socket?.stop();
    await db?.drop();
    await slack?.stop();
  });

  it("answers a slash command over the socket and serves /healthz and Twilio routes on PORT", async () => {
    expect(app.mode).toBe("socket");
    const ack = await socket.send("slash_commands", {
      token: "x",
      team_id: "T0001",
      channel_id: "C1",
      user_id: ORGANIZER,
      command: "/campaign",
      text: "create sock Socket Campaign",
      response_url: slack.responseUrl(),
      trigger_id: "t1",
    });
    expect(String(ack.payload?.text)).toContain("Created *Socket Campaign*");
    expect(
      await db.handle.db.selectFrom("campaigns").select("slug").where("slug", "=", "sock").executeTakeFirst(),
    ).toBeTruthy();
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    // No Twilio credentials: the webhook has nothing to verify against, so it refuses.
    const webhook = await fetch(`http://127.0.0.1:${port}/twilio/sms`, { method: "POST", body: "From=%2B12025550100" });
    expect(webhook.status).toBe(403);
  });
});
