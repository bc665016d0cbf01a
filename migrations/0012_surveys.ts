import { sql, type Kysely } from "kysely";

/**
 * Surveys. The questions live on the campaign next to the rest of its script, so a
 * save writes them in the same UPDATE; each keeps a stable id, and a removed one stays listed
 * (flagged) so its recorded answers still have a label in stats and the export.
 *
 * Answers keep their history: choosing again marks the current row replaced and adds a new one,
 * and the partial unique index allows one current answer per conversation and question.
 * Notes are plain rows kept with the conversation.
 */
const statements = [
  sql`ALTER TABLE campaigns ADD COLUMN survey_questions jsonb NOT NULL DEFAULT '[]'`,
  sql`CREATE TABLE survey_answers (
    id bigserial PRIMARY KEY,
    campaign_id integer NOT NULL REFERENCES campaigns ON DELETE CASCADE,
    conversation_id bigint NOT NULL REFERENCES conversations ON DELETE CASCADE,
    question_id integer NOT NULL,
    answer text NOT NULL,
    user_id text NOT NULL,
    source text NOT NULL CHECK (source IN ('button', 'canned')),
    created_at timestamptz NOT NULL DEFAULT now(),
    replaced_at timestamptz
  )`,
  sql`CREATE UNIQUE INDEX survey_answers_current ON survey_answers (conversation_id, question_id)
    WHERE replaced_at IS NULL`,
  // Stats count the current answers of one campaign by question and answer from this index alone.
  sql`CREATE INDEX survey_answers_tally ON survey_answers (campaign_id, question_id, answer)
    WHERE replaced_at IS NULL`,
  sql`CREATE TABLE conversation_notes (
    id bigserial PRIMARY KEY,
    conversation_id bigint NOT NULL REFERENCES conversations ON DELETE CASCADE,
    user_id text NOT NULL,
    body text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 1000),
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
  sql`CREATE INDEX conversation_notes_conversation ON conversation_notes (conversation_id, id)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await statement.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE conversation_notes`.execute(db);
  await sql`DROP TABLE survey_answers`.execute(db);
  await sql`ALTER TABLE campaigns DROP COLUMN survey_questions`.execute(db);
}
