// npm run bench:reassign — "Reassign all matching" from /campaign review over 10,000 conversations,
// on PostgreSQL, through signed Slack requests to the real app (Slack faked at its HTTP boundary).
// It prints how long the organizer waited for the ack of Move all, how long the job took to move
// every conversation (batches in short transactions, posts queued in the outbox), and, as the
// floor measured in the same run, one bare UPDATE of the same rows. The posts themselves then go
// out at Slack's pace (about one a second into the new volunteer's DM), which no code can shorten.
import { performance } from "node:perf_hooks";
import { sql } from "kysely";
import { REVIEW_ACTIONS, REVIEW_ALL_CALLBACK, REVIEW_BLOCKS } from "../src/slack/blocks/review.ts";
import { Harness, ORGANIZER } from "../test/support/harness.ts";
import { waitFor } from "../test/support/http-util.ts";
import { emit } from "./support/load.ts";
import { round } from "./support/process.ts";

const CONVERSATIONS = Number(process.env.BENCH_CONVERSATIONS ?? 10_000);
const FROM = "UBENCHFROM";
const TO = "UBENCHTO";
if (!process.env.DATABASE_URL) throw new Error("bench:reassign runs on PostgreSQL: set DATABASE_URL");

const h = await Harness.start();
const { id: campaignId } = await h.db
  .insertInto("campaigns")
  .values({
    slug: "mass",
    title: "Mass move",
    state: "active",
    opening_message: "Hi {first_name}",
    created_by: ORGANIZER,
  })
  .returning("id")
  .executeTakeFirstOrThrow();
await sql`INSERT INTO volunteers (campaign_id, user_id, display_name) VALUES
  (${campaignId}, ${FROM}, 'From'), (${campaignId}, ${TO}, 'To')`.execute(h.db);
await sql`INSERT INTO contacts (campaign_id, phone, first_name, status)
  SELECT ${campaignId}, '+1202' || lpad((5000000 + g)::text, 7, '0'), 'C' || g, 'sent'
  FROM generate_series(1, ${CONVERSATIONS}) g`.execute(h.db);
await sql`INSERT INTO conversations (campaign_id, contact_id, volunteer_id, slack_channel, slack_thread_ts,
    last_inbound_at, waiting_since)
  SELECT ${campaignId}, c.id, ${FROM}, 'DBENCHFROM', '1700000000.' || lpad(c.id::text, 6, '0'),
    now() - make_interval(secs => c.id), now() - make_interval(secs => c.id)
  FROM contacts c WHERE c.campaign_id = ${campaignId}`.execute(h.db);
await sql`INSERT INTO messages (campaign_id, contact_id, conversation_id, direction, kind, body, from_phone, to_phone,
    status, sent_by)
  SELECT ${campaignId}, v.contact_id, v.id, 'out', 'opening', 'Hi there', '+15005550006', c.phone, 'delivered', ${FROM}
  FROM conversations v JOIN contacts c ON c.id = v.contact_id WHERE v.campaign_id = ${campaignId}`.execute(h.db);
await sql`INSERT INTO messages (campaign_id, contact_id, conversation_id, direction, kind, body, from_phone, to_phone,
    status)
  SELECT ${campaignId}, v.contact_id, v.id, 'in', 'inbound', 'Yes, count me in', c.phone, '+15005550006', 'received'
  FROM conversations v JOIN contacts c ON c.id = v.contact_id WHERE v.campaign_id = ${campaignId}`.execute(h.db);
await sql`ANALYZE`.execute(h.db);

// The floor: one bare UPDATE of the same rows (no history, no posts, one transaction).
const f0 = performance.now();
await sql`UPDATE conversations SET volunteer_id = volunteer_id WHERE campaign_id = ${campaignId}`.execute(h.db);
const floorSeconds = (performance.now() - f0) / 1000;

// The organizer: /campaign review mass @from, then Reassign all matching → Move all to TO.
const { triggerId } = await h.command(ORGANIZER, `review mass <@${FROM}>`);
const opened = await h.slack.waitForCall("views.open", (c) => c.args.trigger_id === triggerId, 60_000);
const list = opened.args.view as { callback_id: string; private_metadata: string };
const user = { id: ORGANIZER, username: "organizer", name: "organizer", team_id: "T0001" };
await h.interact({
  type: "block_actions",
  user,
  api_app_id: "A0001",
  token: "unused",
  team: { id: "T0001", domain: "fake" },
  container: { type: "view", view_id: "VBENCH" },
  trigger_id: "trigger.bench",
  view: { id: "VBENCH", team_id: "T0001", type: "modal", ...list, hash: "1", state: { values: {} } },
  actions: [{ type: "button", action_id: REVIEW_ACTIONS.all, block_id: "review_all", value: "all", action_ts: "1" }],
});
const pushed = (await h.slack.waitForCall("views.push", () => true, 60_000)).args.view as { private_metadata: string };
const a0 = performance.now();
const res = await h.interact({
  type: "view_submission",
  team: { id: "T0001", domain: "fake" },
  user,
  api_app_id: "A0001",
  trigger_id: "trigger.bench2",
  view: {
    id: "VBENCHALL",
    team_id: "T0001",
    type: "modal",
    callback_id: REVIEW_ALL_CALLBACK,
    private_metadata: pushed.private_metadata,
    hash: "1",
    state: {
      values: {
        [REVIEW_BLOCKS.allTarget]: { [REVIEW_ACTIONS.allTarget]: { type: "users_select", selected_user: TO } },
      },
    },
  },
});
const ackMs = performance.now() - a0;
if (res.status !== 200) throw new Error(`Move all answered ${res.status}: ${res.text}`);
const job = await waitFor(
  () => h.db.selectFrom("review_jobs").selectAll().where("state", "in", ["done", "failed"]).executeTakeFirst(),
  { timeoutMs: 15 * 60_000, intervalMs: 100, what: "the job to finish" },
);
const jobSeconds = (performance.now() - a0) / 1000;
const summary = await h.slack.waitForCall(
  "chat.postMessage",
  (c) => c.args.channel === ORGANIZER && String(c.args.text).includes("Reassign all"),
  60_000,
);
const { n: moved } = await h.db
  .selectFrom("conversations")
  .select((eb) => eb.fn.countAll<number>().as("n"))
  .where("campaign_id", "=", campaignId)
  .where("volunteer_id", "=", TO)
  .executeTakeFirstOrThrow();
const { n: queued } = await h.db
  .selectFrom("slack_outbox")
  .select((eb) => eb.fn.countAll<number>().as("n"))
  .where("state", "=", "pending")
  .executeTakeFirstOrThrow();
emit({
  bench: "reassign",
  what: "reassign all matching",
  conversations: CONVERSATIONS,
  state: job.state,
  moved: Number(moved),
  moveAllAckMs: round(ackMs),
  jobSeconds: round(jobSeconds),
  floorUpdateSeconds: round(floorSeconds),
  ratio: round(jobSeconds / floorSeconds),
  postsWaitingForSlack: Number(queued),
  organizerSummary: String(summary.args.text).slice(0, 120),
});
await h.stop();
process.exit(0);
