import { once } from "node:events";
import type { PoolClient } from "pg";
import copyStreams from "pg-copy-streams";
import { resolveTimezones } from "../hours/timezones.ts";
import type { ContactFields } from "./csv-parse.ts";
import { PhoneSet } from "./phone-set.ts";

/** COPY text format: backslash, tab, newline and carriage return escaped; \N is NULL. */
function copyText(value: string | null): string {
  if (value === null) return "\\N";
  return value.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r");
}

/** A text[] literal, each element quoted (zone names are plain, but a literal must never break). */
function textArray(values: string[]): string {
  return `{${values.map((v) => `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(",")}}`;
}

export interface MergeCounts {
  imported: number;
  optedOut: number;
  alreadyInCampaign: number;
  valid: number;
}

/**
 * PostgreSQL's fast path for big uploads: rows COPY straight into contacts as they are parsed,
 * so Node parses while PostgreSQL writes, and the upload costs little more than the COPY.
 * COPY has no ON CONFLICT, so duplicates are settled here before a row is written: the
 * campaign's numbers are read first (streamed), and the file's own numbers are remembered in
 * a flat PhoneSet. imports_one_running keeps a second upload out of the campaign meanwhile,
 * and the (campaign, phone) key still refuses a duplicate that got past — the upload then
 * fails whole. Runs on the caller's client, inside its transaction, so a refusal part-way
 * leaves nothing. Opted-out numbers are marked in one statement at the end.
 */
export class CopySink {
  private stream: ReturnType<typeof copyStreams.from> | undefined;
  private readonly existing = new PhoneSet();
  private readonly seen = new PhoneSet();
  private readonly counts: MergeCounts = { imported: 0, optedOut: 0, alreadyInCampaign: 0, valid: 0 };
  private readonly prefix: string;
  private readonly suffix: string;
  private failed: Error | undefined;

  constructor(
    private readonly client: PoolClient,
    private readonly campaignId: number,
    private readonly importId: number,
  ) {
    if (!Number.isSafeInteger(campaignId) || !Number.isSafeInteger(importId))
      throw new Error("campaign and import ids must be integers");
    this.prefix = `${campaignId}\t`;
    this.suffix = `\t${importId}\t`;
  }

  async open(): Promise<void> {
    // COPY takes no parameters; the id is an integer checked above.
    const out = this.client.query(
      copyStreams.to(`COPY (SELECT phone FROM contacts WHERE campaign_id = ${this.campaignId}) TO STDOUT`),
    );
    let carry = "";
    for await (const chunk of out as AsyncIterable<Buffer>) {
      const lines = (carry + chunk.toString("utf8")).split("\n");
      carry = lines.pop() ?? "";
      for (const phone of lines) if (phone) this.existing.add(phone);
    }
    if (carry) this.existing.add(carry);
    this.stream = this.client.query(
      copyStreams.from(
        "COPY contacts (campaign_id, phone, first_name, last_name, zip, timezone, tz_zones, tz_source, external_id, " +
          "custom_fields, import_id, row_number) FROM STDIN",
      ),
    );
    // The server's answer to a bad row can come between writes: keep it for the next write.
    this.stream.on("error", (error: Error) => (this.failed ??= error));
  }

  async write(rows: { rowNumber: number; contact: ContactFields }[]): Promise<void> {
    let chunk = "";
    for (const { rowNumber, contact } of rows) {
      if (this.existing.has(contact.phone)) {
        this.counts.alreadyInCampaign += 1;
        continue;
      }
      if (!this.seen.add(contact.phone)) continue; // a duplicate within the file: the first row wins
      const zones = resolveTimezones({ timezone: contact.timezone, zip: contact.zip, phone: contact.phone });
      chunk +=
        this.prefix +
        [
          contact.phone,
          contact.firstName,
          contact.lastName,
          contact.zip,
          zones.source === "column" ? (zones.zones[0] ?? null) : contact.timezone,
          textArray(zones.zones),
          zones.source,
          contact.externalId,
          JSON.stringify(contact.customFields),
        ]
          .map(copyText)
          .join("\t") +
        this.suffix +
        rowNumber +
        "\n";
    }
    this.counts.valid += rows.length;
    if (this.failed) throw this.failed;
    if (chunk && !this.stream!.write(chunk)) await once(this.stream!, "drain");
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
    if (this.failed) throw this.failed;
    this.stream!.end();
    await once(this.stream!, "finish");
    this.counts.imported = Number(this.stream!.rowCount);
    const opted = await this.client.query(
      // Driven from opt_outs (small) through the (campaign, phone) key, not over the new rows.
      `UPDATE contacts c SET status = 'opted_out' FROM opt_outs o
       WHERE o.phone = c.phone AND c.campaign_id = $1 AND c.import_id = $2 AND c.status = 'pool'`,
      [this.campaignId, this.importId],
    );
    this.counts.optedOut = opted.rowCount ?? 0;
    return { ...this.counts };
  }
}
