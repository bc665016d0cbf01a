import pg from "pg";

/** What the benchmarks' fake Slack and fake Twilio expose to the app they start. */
interface Fakes {
  slack: { botToken: string; apiUrl: string };
  twilio: { accountSid: string; authToken: string; url: string; fromNumber: string };
}

/** The environment `npm start` reads, pointed at the benchmark's fakes; `extra` adds or overrides. */
export function benchAppEnv(
  { slack, twilio }: Fakes,
  signingSecret: string,
  extra: Record<string, string>,
): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_SIGNING_SECRET: signingSecret,
    SLACK_API_URL: slack.apiUrl,
    TWILIO_ACCOUNT_SID: twilio.accountSid,
    TWILIO_AUTH_TOKEN: twilio.authToken,
    TWILIO_FROM_NUMBER: twilio.fromNumber,
    TWILIO_API_URL: twilio.url,
    PUBLIC_URL: "https://textbank.example.org",
    ...extra,
  };
}

/**
 * An active campaign texting all day, with `count` contacts numbered from `areaCode` 000-0001
 * in `zone`: what the Send benchmarks press through.
 */
export async function seedActiveCampaign(
  url: string,
  { slug, count, areaCode, zone }: { slug: string; count: number; areaCode: string; zone: string },
): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query(
    `INSERT INTO campaigns (slug, title, state, opening_message, hours_start, hours_end, created_by)
     VALUES ($1, $2, 'active',
             'Hi {first_name}, this is {texter_name} with {campaign}. Can we count on your vote? Reply STOP to opt out.',
             0, 24, 'UBENCH')
     RETURNING id`,
    [slug, `${slug[0]!.toUpperCase()}${slug.slice(1)} campaign`],
  );
  await client.query(
    `INSERT INTO contacts (campaign_id, phone, first_name, tz_zones, tz_source)
     SELECT $1, '+1' || $3 || lpad(g::text, 7, '0'), 'Voter' || g, ARRAY[$4], 'zip' FROM generate_series(1, $2) g`,
    [rows[0].id as number, count, areaCode, zone],
  );
  await client.end();
}
