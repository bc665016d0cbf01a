import { createWriteStream } from "node:fs";
import { once } from "node:events";
import Papa from "papaparse";
import { sql } from "kysely";
import type { Database } from "../db/database.ts";
import type { CustomFieldColumn } from "../db/schema.ts";

/**
 * A cell a spreadsheet would run as a formula (=, +, -, @, tab, carriage return first) is
 * written with a leading apostrophe, the OWASP-recommended neutralisation.
 */
export function neutralizeCell(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

const BATCH = 5000;

interface Sink {
  write(line: string): Promise<void>;
}

function fileSink(path: string): Sink & { close(): Promise<void> } {
  const stream = createWriteStream(path);
  return {
    async write(chunk) {
      if (!stream.write(chunk)) await once(stream, "drain");
    },
    async close() {
      stream.end();
      await once(stream, "finish");
    },
  };
}

function csvLines(rows: (string | number | null)[][]): string {
  return (
    Papa.unparse(
      rows.map((row) => row.map((cell) => neutralizeCell(cell === null ? "" : String(cell)))),
      { newline: "\r\n" },
    ) + "\r\n"
  );
}

/**
 * One row per contact, read in keyset pages of 5,000 so memory stays flat at any size:
 * names, phone, ZIP, custom fields as their own columns, volunteer, opening status and
 * error, times, replies, last reply, current outcome tag, opted out.
 */
export async function exportContacts(db: Database, campaignId: number, path: string): Promise<number> {
  const campaign = await db
    .selectFrom("campaigns")
    .select(["custom_fields"])
    .where("id", "=", campaignId)
    .executeTakeFirstOrThrow();
  const custom = (campaign.custom_fields as CustomFieldColumn[]) ?? [];
  const sink = fileSink(path);
  await sink.write(
    csvLines([
      [
        "external_id",
        "first_name",
        "last_name",
        "phone",
        "zip",
        ...custom.map((c) => c.header),
        "volunteer",
        "opening_status",
        "error_code",
        "sent_at",
        "delivered_at",
        "replies",
        "last_reply",
        "outcome",
        "opted_out",
      ],
    ]),
  );
  let after = 0;
  let count = 0;
  for (;;) {
    const { rows } = await sql<{
      id: number;
      external_id: string | null;
      first_name: string | null;
      last_name: string | null;
      phone: string;
      zip: string | null;
      custom_fields: Record<string, string>;
      volunteer: string | null;
      status: string | null;
      error_code: number | null;
      sent_at: Date | null;
      delivered_at: Date | null;
      replies: number;
      last_reply: string | null;
      outcome: string | null;
      opted_out: boolean;
    }>`
      SELECT c.id, c.external_id, c.first_name, c.last_name, c.phone, c.zip, c.custom_fields,
             coalesce(o.sent_by, v.volunteer_id) AS volunteer, o.status, o.error_code, o.created_at AS sent_at,
             CASE WHEN o.status IN ('delivered', 'read') THEN o.updated_at END AS delivered_at,
             (SELECT count(*)::int FROM messages r WHERE r.conversation_id = v.id AND r.direction = 'in') AS replies,
             (SELECT r.body FROM messages r WHERE r.conversation_id = v.id AND r.direction = 'in'
               ORDER BY r.id DESC LIMIT 1) AS last_reply,
             v.current_tag AS outcome,
             EXISTS (SELECT 1 FROM opt_outs x WHERE x.phone = c.phone) AS opted_out
      FROM contacts c
      LEFT JOIN messages o ON o.contact_id = c.id AND o.campaign_id = c.campaign_id AND o.kind = 'opening'
      LEFT JOIN conversations v ON v.contact_id = c.id AND v.campaign_id = c.campaign_id
      WHERE c.campaign_id = ${campaignId} AND c.id > ${after}
      ORDER BY c.id LIMIT ${BATCH}`.execute(db);
    if (rows.length === 0) break;
    await sink.write(
      csvLines(
        rows.map((r) => [
          r.external_id,
          r.first_name,
          r.last_name,
          r.phone,
          r.zip,
          ...custom.map((c) => r.custom_fields?.[c.key] ?? ""),
          r.volunteer,
          r.status ?? "not sent",
          r.error_code,
          r.sent_at?.toISOString() ?? "",
          r.delivered_at?.toISOString() ?? "",
          r.replies,
          r.last_reply,
          r.outcome,
          r.opted_out ? "yes" : "no",
        ]),
      ),
    );
    count += rows.length;
    after = rows[rows.length - 1]!.id;
  }
  await sink.close();
  return count;
}

/** Every message of the campaign, oldest first: direction, time, text, status, error code. */
export async function exportMessages(db: Database, campaignId: number, path: string): Promise<number> {
  const sink = fileSink(path);
  await sink.write(csvLines([["time", "direction", "phone", "volunteer", "kind", "text", "status", "error_code"]]));
  let after = 0;
  let count = 0;
  for (;;) {
    const rows = await db
      .selectFrom("messages")
      .select([
        "id",
        "created_at",
        "direction",
        "from_phone",
        "to_phone",
        "sent_by",
        "kind",
        "body",
        "status",
        "error_code",
      ])
      .where("campaign_id", "=", campaignId)
      .where("id", ">", after)
      .orderBy("id")
      .limit(BATCH)
      .execute();
    if (rows.length === 0) break;
    await sink.write(
      csvLines(
        rows.map((m) => [
          m.created_at.toISOString(),
          m.direction,
          m.direction === "in" ? m.from_phone : m.to_phone,
          m.sent_by,
          m.kind,
          m.body,
          m.status,
          m.error_code,
        ]),
      ),
    );
    count += rows.length;
    after = rows[rows.length - 1]!.id;
  }
  await sink.close();
  return count;
}
