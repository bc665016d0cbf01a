import { z } from "zod";
import { isSupportedCountry, type CountryCode } from "libphonenumber-js";

/** What to do about each setting, said when it is missing or malformed. */
const HOW_TO = {
  SLACK_BOT_TOKEN:
    "create the app from manifest.json, install it to your workspace and copy its Bot User OAuth Token (xoxb-…)",
  SLACK_APP_TOKEN:
    "in the app's Basic Information, create an App-Level Token with the connections:write scope (xapp-…), " +
    "or unset it for HTTP mode",
  SLACK_SIGNING_SECRET: "copy the Signing Secret from the app's Basic Information page (HTTP mode needs it)",
  SLACK_API_URL: "give the Slack Web API base URL, like https://slack.com/api/, or unset it",
  TWILIO_ACCOUNT_SID:
    "copy the Account SID (AC…) from the Twilio console, or unset both Twilio credentials for the sandbox",
  TWILIO_AUTH_TOKEN: "copy the Auth Token from the Twilio console, or unset both Twilio credentials for the sandbox",
  TWILIO_MESSAGING_SERVICE_SID: "give a Messaging Service SID (MG…) or set TWILIO_FROM_NUMBER instead",
  TWILIO_FROM_NUMBER: "give the sending number in E.164, like +15551234567, or set TWILIO_MESSAGING_SERVICE_SID",
  TWILIO_API_URL: "give the Twilio REST base URL, like https://api.twilio.com, or unset it",
  PUBLIC_URL: "give this app's public base URL, like https://textbank.example.org (Twilio calls it back)",
  DATABASE_URL: "give a PostgreSQL URL like postgres://user@host:5432/db, or unset it for the embedded database",
  DATABASE_POOL_SIZE: "give a whole number of connections from 1 to 500, or unset it for 40",
  DATA_DIR: "give a writable folder for the embedded database, or unset it for ./data",
  PORT: "give a TCP port number from 0 to 65535, or unset it for 3000",
  ORGANIZER_IDS: "give comma-separated Slack user IDs like U012ABC,U034DEF",
  DEFAULT_COUNTRY: "give a two-letter country code like US or GB, or unset it for US",
} as const;

type Name = keyof typeof HOW_TO;

const optionalText = z
  .string()
  .transform((value) => value.trim())
  .optional()
  .transform((value) => (value ? value : undefined));

const httpUrl = (fallback?: string) =>
  optionalText
    .refine((value) => value === undefined || /^https?:\/\/[^\s]+$/.test(value), "is not an http(s) URL")
    .transform((value) => value ?? fallback);

const schema = z
  .object({
    SLACK_BOT_TOKEN: optionalText
      .refine((value) => value !== undefined, "is missing")
      .refine((value) => value === undefined || value.startsWith("xoxb-"), "does not look like a bot token (xoxb-…)")
      .transform((value) => value ?? ""),
    SLACK_APP_TOKEN: optionalText.refine(
      (value) => value === undefined || value.startsWith("xapp-"),
      "does not look like an app-level token (xapp-…)",
    ),
    SLACK_SIGNING_SECRET: optionalText,
    SLACK_API_URL: httpUrl("https://slack.com/api/"),
    TWILIO_ACCOUNT_SID: optionalText.refine(
      (value) => value === undefined || /^AC[0-9a-zA-Z]{32}$/.test(value),
      "must start with AC followed by 32 letters or digits",
    ),
    TWILIO_AUTH_TOKEN: optionalText,
    TWILIO_MESSAGING_SERVICE_SID: optionalText.refine(
      (value) => value === undefined || /^MG[0-9a-zA-Z]{32}$/.test(value),
      "must start with MG followed by 32 letters or digits",
    ),
    TWILIO_FROM_NUMBER: optionalText.refine(
      (value) => value === undefined || /^\+[1-9]\d{6,14}$/.test(value),
      "is not an E.164 number",
    ),
    TWILIO_API_URL: httpUrl("https://api.twilio.com"),
    PUBLIC_URL: httpUrl(),
    DATABASE_URL: optionalText.refine(
      (value) => value === undefined || /^postgres(ql)?:\/\//.test(value),
      "is not a postgres:// URL",
    ),
    // Connections to PostgreSQL per instance. A Send holds one until the app has read the
    // answer, so under load a connection's turn includes the event loop's delay: 300
    // volunteers at ~600 sends/s keep about 40 busy (bench:send), where 20 queued the clicks.
    DATABASE_POOL_SIZE: optionalText
      .refine(
        (value) => value === undefined || (/^\d+$/.test(value) && Number(value) >= 1 && Number(value) <= 500),
        "is not a number from 1 to 500",
      )
      .transform((value) => (value === undefined ? 40 : Number(value))),
    DATA_DIR: optionalText.transform((value) => value ?? "./data"),
    PORT: optionalText
      .refine((value) => value === undefined || (/^\d+$/.test(value) && Number(value) <= 65535), "is not a port number")
      .transform((value) => (value === undefined ? 3000 : Number(value))),
    ORGANIZER_IDS: optionalText
      .transform((value) =>
        (value ?? "")
          .split(",")
          .map((id) => id.trim())
          .filter(Boolean),
      )
      .refine((ids) => ids.every((id) => /^[UW][A-Z0-9]{2,}$/.test(id)), "has an entry that is not a Slack user ID"),
    DEFAULT_COUNTRY: optionalText
      .transform((value) => (value ?? "US").toUpperCase())
      .refine((value) => isSupportedCountry(value), "is not a supported country code")
      .transform((value) => value as CountryCode),
  })
  .superRefine((s, ctx) => {
    const issue = (name: Name, message: string) => ctx.addIssue({ code: "custom", path: [name], message });
    if (!s.SLACK_APP_TOKEN && !s.SLACK_SIGNING_SECRET) issue("SLACK_SIGNING_SECRET", "is missing (HTTP mode needs it)");
    if (Boolean(s.TWILIO_ACCOUNT_SID) !== Boolean(s.TWILIO_AUTH_TOKEN)) {
      issue(
        s.TWILIO_ACCOUNT_SID ? "TWILIO_AUTH_TOKEN" : "TWILIO_ACCOUNT_SID",
        "is missing (Twilio needs both credentials)",
      );
    }
    if (s.TWILIO_ACCOUNT_SID && !s.TWILIO_MESSAGING_SERVICE_SID && !s.TWILIO_FROM_NUMBER) {
      issue("TWILIO_FROM_NUMBER", "is missing (Twilio needs a sender)");
    }
    if (s.TWILIO_ACCOUNT_SID && !s.PUBLIC_URL)
      issue("PUBLIC_URL", "is missing (Twilio status callbacks and signatures use it)");
  });

export type Settings = z.output<typeof schema>;

export type SettingsResult = { ok: true; settings: Settings } | { ok: false; problems: string[] };

/** Every problem at once, each naming the variable and what to do; values are never echoed. */
export function parseSettings(env: Record<string, string | undefined>): SettingsResult {
  const result = schema.safeParse(env);
  if (result.success) return { ok: true, settings: result.data };
  const problems = result.error.issues.map((issue) => {
    const name = String(issue.path[0]) as Name;
    const message = issue.message.startsWith("Invalid input") ? "is missing" : issue.message;
    return `${name} ${message}: ${HOW_TO[name] ?? "check its value"}`;
  });
  return { ok: false, problems: [...new Set(problems)] };
}
