import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { z } from "zod";

// The parts of Slack's manifest schema (slackapi/manifest-schema) that Textbank depends on,
// with Slack's own length limits, checked strictly so a typo in a key fails here.
const manifestSchema = z.strictObject({
  _metadata: z.strictObject({ major_version: z.number().int(), minor_version: z.number().int() }),
  display_information: z.strictObject({
    name: z.string().min(1).max(35),
    description: z.string().min(1).max(140),
    long_description: z.string().min(175).max(4000),
    background_color: z.string().regex(/^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$/),
  }),
  features: z.strictObject({
    app_home: z.strictObject({
      home_tab_enabled: z.literal(true),
      messages_tab_enabled: z.literal(true),
      messages_tab_read_only_enabled: z.literal(false),
    }),
    bot_user: z.strictObject({ display_name: z.string().min(1).max(80), always_online: z.boolean() }),
    slash_commands: z
      .array(
        z.strictObject({
          command: z.string().regex(/^\//).max(32),
          description: z.string().min(1).max(2000),
          usage_hint: z.string().min(1).max(1000),
          should_escape: z.boolean(),
        }),
      )
      .min(1),
  }),
  oauth_config: z.strictObject({ scopes: z.strictObject({ bot: z.array(z.string().max(50)) }) }),
  settings: z.strictObject({
    event_subscriptions: z.strictObject({ bot_events: z.array(z.string()) }),
    interactivity: z.strictObject({ is_enabled: z.literal(true) }),
    org_deploy_enabled: z.boolean(),
    socket_mode_enabled: z.literal(true),
    token_rotation_enabled: z.boolean(),
  }),
});

describe("manifest.json", () => {
  const manifest = JSON.parse(readFileSync(new URL("../../manifest.json", import.meta.url), "utf8")) as unknown;

  it("is a valid manifest in one step", () => {
    const result = manifestSchema.safeParse(manifest);
    expect(result.success ? [] : result.error.issues).toEqual([]);
  });

  it("asks for every scope and event the app uses", () => {
    const parsed = manifestSchema.parse(manifest);
    expect(parsed.oauth_config.scopes.bot).toEqual(
      expect.arrayContaining([
        "commands",
        "chat:write",
        "im:write",
        "im:history",
        "files:read",
        "files:write",
        "users:read",
        // Receipts on a volunteer's thread reply (sent, delivered, failed, not sent).
        "reactions:write",
      ]),
    );
    // message.im needs im:history; thread replies in the app's DM arrive as message.im.
    expect(parsed.settings.event_subscriptions.bot_events).toEqual(
      expect.arrayContaining(["message.im", "app_home_opened"]),
    );
    // Mentions in /campaign arrive escaped as <@U…>, which the organizer commands parse.
    expect(parsed.features.slash_commands[0]).toMatchObject({ command: "/campaign", should_escape: true });
  });
});
