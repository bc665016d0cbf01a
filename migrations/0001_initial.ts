import { sql, type Kysely } from "kysely";

/**
 * The first schema. SPEC §9's guarantees are keys here, not checks in code:
 * one opening message per (campaign, contact), one row per Twilio MessageSid,
 * one opt-out per phone number, one row per Slack event_id, one running import per campaign.
 */
const statements = [
  sql`CREATE TABLE organizers (
    user_id text PRIMARY KEY,
    added_by text NOT NULL,
    added_at timestamptz NOT NULL DEFAULT now()
  )`,
  sql`CREATE TABLE campaigns (
    id serial PRIMARY KEY,
    slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9-]{2,40}$'),
    title text NOT NULL,
    state text NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'active', 'paused', 'archived')),
    opening_message text,
    canned_replies jsonb NOT NULL DEFAULT '[]',
    outcome_tags jsonb NOT NULL DEFAULT '[]',
    help_text text,
    hours_start integer NOT NULL DEFAULT 9,
    hours_end integer NOT NULL DEFAULT 20,
    custom_fields jsonb NOT NULL DEFAULT '[]',
    stale_reply_minutes integer NOT NULL DEFAULT 60,
    auto_release_stale boolean NOT NULL DEFAULT false,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (hours_start >= 0 AND hours_end <= 24 AND hours_start < hours_end)
  )`,
  sql`CREATE TABLE imports (
    id serial PRIMARY KEY,
    campaign_id integer NOT NULL REFERENCES campaigns ON DELETE CASCADE,
    state text NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'done', 'failed')),
    file_name text,
    started_by text NOT NULL,
    rows_read integer NOT NULL DEFAULT 0,
    imported integer NOT NULL DEFAULT 0,
    duplicates integer NOT NULL DEFAULT 0,
    invalid integer NOT NULL DEFAULT 0,
    opted_out integer NOT NULL DEFAULT 0,
    summary jsonb,
    error text,
    started_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
  )`,
  sql`CREATE UNIQUE INDEX imports_one_running ON imports (campaign_id) WHERE state = 'running'`,
  sql`CREATE TABLE contacts (
    id bigserial PRIMARY KEY,
    campaign_id integer NOT NULL REFERENCES campaigns ON DELETE CASCADE,
    phone text NOT NULL,
    first_name text,
    last_name text,
    zip text,
    timezone text,
    tz_zones text[] NOT NULL DEFAULT '{}',
    tz_source text NOT NULL DEFAULT 'unknown',
    external_id text,
    custom_fields jsonb NOT NULL DEFAULT '{}',
    import_id integer REFERENCES imports ON DELETE SET NULL,
    row_number integer,
    status text NOT NULL DEFAULT 'pool'
      CHECK (status IN ('pool', 'held', 'sent', 'skipped', 'failed', 'opted_out')),
    held_by text,
    held_at timestamptz,
    skip_count integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (campaign_id, phone)
  )`,
  sql`CREATE INDEX contacts_pool ON contacts (campaign_id, id) WHERE status = 'pool'`,
  sql`CREATE INDEX contacts_held ON contacts (campaign_id, held_by) WHERE status = 'held'`,
  sql`CREATE INDEX contacts_phone ON contacts (phone)`,
  sql`CREATE TABLE volunteers (
    campaign_id integer NOT NULL REFERENCES campaigns ON DELETE CASCADE,
    user_id text NOT NULL,
    dm_channel text,
    on_shift boolean NOT NULL DEFAULT false,
    joined_at timestamptz NOT NULL DEFAULT now(),
    last_active_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (campaign_id, user_id)
  )`,
  sql`CREATE TABLE conversations (
    id bigserial PRIMARY KEY,
    campaign_id integer NOT NULL REFERENCES campaigns ON DELETE CASCADE,
    contact_id bigint NOT NULL REFERENCES contacts ON DELETE CASCADE,
    volunteer_id text,
    slack_channel text,
    slack_thread_ts text,
    current_tag text,
    tagged_by text,
    tagged_at timestamptz,
    waiting_since timestamptz,
    last_inbound_at timestamptz,
    last_outbound_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (campaign_id, contact_id)
  )`,
  sql`CREATE INDEX conversations_volunteer ON conversations (volunteer_id, waiting_since)`,
  sql`CREATE TABLE messages (
    id bigserial PRIMARY KEY,
    campaign_id integer REFERENCES campaigns ON DELETE CASCADE,
    contact_id bigint REFERENCES contacts ON DELETE CASCADE,
    conversation_id bigint REFERENCES conversations ON DELETE CASCADE,
    direction text NOT NULL CHECK (direction IN ('out', 'in')),
    kind text NOT NULL CHECK (kind IN ('opening', 'reply', 'canned', 'auto', 'inbound')),
    body text NOT NULL,
    media_urls jsonb NOT NULL DEFAULT '[]',
    from_phone text NOT NULL,
    to_phone text NOT NULL,
    twilio_sid text UNIQUE,
    status text NOT NULL CHECK (status IN
      ('queued', 'sending', 'accepted', 'sent', 'delivered', 'undelivered', 'failed', 'received', 'read')),
    error_code integer,
    sent_by text,
    idempotency_key text UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  sql`CREATE UNIQUE INDEX messages_one_opening ON messages (campaign_id, contact_id) WHERE kind = 'opening'`,
  sql`CREATE INDEX messages_conversation ON messages (conversation_id, id)`,
  sql`CREATE INDEX messages_campaign ON messages (campaign_id, direction, status)`,
  sql`CREATE TABLE opt_outs (
    phone text PRIMARY KEY,
    source text NOT NULL,
    keyword text,
    campaign_id integer REFERENCES campaigns ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
  sql`CREATE TABLE opt_out_events (
    id bigserial PRIMARY KEY,
    phone text NOT NULL,
    action text NOT NULL CHECK (action IN ('out', 'in')),
    source text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
  sql`CREATE TABLE outcome_events (
    id bigserial PRIMARY KEY,
    conversation_id bigint NOT NULL REFERENCES conversations ON DELETE CASCADE,
    tag text NOT NULL,
    user_id text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
  sql`CREATE TABLE slack_events (
    event_id text PRIMARY KEY,
    received_at timestamptz NOT NULL DEFAULT now()
  )`,
  sql`CREATE TABLE slack_outbox (
    id bigserial PRIMARY KEY,
    dedupe_key text NOT NULL UNIQUE,
    channel text NOT NULL,
    method text NOT NULL DEFAULT 'chat.postMessage',
    payload jsonb NOT NULL,
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'posted', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    locked_until timestamptz,
    last_error text,
    posted_ts text,
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
  sql`CREATE INDEX slack_outbox_due ON slack_outbox (next_attempt_at) WHERE state = 'pending'`,
  sql`CREATE TABLE shifts (
    id serial PRIMARY KEY,
    campaign_id integer NOT NULL REFERENCES campaigns ON DELETE CASCADE,
    starts_at timestamptz NOT NULL,
    ends_at timestamptz NOT NULL,
    channel_id text NOT NULL,
    created_by text NOT NULL,
    kickoff_ts text,
    kickoff_posted_at timestamptz,
    recap_posted_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (starts_at < ends_at)
  )`,
  sql`CREATE TABLE job_runs (
    job text NOT NULL,
    run_key text NOT NULL,
    instance text NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    PRIMARY KEY (job, run_key)
  )`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await statement.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    "job_runs",
    "shifts",
    "slack_outbox",
    "slack_events",
    "outcome_events",
    "opt_out_events",
    "opt_outs",
    "messages",
    "conversations",
    "volunteers",
    "contacts",
    "imports",
    "campaigns",
    "organizers",
  ]) {
    await sql`DROP TABLE IF EXISTS ${sql.table(table)} CASCADE`.execute(db);
  }
}
