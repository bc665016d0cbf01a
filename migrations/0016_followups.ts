import { sql, type Kysely } from "kysely";

/**
 * Follow-up rounds. A round is numbered per campaign (1, 2, …) and holds one follow-up per
 * contact it covers, chosen when it is created; each follow-up is handed out and held like a
 * contact of the opening pool (one held per volunteer and campaign, a key, not a check in code).
 *
 * A sent follow-up is a message of kind 'followup' that names its round: the partial unique
 * index messages_one_followup allows one per contact and round, as messages_one_opening does
 * for openings, and a CHECK makes sure no follow-up escapes the key with a NULL round.
 */
const KINDS = `'opening', 'reply', 'canned', 'auto', 'inbound', 'followup'`;
const OLD_KINDS = `'opening', 'reply', 'canned', 'auto', 'inbound'`;

const statements = [
  sql`CREATE TABLE followup_rounds (
    id serial PRIMARY KEY,
    campaign_id integer NOT NULL REFERENCES campaigns ON DELETE CASCADE,
    round integer NOT NULL CHECK (round >= 1),
    audience text NOT NULL,
    message text NOT NULL CHECK (char_length(message) BETWEEN 1 AND 1600),
    covered integer NOT NULL,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (campaign_id, round)
  )`,
  sql`CREATE TABLE followups (
    id bigserial PRIMARY KEY,
    round_id integer NOT NULL REFERENCES followup_rounds ON DELETE CASCADE,
    campaign_id integer NOT NULL REFERENCES campaigns ON DELETE CASCADE,
    contact_id bigint NOT NULL REFERENCES contacts ON DELETE CASCADE,
    conversation_id bigint NOT NULL REFERENCES conversations ON DELETE CASCADE,
    status text NOT NULL DEFAULT 'pool' CHECK (status IN ('pool', 'held', 'sent', 'opted_out')),
    held_by text,
    held_at timestamptz,
    last_skipped_by text,
    UNIQUE (round_id, contact_id)
  )`,
  sql`CREATE UNIQUE INDEX followups_one_held ON followups (campaign_id, held_by) WHERE status = 'held'`,
  // What is left to hand out in a campaign, in order; held ones too (a stale hold can be taken over).
  sql`CREATE INDEX followups_open ON followups (campaign_id, id) WHERE status IN ('pool', 'held')`,
  sql`ALTER TABLE messages ADD COLUMN round_id integer REFERENCES followup_rounds ON DELETE CASCADE`,
  sql`ALTER TABLE messages DROP CONSTRAINT messages_kind_check`,
  sql`ALTER TABLE messages ADD CONSTRAINT messages_kind_check CHECK (kind IN (${sql.raw(KINDS)}))`,
  sql`ALTER TABLE messages ADD CONSTRAINT messages_followup_round
    CHECK (kind <> 'followup' OR (round_id IS NOT NULL AND contact_id IS NOT NULL))`,
  sql`CREATE UNIQUE INDEX messages_one_followup ON messages (round_id, contact_id) WHERE kind = 'followup'`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await statement.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DELETE FROM messages WHERE kind = 'followup'`.execute(db);
  await sql`DROP INDEX messages_one_followup`.execute(db);
  await sql`ALTER TABLE messages DROP CONSTRAINT messages_followup_round`.execute(db);
  await sql`ALTER TABLE messages DROP CONSTRAINT messages_kind_check`.execute(db);
  await sql`ALTER TABLE messages ADD CONSTRAINT messages_kind_check CHECK (kind IN (${sql.raw(OLD_KINDS)}))`.execute(
    db,
  );
  await sql`ALTER TABLE messages DROP COLUMN round_id`.execute(db);
  await sql`DROP TABLE followups`.execute(db);
  await sql`DROP TABLE followup_rounds`.execute(db);
}
