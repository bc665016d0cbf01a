import type { Readable } from "node:stream";
import type { CountryCode } from "libphonenumber-js";
import { sql } from "kysely";
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
  invalidRows: { rowNumber: number; reason: string }[];
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
 * Imports a contacts CSV into a campaign, all or nothing: every batch goes in inside one
 * transaction, so a refusal or failure part-way (a bad byte at 150 MB) leaves the campaign as
 * it was. One import per campaign at a time (imports_one_running). Duplicates are left to the
 * (campaign, phone) key; opted-out numbers come in marked opted_out and are never handed out.
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
  try {
    await inImportTransaction(db, input.pool, input.campaignId, importId, async (sink) => {
      let custom: { key: string; header: string }[] = [];
      let inFlight: Promise<void> = Promise.resolve();
      for await (const event of parseContactsCsv(input.input, {
        defaultCountry: input.defaultCountry,
        batchSize: 5000,
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
              summary.invalidRows.push({ rowNumber: row.rowNumber, reason: row.reason });
          }
        }
        // One write in flight while the next batch is parsed: Node parses as PostgreSQL writes.
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
    });
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

function mergeCustomColumns(
  known: CustomFieldColumn[] | null,
  custom: { key: string; header: string }[],
): CustomFieldColumn[] {
  const have = known ?? [];
  return [...have, ...custom.filter((c) => !have.some((k) => k.key === c.key))];
}

/**
 * One transaction for the whole upload: COPY through a staging table on PostgreSQL, batched
 * INSERTs on the embedded database (whose single connection has no COPY FROM STDIN).
 */
async function inImportTransaction(
  db: Database,
  pool: Pool | undefined,
  campaignId: number,
  importId: number,
  work: (sink: ContactSink) => Promise<void>,
): Promise<void> {
  if (!pool) {
    await db.transaction().execute(async (tx) => work(new BatchSink(tx, campaignId, importId)));
    return;
  }
  const client = await pool.connect();
  let copy: CopySink | undefined;
  try {
    await client.query("BEGIN");
    copy = new CopySink(client, campaignId, importId);
    await copy.open();
    await work({
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
    });
    await client.query("COMMIT");
  } catch (error) {
    await copy?.abort();
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** The embedded database's path: one INSERT … SELECT unnest(…) per batch. */
class BatchSink implements ContactSink {
  private counts: MergeCounts = { imported: 0, optedOut: 0, alreadyInCampaign: 0, valid: 0 };

  constructor(
    private readonly tx: Database,
    private readonly campaignId: number,
    private readonly importId: number,
  ) {}

  async write(rows: { rowNumber: number; contact: ContactFields }[]): Promise<void> {
    await insertBatch(this.tx, this.campaignId, this.importId, rows, this.counts);
  }

  async finish(custom: { key: string; header: string }[]): Promise<MergeCounts> {
    const campaign = await this.tx
      .selectFrom("campaigns")
      .select("custom_fields")
      .where("id", "=", this.campaignId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    const merged = mergeCustomColumns(campaign.custom_fields as CustomFieldColumn[], custom);
    await this.tx
      .updateTable("campaigns")
      .set({ custom_fields: JSON.stringify(merged), updated_at: sql`now()` })
      .where("id", "=", this.campaignId)
      .execute();
    return this.counts;
  }
}

/** One statement per batch: arrays in, unnest, ON CONFLICT for duplicates, statuses back. */
async function insertBatch(
  tx: Database,
  campaignId: number,
  importId: number,
  rows: { rowNumber: number; contact: ContactFields }[],
  counts: MergeCounts,
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
  const { rows: inserted } = await sql<{ status: string }>`
    INSERT INTO contacts (campaign_id, phone, first_name, last_name, zip, timezone, tz_zones, tz_source, external_id,
                          custom_fields, import_id, row_number, status)
    SELECT ${campaignId}, u.phone, u.first, u.last, u.zip, u.tz, string_to_array(u.zones, ','), u.source, u.ext,
           u.custom::jsonb, ${importId}, u.rn,
           CASE WHEN EXISTS (SELECT 1 FROM opt_outs o WHERE o.phone = u.phone) THEN 'opted_out' ELSE 'pool' END
    FROM unnest(${cols.phone}::text[], ${cols.first}::text[], ${cols.last}::text[], ${cols.zip}::text[],
                ${cols.tz}::text[], ${cols.zones}::text[], ${cols.source}::text[], ${cols.ext}::text[],
                ${cols.custom}::text[], ${cols.row}::int[])
         AS u(phone, first, last, zip, tz, zones, source, ext, custom, rn)
    ON CONFLICT (campaign_id, phone) DO NOTHING
    RETURNING status`.execute(tx);
  counts.valid += rows.length;
  counts.imported += inserted.length;
  counts.optedOut += inserted.filter((r) => r.status === "opted_out").length;
  const conflicts = rows.length - inserted.length;
  if (conflicts > 0) {
    const existing = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM contacts
      WHERE campaign_id = ${campaignId} AND phone = ANY(${cols.phone}::text[])
        AND import_id IS DISTINCT FROM ${importId}`.execute(tx);
    counts.alreadyInCampaign += Math.min(existing.rows[0]!.n, conflicts);
  }
}
