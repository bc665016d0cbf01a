import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { CountryCode } from "libphonenumber-js";
import { sql, type RawBuilder } from "kysely";
import type { Database } from "../../db/database.ts";
import type { CustomFieldColumn } from "../../db/schema.ts";
import { resolveTimezones } from "../hours/timezones.ts";
import { parseContactsCsv, type ContactFields } from "./csv-parse.ts";
import { CopySink, type MergeCounts } from "./copy-sink.ts";
import type { Pool } from "pg";

export interface ImportSummary {
  rows: number;
  imported: number;
  duplicatesInFile: number;
  duplicatesInCampaign: number;
  invalid: number;
  /** The first 20 invalid rows, with the spreadsheet row number and why. */
  invalidRows: { rowNumber: number; reason: string; name?: string }[];
  optedOut: number;
  customColumns: string[];
}

export type ImportResult = { ok: true; summary: ImportSummary } | { ok: false; reason: string; busy?: boolean };

export interface ImportInput {
  campaignId: number;
  startedBy: string;
  fileName: string | null;
  input: Readable | AsyncIterable<Uint8Array>;
  defaultCountry: CountryCode;
  onProgress?: (bytesRead: number, rowsRead: number) => void;
  /** The PostgreSQL pool, for COPY; absent on the embedded database. */
  pool?: Pool;
}

class Refused extends Error {}

/**
 * Imports a contacts CSV into a campaign, all or nothing: a refusal or failure part-way (a bad
 * byte at 150 MB) leaves the campaign as it was — on PostgreSQL because the whole upload is one
 * transaction, on the embedded database because the rows wait in a staging table until the
 * whole file has been read (see StagingSink). One import per campaign at a time
 * (imports_one_running). Duplicates are left to the (campaign, phone) key; opted-out numbers
 * come in marked opted_out and are never handed out.
 */
export async function importContacts(db: Database, input: ImportInput): Promise<ImportResult> {
  let importId: number;
  try {
    const row = await db
      .insertInto("imports")
      .values({ campaign_id: input.campaignId, started_by: input.startedBy, file_name: input.fileName })
      .returning("id")
      .executeTakeFirstOrThrow();
    importId = row.id;
  } catch (error) {
    if ((error as { code?: string }).code === "23505") {
      return {
        ok: false,
        busy: true,
        reason: "Another upload to this campaign is still running; wait for its summary, then upload again.",
      };
    }
    throw error;
  }
  const summary: ImportSummary = {
    rows: 0,
    imported: 0,
    duplicatesInFile: 0,
    duplicatesInCampaign: 0,
    invalid: 0,
    invalidRows: [],
    optedOut: 0,
    customColumns: [],
  };
  const work: ImportWork = async (sink, source) => {
    let custom: { key: string; header: string }[] = [];
    let inFlight: Promise<void> = Promise.resolve();
    for await (const event of parseContactsCsv(source, {
      defaultCountry: input.defaultCountry,
      batchSize: input.pool ? 5000 : EMBEDDED_BATCH,
      onProgress: (bytes) => input.onProgress?.(bytes, summary.rows),
    })) {
      if (event.type === "fatal") throw new Refused(event.reason);
      if (event.type === "header") custom = event.columns.custom.map(({ key, header }) => ({ key, header }));
      if (event.type !== "batch") continue;
      const good: { rowNumber: number; contact: ContactFields }[] = [];
      for (const row of event.rows) {
        summary.rows += 1;
        if (row.ok) good.push(row);
        else {
          summary.invalid += 1;
          if (summary.invalidRows.length < 20)
            summary.invalidRows.push({
              rowNumber: row.rowNumber,
              reason: row.reason,
              ...(row.name ? { name: row.name } : {}),
            });
        }
      }
      // One write in flight while the next batch is parsed: Node parses as the database writes.
      await inFlight;
      if (good.length) {
        inFlight = sink.write(good);
        inFlight.catch(() => undefined); // awaited (and rethrown) before the next batch
      }
    }
    await inFlight;
    if (summary.rows === 0) throw new Refused("The file has a header row but no contacts.");
    const counts = await sink.finish(custom);
    summary.imported = counts.imported;
    summary.optedOut = counts.optedOut;
    summary.duplicatesInCampaign = counts.alreadyInCampaign;
    summary.duplicatesInFile = counts.valid - counts.imported - counts.alreadyInCampaign;
    summary.customColumns = custom.map((c) => c.header);
  };
  try {
    if (input.pool) await inImportTransaction(input.pool, input.campaignId, importId, input.input, work);
    else await inShortTransactions(db, input.campaignId, importId, input.input, work);
  } catch (error) {
    const reason =
      error instanceof Refused ? error.message : "The upload failed on our side and nothing was imported; try again.";
    await db
      .updateTable("imports")
      .set({ state: "failed", error: reason, finished_at: new Date() })
      .where("id", "=", importId)
      .execute();
    if (error instanceof Refused) return { ok: false, reason };
    throw error;
  }
  await db
    .updateTable("imports")
    .set({
      state: "done",
      rows_read: summary.rows,
      imported: summary.imported,
      duplicates: summary.duplicatesInFile + summary.duplicatesInCampaign,
      invalid: summary.invalid,
      opted_out: summary.optedOut,
      summary: JSON.stringify(summary),
      finished_at: new Date(),
    })
    .where("id", "=", importId)
    .execute();
  // Fresh statistics keep the claim and stats queries on their indexes after a big load.
  if (summary.imported > 10_000) await sql`ANALYZE contacts`.execute(db);
  return { ok: true, summary };
}

interface ContactSink {
  write(rows: { rowNumber: number; contact: ContactFields }[]): Promise<void>;
  /** Moves the rows in (if staged) and records the campaign's new custom columns. */
  finish(custom: { key: string; header: string }[]): Promise<MergeCounts>;
}

type Source = Readable | AsyncIterable<Uint8Array>;
type ImportWork = (sink: ContactSink, source: Source) => Promise<void>;

function mergeCustomColumns(
  known: CustomFieldColumn[] | null,
  custom: { key: string; header: string }[],
): CustomFieldColumn[] {
  const have = known ?? [];
  return [...have, ...custom.filter((c) => !have.some((k) => k.key === c.key))];
}

/** PostgreSQL: one transaction for the whole upload, COPY straight from the download as it arrives. */
async function inImportTransaction(
  pool: Pool,
  campaignId: number,
  importId: number,
  source: Source,
  work: ImportWork,
): Promise<void> {
  const client = await pool.connect();
  let copy: CopySink | undefined;
  try {
    await client.query("BEGIN");
    await client.query("SET LOCAL statement_timeout = 0"); // the COPY lasts as long as the upload: no pool bound
    copy = new CopySink(client, campaignId, importId);
    await copy.open();
    await work(
      {
        write: (rows) => copy!.write(rows),
        finish: async (custom) => {
          const counts = await copy!.merge();
          const { rows } = await client.query<{ custom_fields: CustomFieldColumn[] }>(
            "SELECT custom_fields FROM campaigns WHERE id = $1 FOR UPDATE",
            [campaignId],
          );
          await client.query("UPDATE campaigns SET custom_fields = $2, updated_at = now() WHERE id = $1", [
            campaignId,
            JSON.stringify(mergeCustomColumns(rows[0]?.custom_fields ?? null, custom)),
          ]);
          return counts;
        },
      },
      source,
    );
    await client.query("COMMIT");
  } catch (error) {
    await copy?.abort();
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/**
 * Rows per statement on the embedded database. Its one connection serves everything else too
 * (Twilio's webhooks, Slack's clicks, /healthz), which waits for the statement under way: a
 * small batch keeps that wait short at little cost to the upload.
 */
const EMBEDDED_BATCH = 1000;

/**
 * The embedded database: the file is downloaded to a temporary file first, so that no
 * statement waits on the network, then staged and moved in short transactions (StagingSink),
 * so that other queries take their turn between them.
 */
async function inShortTransactions(
  db: Database,
  campaignId: number,
  importId: number,
  source: Source,
  work: ImportWork,
): Promise<void> {
  const sink = new StagingSink(db, campaignId, importId);
  const dir = await mkdtemp(join(tmpdir(), "textbank-import-"));
  try {
    const file = join(dir, "upload.csv");
    await pipeline(source, createWriteStream(file));
    await work(sink, createReadStream(file));
  } catch (error) {
    await sink.discard();
    throw error;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Valid rows are staged as they are parsed, a batch per statement, and nothing reaches contacts
 * until the file has been read to the end: a refusal (a bad byte in the last row) deletes the
 * staged rows, and the campaign never saw the file. Then the rows move into contacts a chunk
 * per transaction, in file order, so a contact can be handed out before the last chunk is in;
 * by then only a database failure can stop the upload, and it deletes again the upload's
 * contacts that no one holds, so the organizer still sees it fail whole.
 */
class StagingSink implements ContactSink {
  private counts: MergeCounts = { imported: 0, optedOut: 0, alreadyInCampaign: 0, valid: 0 };
  private pending: Promise<void> = Promise.resolve();
  private moving = false;

  constructor(
    private readonly db: Database,
    private readonly campaignId: number,
    private readonly importId: number,
  ) {}

  write(rows: { rowNumber: number; contact: ContactFields }[]): Promise<void> {
    this.counts.valid += rows.length;
    this.pending = stageBatch(this.db, this.importId, rows);
    return this.pending;
  }

  async finish(custom: { key: string; header: string }[]): Promise<MergeCounts> {
    this.moving = true;
    let after = 0;
    for (;;) {
      await nextTurn();
      const last = await this.db
        .transaction()
        .execute((tx) => moveChunk(tx, this.campaignId, this.importId, after, this.counts));
      if (last === undefined) break;
      after = last;
    }
    await this.db.transaction().execute(async (tx) => {
      const campaign = await tx
        .selectFrom("campaigns")
        .select("custom_fields")
        .where("id", "=", this.campaignId)
        .forUpdate()
        .executeTakeFirstOrThrow();
      const merged = mergeCustomColumns(campaign.custom_fields as CustomFieldColumn[], custom);
      await tx
        .updateTable("campaigns")
        .set({ custom_fields: JSON.stringify(merged), updated_at: sql`now()` })
        .where("id", "=", this.campaignId)
        .execute();
    });
    return this.counts;
  }

  /** Deletes what the upload left: staged rows, and once moving began, its contacts no one holds. */
  async discard(): Promise<void> {
    await this.pending.catch(() => undefined);
    await deleteInChunks(
      this.db,
      sql`DELETE FROM import_staging WHERE import_id = ${this.importId} AND row_number IN
            (SELECT row_number FROM import_staging WHERE import_id = ${this.importId} LIMIT ${EMBEDDED_BATCH})`,
    );
    if (this.moving)
      await deleteInChunks(
        this.db,
        sql`DELETE FROM contacts WHERE id IN
              (SELECT id FROM contacts WHERE campaign_id = ${this.campaignId} AND import_id = ${this.importId}
                 AND status IN ('pool', 'opted_out') LIMIT ${EMBEDDED_BATCH})`,
      );
  }
}

/**
 * Waits for the event loop to take in what arrived meanwhile. PGlite answers without any I/O,
 * so a loop of statements would otherwise run to its end before a webhook's request is even
 * read, and the short transactions would leave no room at all.
 */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Runs a DELETE of at most EMBEDDED_BATCH rows until it finds fewer: one short transaction each. */
async function deleteInChunks(db: Database, statement: RawBuilder<unknown>): Promise<void> {
  for (;;) {
    await nextTurn();
    const result = await statement.execute(db);
    if (Number(result.numAffectedRows ?? 0) < EMBEDDED_BATCH) return;
  }
}

/**
 * Moves the staged rows after row `after` (one chunk) into contacts, in file order so the first
 * of two equal numbers wins, and counts them. Returns the last row moved; undefined when none
 * were left.
 */
async function moveChunk(
  tx: Database,
  campaignId: number,
  importId: number,
  after: number,
  counts: MergeCounts,
): Promise<number | undefined> {
  const { rows } = await sql<{ moved: number; last: number | null; imported: number; opted: number }>`
    WITH chunk AS (
      SELECT * FROM import_staging WHERE import_id = ${importId} AND row_number > ${after}
      ORDER BY row_number LIMIT ${EMBEDDED_BATCH}
    ), inserted AS (
      INSERT INTO contacts (campaign_id, phone, first_name, last_name, zip, timezone, tz_zones, tz_source,
                            external_id, custom_fields, import_id, row_number, status)
      SELECT ${campaignId}, phone, first_name, last_name, zip, timezone, tz_zones, tz_source,
             external_id, custom_fields, import_id, row_number,
             CASE WHEN EXISTS (SELECT 1 FROM opt_outs o WHERE o.phone = chunk.phone) THEN 'opted_out' ELSE 'pool' END
      FROM chunk ORDER BY row_number
      ON CONFLICT (campaign_id, phone) DO NOTHING
      RETURNING status
    )
    SELECT (SELECT count(*)::int FROM chunk) AS moved, (SELECT max(row_number) FROM chunk) AS last,
           (SELECT count(*)::int FROM inserted) AS imported,
           (SELECT count(*)::int FROM inserted WHERE status = 'opted_out') AS opted`.execute(tx);
  const { moved, last, imported, opted } = rows[0]!;
  if (last === null) return undefined;
  counts.imported += imported;
  counts.optedOut += opted;
  if (moved > imported) {
    // Numbers already in the campaign before this upload; the other conflicts repeat the file.
    const existing = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM contacts
      WHERE campaign_id = ${campaignId} AND import_id IS DISTINCT FROM ${importId}
        AND phone IN (SELECT phone FROM import_staging
                      WHERE import_id = ${importId} AND row_number > ${after} AND row_number <= ${last})`.execute(tx);
    counts.alreadyInCampaign += Math.min(existing.rows[0]!.n, moved - imported);
  }
  await sql`DELETE FROM import_staging
            WHERE import_id = ${importId} AND row_number > ${after} AND row_number <= ${last}`.execute(tx);
  return last;
}

/** One statement per batch: arrays in, unnest, time zones resolved on the way. */
async function stageBatch(
  db: Database,
  importId: number,
  rows: { rowNumber: number; contact: ContactFields }[],
): Promise<void> {
  const cols = {
    phone: [] as string[],
    first: [] as (string | null)[],
    last: [] as (string | null)[],
    zip: [] as (string | null)[],
    tz: [] as (string | null)[],
    zones: [] as string[],
    source: [] as string[],
    ext: [] as (string | null)[],
    custom: [] as string[],
    row: [] as number[],
  };
  for (const { rowNumber, contact } of rows) {
    const resolved = resolveTimezones({ timezone: contact.timezone, zip: contact.zip, phone: contact.phone });
    cols.phone.push(contact.phone);
    cols.first.push(contact.firstName);
    cols.last.push(contact.lastName);
    cols.zip.push(contact.zip);
    cols.tz.push(resolved.source === "column" ? (resolved.zones[0] ?? null) : contact.timezone);
    cols.zones.push(resolved.zones.join(","));
    cols.source.push(resolved.source);
    cols.ext.push(contact.externalId);
    cols.custom.push(JSON.stringify(contact.customFields));
    cols.row.push(rowNumber);
  }
  await sql`
    INSERT INTO import_staging (import_id, row_number, phone, first_name, last_name, zip, timezone, tz_zones, tz_source,
                                external_id, custom_fields)
    SELECT ${importId}, u.rn, u.phone, u.first, u.last, u.zip, u.tz, string_to_array(u.zones, ','), u.source, u.ext,
           u.custom::jsonb
    FROM unnest(${cols.phone}::text[], ${cols.first}::text[], ${cols.last}::text[], ${cols.zip}::text[],
                ${cols.tz}::text[], ${cols.zones}::text[], ${cols.source}::text[], ${cols.ext}::text[],
                ${cols.custom}::text[], ${cols.row}::int[])
         AS u(phone, first, last, zip, tz, zones, source, ext, custom, rn)`.execute(db);
}
