import { sql, type Kysely } from "kysely";

/**
 * Where an upload's valid rows wait on the embedded database until the whole file has been
 * read. Its one connection serves everyone, so an upload cannot be one long transaction there:
 * rows are staged a batch per statement, and only a file that was read to the end moves into
 * contacts, a chunk per transaction. A refused file never touches contacts. Keyed by row
 * number, so the move reads the file's rows in order (the first of two equal numbers wins).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE TABLE import_staging (
    import_id integer NOT NULL REFERENCES imports ON DELETE CASCADE,
    row_number integer NOT NULL,
    phone text NOT NULL,
    first_name text,
    last_name text,
    zip text,
    timezone text,
    tz_zones text[] NOT NULL,
    tz_source text NOT NULL,
    external_id text,
    custom_fields jsonb NOT NULL,
    PRIMARY KEY (import_id, row_number)
  )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE import_staging`.execute(db);
}
