// npm run bench:organizer — /campaign stats and /campaign export on a 1,000,000-contact
// campaign (200,000 texted, 20,000 replies, tags and opt-outs) on PostgreSQL. The floor, in
// the same run: a bare count(*) over the campaign's contacts, and COPY (SELECT …) TO STDOUT
// of the same rows. Then the survey case: 3 questions answered on 100,000 of the
// conversations (with some history and notes), stats and export again, and what the questions add.
import { createWriteStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import pg from "pg";
import copyStreams from "pg-copy-streams";
import { openDatabase } from "../src/db/database.ts";
import { migrateToLatest } from "../src/db/migrate.ts";
import { campaignStats, exactCampaignStats, type CampaignStats } from "../src/campaigns/stats.ts";
import { campaignSummaries, volunteerHome } from "../src/campaigns/dashboard.ts";
import { roundStats } from "../src/campaigns/followups/rounds.ts";
import { campaignById } from "../src/campaigns/campaigns.ts";
import { parseReviewFilter } from "../src/campaigns/review/filter.ts";
import { resolveReviewFilter, reviewPage } from "../src/campaigns/review/review.ts";
import { exportContacts, exportMessages } from "../src/campaigns/export.ts";
import { benchDatabase } from "./support/database.ts";
import { emit } from "./support/load.ts";
import { round } from "./support/process.ts";

const CONTACTS = Number(process.env.BENCH_CONTACTS ?? 1_000_000);
const database = await benchDatabase("organizer");
const handle = await openDatabase({ databaseUrl: database.url });
await migrateToLatest(handle.db);
const client = new pg.Client({ connectionString: database.url });
await client.connect();
await client.query(
  `INSERT INTO campaigns (slug, title, state, opening_message, created_by, custom_fields) VALUES ('big', 'Big', 'active', 'Hi', 'U0', '[{"key":"ward","header":"Ward"}]')`,
);
await client.query(
  `INSERT INTO contacts (campaign_id, phone, first_name, tz_zones, status, custom_fields)
  SELECT 1, '+1202' || lpad(g::text, 7, '0'), 'C' || g, ARRAY['America/New_York'], CASE WHEN g <= $1 / 5 THEN 'sent' ELSE 'pool' END, jsonb_build_object('ward', 'W' || (g % 50))
  FROM generate_series(1, $1) g`,
  [CONTACTS],
);
await client.query(`INSERT INTO conversations (campaign_id, contact_id, volunteer_id, current_tag, last_inbound_at, replied_at, waiting_since)
  SELECT 1, id, 'UV' || (id % 300), CASE WHEN id % 10 = 0 THEN 'Yes' END, CASE WHEN id % 10 = 0 THEN now() END, CASE WHEN id % 10 = 0 THEN now() END, CASE WHEN id % 20 = 0 THEN now() END FROM contacts WHERE status = 'sent'`);
await client.query(`INSERT INTO messages (campaign_id, contact_id, conversation_id, direction, kind, body, from_phone, to_phone, status, sent_by, error_code)
  SELECT 1, v.contact_id, v.id, 'out', 'opening', 'Hi there', '+15005550006', '+1202', CASE WHEN v.id % 50 = 0 THEN 'failed' ELSE 'delivered' END, v.volunteer_id, CASE WHEN v.id % 50 = 0 THEN 30006 END FROM conversations v`);
await client.query(`INSERT INTO messages (campaign_id, contact_id, conversation_id, direction, kind, body, from_phone, to_phone, status)
  SELECT 1, v.contact_id, v.id, 'in', 'inbound', 'yes', '+1202', '+15005550006', 'received' FROM conversations v WHERE v.current_tag IS NOT NULL`);
await client.query(`INSERT INTO opt_outs (phone, source) SELECT phone, 'seed' FROM contacts WHERE id % 100 = 1`);
await client.query("VACUUM ANALYZE");

const f0 = performance.now();
await client.query("SELECT count(*) FROM contacts WHERE campaign_id = 1");
const floorCount = (performance.now() - f0) / 1000;
const s0 = performance.now();
const stats = await campaignStats(handle.db, 1);
const statsSeconds = (performance.now() - s0) / 1000;
emit({
  bench: "organizer",
  what: "stats",
  contacts: stats.contacts,
  sent: stats.sent,
  replies: stats.replies,
  seconds: round(statsSeconds),
  floorCountSeconds: round(floorCount),
  ratio: round(statsSeconds / floorCount),
});

// The summary counters (migration 0018) against the bare count, medians of 5 warm runs of each:
// stats, the old exact queries they replace (which must give the same figures), and the App Home
// as an organizer (campaignSummaries) and as a volunteer (volunteerHome).
const medianSeconds = async (work: () => Promise<unknown>) => {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await work();
    times.push((performance.now() - t0) / 1000);
  }
  return times.sort((a, b) => a - b)[2]!;
};
const sameOrder = (s: CampaignStats) =>
  JSON.stringify({
    ...s,
    failedByCode: [...s.failedByCode].sort((a, b) => (a.code ?? -1) - (b.code ?? -1)),
    tags: [...s.tags].sort((a, b) => a.tag.localeCompare(b.tag)),
    volunteers: [...s.volunteers].sort((a, b) => a.userId.localeCompare(b.userId)),
    survey: s.survey.map((q) => ({ ...q, answers: [...q.answers].sort((a, b) => a.answer.localeCompare(b.answer)) })),
  });
async function compareStats(what: string): Promise<void> {
  const floor = await medianSeconds(() => client.query("SELECT count(*) FROM contacts WHERE campaign_id = 1"));
  let fast: CampaignStats | undefined;
  const fastSeconds = await medianSeconds(async () => (fast = await campaignStats(handle.db, 1)));
  const e0 = performance.now();
  const exact = await exactCampaignStats(handle.db, 1);
  const exactSeconds = (performance.now() - e0) / 1000;
  const rounds = await medianSeconds(() => roundStats(handle.db, 1));
  const organizerHome = await medianSeconds(() => campaignSummaries(handle.db, 48));
  const volunteer = await medianSeconds(() => volunteerHome(handle.db, "UV7", new Date(Date.now() - 24 * 3600 * 1000)));
  const ms = (seconds: number) => Math.round(seconds * 10_000) / 10;
  const line = (part: string, seconds: number) =>
    emit({
      bench: "organizer",
      what: `${what}: ${part}`,
      ms: ms(seconds),
      floorCountMs: ms(floor),
      ratio: round(seconds / floor),
    });
  line("stats", fastSeconds);
  line("stats, old exact queries (once)", exactSeconds);
  line("follow-up rounds in stats", rounds);
  line("App Home, organizer", organizerHome);
  line("App Home, volunteer", volunteer);
  if (sameOrder(fast!) !== sameOrder(exact)) throw new Error(`${what}: the counters differ from the rows`);
  emit({ bench: "organizer", what: `${what}: counters equal the exact queries`, equal: true });
}
await compareStats("counters");

const dir = mkdtempSync(join(tmpdir(), "textbank-export-bench-"));
let peak = process.memoryUsage().rss;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
const before = process.memoryUsage().rss;
const e0 = performance.now();
await exportContacts(handle.db, 1, join(dir, "contacts.csv"));
const contactsSeconds = (performance.now() - e0) / 1000;
const m0 = performance.now();
await exportMessages(handle.db, 1, join(dir, "messages.csv"));
const messagesSeconds = (performance.now() - m0) / 1000;
clearInterval(sampler);
const c0 = performance.now();
await pipeline(
  client.query(
    copyStreams.to(
      "COPY (SELECT c.*, m.status FROM contacts c LEFT JOIN messages m ON m.contact_id = c.id AND m.kind = 'opening' WHERE c.campaign_id = 1) TO STDOUT WITH CSV",
    ),
  ),
  createWriteStream(join(dir, "floor.csv")),
);
const copySeconds = (performance.now() - c0) / 1000;
emit({
  bench: "organizer",
  what: "export",
  contactsSeconds: round(contactsSeconds),
  contactsMB: round(statSync(join(dir, "contacts.csv")).size / 1e6),
  messagesSeconds: round(messagesSeconds),
  rssBeforeMB: Math.round(before / 1e6),
  peakRssMB: Math.round(peak / 1e6),
  floorCopySeconds: round(copySeconds),
});

// The survey case: three questions, 100,000 conversations answered on all three, one in ten of
// those answers changed once (history rows), and a note on 10,000 conversations.
await client.query(`UPDATE campaigns SET survey_questions = $1::jsonb WHERE id = 1`, [
  JSON.stringify([
    { id: 1, label: "Vote plan", answers: ["Early", "Election Day", "By mail", "Not voting"] },
    { id: 2, label: "Support", answers: ["Yes", "Lean yes", "Undecided", "Lean no", "No", "Refused"] },
    { id: 3, label: "Ride", answers: ["Yes", "No"] },
  ]),
]);
await client.query(`INSERT INTO survey_answers (campaign_id, conversation_id, question_id, answer, user_id, source,
    replaced_at)
  SELECT 1, v.id, q, 'Early', v.volunteer_id, 'button', now() FROM conversations v, generate_series(1, 3) q
  WHERE v.id % 2 = 0 AND v.id % 20 = 0`);
await client.query(`INSERT INTO survey_answers (campaign_id, conversation_id, question_id, answer, user_id, source)
  SELECT 1, v.id, q, (ARRAY[ARRAY['Early', 'Election Day', 'By mail', 'Not voting', 'Early', 'Early'],
                            ARRAY['Yes', 'Lean yes', 'Undecided', 'Lean no', 'No', 'Refused'],
                            ARRAY['Yes', 'No', 'Yes', 'No', 'Yes', 'No']])[q][1 + v.id % 6],
         v.volunteer_id, 'button'
  FROM conversations v, generate_series(1, 3) q WHERE v.id % 2 = 0`);
await client.query(`INSERT INTO conversation_notes (conversation_id, user_id, body)
  SELECT v.id, v.volunteer_id, 'Prefers texts after 6pm; ask about a ride.' FROM conversations v WHERE v.id % 20 = 0`);
await client.query("VACUUM ANALYZE");
const answered = await client.query<{ n: string; current: string }>(
  `SELECT count(DISTINCT conversation_id) AS n, count(*) FILTER (WHERE replaced_at IS NULL) AS current
   FROM survey_answers`,
);
const q0 = performance.now();
const surveyStats = await campaignStats(handle.db, 1);
const surveyStatsSeconds = (performance.now() - q0) / 1000;
emit({
  bench: "organizer",
  what: "stats with survey",
  answeredConversations: Number(answered.rows[0]!.n),
  currentAnswers: Number(answered.rows[0]!.current),
  questions: surveyStats.survey.length,
  seconds: round(surveyStatsSeconds),
  addedSeconds: round(surveyStatsSeconds - statsSeconds),
  floorCountSeconds: round(floorCount),
});
await compareStats("counters with survey");

// A follow-up round over 20,000 of the conversations, 2,000 of them answered after it.
await client.query(`INSERT INTO followup_rounds (campaign_id, round, audience, message, covered, created_by)
  VALUES (1, 1, 'no-reply', 'Still with us?', 20000, 'U0')`);
await client.query(`INSERT INTO messages (campaign_id, contact_id, conversation_id, direction, kind, body, from_phone, to_phone,
    status, sent_by, round_id)
  SELECT 1, v.contact_id, v.id, 'out', 'followup', 'Still with us?', '+15005550006', '+1202', 'delivered', v.volunteer_id, 1
  FROM conversations v WHERE v.id % 10 = 5`);
await client.query(`INSERT INTO messages (campaign_id, contact_id, conversation_id, direction, kind, body, from_phone, to_phone, status)
  SELECT 1, v.contact_id, v.id, 'in', 'inbound', 'still here', '+1202', '+15005550006', 'received'
  FROM conversations v WHERE v.id % 100 = 5`);
await client.query("VACUUM ANALYZE");
await compareStats("counters with survey and a round");
const x0 = performance.now();
await exportContacts(handle.db, 1, join(dir, "contacts-survey.csv"));
const surveyExportSeconds = (performance.now() - x0) / 1000;
emit({
  bench: "organizer",
  what: "export with survey",
  contactsSeconds: round(surveyExportSeconds),
  addedSeconds: round(surveyExportSeconds - contactsSeconds),
  contactsMB: round(statSync(join(dir, "contacts-survey.csv")).size / 1e6),
  floorCopySeconds: round(copySeconds),
});
// The review (/campaign review): one page (10 rows, latest activity first) per filter, against
// the bare count measured again here. Activity spread over the conversations, a few escalated and
// a rare tag, so each filter has a realistic share; medians of 5 warm runs.
await client.query(`UPDATE conversations SET last_outbound_at = now() - make_interval(secs => (300000 - id))`);
await client.query(`UPDATE conversations SET escalated_at = now() WHERE id % 1000 = 7`);
await client.query(`UPDATE conversations SET current_tag = 'Wrong number' WHERE id % 10000 = 3`);
await client.query("VACUUM ANALYZE");
const median = async (work: () => Promise<unknown>) => {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await work();
    times.push((performance.now() - t0) / 1000);
  }
  return times.sort((a, b) => a - b)[2]!;
};
const reviewFloor = await median(() => client.query("SELECT count(*) FROM contacts WHERE campaign_id = 1"));
const reviewCampaign = (await campaignById(handle.db, 1))!;
for (const typed of [
  "",
  "waiting",
  "opted-out",
  "escalated",
  "tag:Yes",
  'tag:"Wrong number"',
  'answer:"Vote plan=Early"',
  "<@UV7>",
  '"yes"',
  '"polling place"',
]) {
  const parsed = parseReviewFilter(typed);
  if (!parsed.ok) throw new Error(parsed.problem);
  const resolved = await resolveReviewFilter(handle.db, reviewCampaign, parsed.filter);
  if (!resolved.ok) throw new Error(resolved.problem);
  let rows = 0;
  const seconds = await median(async () => (rows = (await reviewPage(handle.db, 1, resolved.filter)).rows.length));
  emit({
    bench: "organizer",
    what: "review page",
    filter: typed || "(none)",
    rows,
    ms: Math.round(seconds * 10_000) / 10,
    floorCountMs: Math.round(reviewFloor * 10_000) / 10,
    ratio: round(seconds / reviewFloor),
  });
}
rmSync(dir, { recursive: true, force: true });
await client.end();
await handle.close();
await database.drop();
process.exit(0);
