import { sql, type Kysely } from "kysely";

/**
 * The organizer's own automatic replies, set in the script modal: `opt_out_reply` is new, and the
 * HELP reply is the existing `help_text`. Empty (NULL) means the default text. Both hold at most
 * 320 characters; the check on `help_text` is NOT VALID so rows written before it stay readable.
 *
 * `help_replies` is the once-a-day rule for HELP answers as a key: the first HELP of a UTC day
 * from a number inserts (phone, day) and is answered; any other that day, on any instance,
 * finds the key taken and gets nothing.
 */
const statements = [
  sql`ALTER TABLE campaigns ADD COLUMN opt_out_reply text
    CONSTRAINT campaigns_opt_out_reply_length CHECK (char_length(opt_out_reply) <= 320)`,
  sql`ALTER TABLE campaigns ADD CONSTRAINT campaigns_help_text_length
    CHECK (char_length(help_text) <= 320) NOT VALID`,
  sql`CREATE TABLE help_replies (
    phone text NOT NULL,
    day date NOT NULL,
    message_id bigint,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (phone, day)
  )`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await statement.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE help_replies`.execute(db);
  await sql`ALTER TABLE campaigns DROP CONSTRAINT campaigns_help_text_length`.execute(db);
  await sql`ALTER TABLE campaigns DROP COLUMN opt_out_reply`.execute(db);
}
