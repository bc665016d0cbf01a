import { describe, expect, it } from "vitest";
import { parseSettings } from "../../src/settings.ts";

const base = { SLACK_BOT_TOKEN: "xoxb-1-2-abc", SLACK_SIGNING_SECRET: "secret-value" };

describe("settings", () => {
  it("accepts the minimum for HTTP mode and fills defaults", () => {
    const result = parseSettings(base);
    expect(result).toMatchObject({
      ok: true,
      settings: {
        PORT: 3000,
        DATA_DIR: "./data",
        DATABASE_POOL_SIZE: 40,
        DEFAULT_COUNTRY: "US",
        SLACK_API_URL: "https://slack.com/api/",
        TWILIO_API_URL: "https://api.twilio.com",
        ORGANIZER_IDS: [],
      },
    });
  });

  it("accepts Socket Mode without a signing secret", () => {
    expect(parseSettings({ SLACK_BOT_TOKEN: "xoxb-1", SLACK_APP_TOKEN: "xapp-1-A" }).ok).toBe(true);
  });

  it("lists every problem at once, naming each variable and what to do", () => {
    const result = parseSettings({ PORT: "http", DEFAULT_COUNTRY: "XX", ORGANIZER_IDS: "U123,someone" });
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    expect(problems.find((p) => p.startsWith("SLACK_BOT_TOKEN is missing"))).toContain("manifest.json");
    expect(problems.some((p) => p.startsWith("SLACK_SIGNING_SECRET is missing"))).toBe(true);
    expect(problems.some((p) => p.startsWith("PORT is not a port number"))).toBe(true);
    expect(problems.some((p) => p.startsWith("DEFAULT_COUNTRY is not a supported country code"))).toBe(true);
    expect(problems.some((p) => p.startsWith("ORGANIZER_IDS has an entry that is not a Slack user ID"))).toBe(true);
  });

  it("requires both Twilio credentials, a sender and PUBLIC_URL once Twilio is configured", () => {
    const result = parseSettings({ ...base, TWILIO_ACCOUNT_SID: "AC" + "1".repeat(32) });
    expect(result.ok).toBe(false);
    const text = result.ok ? "" : result.problems.join("\n");
    expect(text).toContain("TWILIO_AUTH_TOKEN is missing");
    expect(text).toContain("TWILIO_FROM_NUMBER is missing");
    expect(text).toContain("PUBLIC_URL is missing");
  });

  it("never echoes a secret value in a problem", () => {
    const result = parseSettings({
      SLACK_BOT_TOKEN: "not-a-token-SECRET123",
      SLACK_SIGNING_SECRET: "x",
      TWILIO_ACCOUNT_SID: "ACsecretvalue987",
    });
    const text = result.ok ? "" : result.problems.join("\n");
    expect(text).toContain("SLACK_BOT_TOKEN does not look like a bot token");
    expect(text).not.toContain("SECRET123");
    expect(text).not.toContain("secretvalue987");
  });

  it("takes a pool size from 1 to 500 and refuses anything else", () => {
    expect(parseSettings({ ...base, DATABASE_POOL_SIZE: "64" })).toMatchObject({
      ok: true,
      settings: { DATABASE_POOL_SIZE: 64 },
    });
    for (const bad of ["0", "501", "ten", "4.5"]) {
      const result = parseSettings({ ...base, DATABASE_POOL_SIZE: bad });
      expect(result.ok ? [] : result.problems).toEqual([
        "DATABASE_POOL_SIZE is not a number from 1 to 500: give a whole number of connections from 1 to 500, or unset it for 40",
      ]);
    }
  });

  it("refuses malformed URLs, SIDs and numbers", () => {
    const result = parseSettings({
      ...base,
      SLACK_API_URL: "slack.com/api",
      TWILIO_ACCOUNT_SID: "XX1",
      TWILIO_AUTH_TOKEN: "t",
      TWILIO_FROM_NUMBER: "555-1234",
      PUBLIC_URL: "ftp://x",
      DATABASE_URL: "mysql://x",
    });
    const text = result.ok ? "" : result.problems.join("\n");
    for (const name of ["SLACK_API_URL", "TWILIO_ACCOUNT_SID", "TWILIO_FROM_NUMBER", "PUBLIC_URL", "DATABASE_URL"]) {
      expect(text).toContain(name);
    }
  });
});
