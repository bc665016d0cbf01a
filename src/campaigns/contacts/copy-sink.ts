import { once } from "node:events";
import type { PoolClient } from "pg";
import copyStreams from "pg-copy-streams";
import { resolveTimezones } from "../hours/timezones.ts";
import type { ContactFields } from "./csv-parse.ts";

/** COPY text format: backslash, tab, newline and carriage return escaped; \N is NULL. */
function copyText(value: string | null): string {
  if (value === null) return "\\N";
  return value.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r");
}

export interface MergeCounts {
  imported: number;
  optedOut: number;
  alreadyInCampaign: number;
  valid: number;
}

/**
 * PostgreSQL's fast path for big uploads: rows stream into an unindexed temporary table with
 * COPY as they are parsed, then one INSERT … SELECT moves them into contacts, with the same
 * ON CONFLICT and opt-out rules as the batch path. Runs on the caller's client, inside its
 * transaction, so a refusal part-way still leaves nothing.
 */
export class CopySink {
  private stream: ReturnType<typeof copyStreams.from> | undefined;
  private valid = 0;

  constructor(private readonly client: PoolClient, private readonly campaignId: number, private readonly importId: number) {}

  async open(): Promise<void> {
    await this.client.query(`CREATE TEMP TABLE import_rows (
      phone text, first_name text, last_name text, zip text, timezone text, zones text, source text,
      external_id text, custom_fields text, rn integer) ON COMMIT DROP`);
    this.stream = this.client.query(copyStreams.from("COPY import_rows FROM STDIN"));
  }

  async write(rows: { rowNumber: number; contact: ContactFields }[]): Promise<void> {
    let chunk = "";
    for (const { rowNumber, contact } of rows) {
      const zones = resolveTimezones({ timezone: contact.timezone, zip: contact.zip, phone: contact.phone });
      chunk += [
        contact.phone, contact.firstName, contact.lastName, contact.zip,
        zones.source === "column" ? zones.zones[0] ?? null : contact.timezone,
        zones.zones.join(","), zones.source, contact.externalId, JSON.stringify(contact.customFields), String(rowNumber),
      ].map(copyText).join("\t") + "\n";
    }
    this.valid += rows.length;
    if (!this.stream!.write(chunk)) await once(this.stream!, "drain");
  }

  /** Ends an unfinished COPY with CopyFail, so the connection can roll back and be reused. */
  async abort(): Promise<void> {
    const stream = this.stream;
    if (!stream || stream.writableFinished || stream.destroyed) return;
    const closed = new Promise<void>((resolve) => {
      stream.once("error", () => resolve());
      stream.once("close", () => resolve());
    });
    stream.destroy(new Error("upload refused"));
    await closed;
  }

  async merge(): Promise<MergeCounts> {
    this.stream!.end();
    await once(this.stream!, "finish");
    const { rows } = await this.client.query<{ imported: number; opted_out: number; existing: number }>(
      `WITH existing AS (
         SELECT count(*)::int AS n FROM import_rows r
         WHERE EXISTS (SELECT 1 FROM contacts c WHERE c.campaign_id = $1 AND c.phone = r.phone)
       ), inserted AS (
         INSERT INTO contacts (campaign_id, phone, first_name, last_name, zip, timezone, tz_zones, tz_source, external_id, custom_fields, import_id, row_number, status)
         SELECT $1, r.phone, r.first_name, r.last_name, r.zip, r.timezone, string_to_array(r.zones, ','), r.source, r.external_id, r.custom_fields::jsonb, $2, r.rn,
                CASE WHEN EXISTS (SELECT 1 FROM opt_outs o WHERE o.phone = r.phone) THEN 'opted_out' ELSE 'pool' END
         FROM import_rows r ORDER BY r.rn
         ON CONFLICT (campaign_id, phone) DO NOTHING
         RETURNING status
       )
       SELECT (SELECT count(*)::int FROM inserted) AS imported,
              (SELECT count(*)::int FROM inserted WHERE status = 'opted_out') AS opted_out,
              (SELECT n FROM existing) AS existing`,
      [this.campaignId, this.importId],
    );
    const r = rows[0]!;
    return { imported: r.imported, optedOut: r.opted_out, alreadyInCampaign: r.existing, valid: this.valid };
  }
}
