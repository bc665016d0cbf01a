import { createWriteStream } from "node:fs";
import { once } from "node:events";
import Papa from "papaparse";
import { sql } from "kysely";
import type { Database } from "../db/database.ts";
import type { CustomFieldColumn } from "../db/schema.ts";
import { exportedQuestions } from "./surveys/surveys.ts";
import { knownColumnFor, normalizeFieldName } from "./fields.ts";
import { parsePhoneNumberFromString } from "libphonenumber-js/core";
import metadata from "libphonenumber-js/metadata.max.json";

/** Only a phone number: a "+", digits and the punctuation people write numbers with. */
const PHONE_CHARACTERS = /^\+\d[\d ().-]*\d$/;
const E164 = /^\+[1-9]\d{6,14}$/;

/**
 * A cell that is only a phone number (E.164, or another form libphonenumber reads as a possible
 * number). It calls no function and references no cell, so a spreadsheet cannot run anything
 * from it, and written bare it is read back as it was by the contacts and opt-out imports.
 */
export function isPhoneOnlyCell(value: string): boolean {
  if (!PHONE_CHARACTERS.test(value)) return false;
  return E164.test(value) || parsePhoneNumberFromString(value, metadata)?.isPossible() === true;
}

/**
 * A cell a spreadsheet would run as a formula (=, +, -, @, tab, carriage return first) is
 * written with a leading apostrophe, the OWASP-recommended neutralisation; a cell that is only a
 * phone number ("+12127364101") is left bare, so an export imports again as it is.
 */
export function neutralizeCell(value: string): string {
  return /^[=+\-@\t\r]/.test(value) && !isPhoneOnlyCell(value) ? `'${value}` : value;
}

/**
 * Column names as the export writes them: a name that the contacts import would read as the
 * same column as an earlier one ("Notes" uploaded, then the export's own "notes"), or as one of
 * the columns it knows (a survey question called "Mobile"), gets " (2)", " (3)"…, so the file
 * imports again without "Some columns have the same name".
 */
export function distinctHeaders(headers: string[], knownFirst: number): string[] {
  const seen = new Set<string>();
  return headers.map((header, index) => {
    const taken = (name: string) => {
      const key = normalizeFieldName(name);
      return key !== "" && (seen.has(key) || (index >= knownFirst && knownColumnFor(name) !== undefined));
    };
    let name = header;
    for (let n = 2; taken(name); n++) name = `${header} (${n})`;
    seen.add(normalizeFieldName(name));
    return name;
  });
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
 * error, times, replies, last reply, current outcome tag, opted out, then the current answer to
 * each survey question (a removed one too while answers to it are kept) and the notes.
 */
export async function exportContacts(db: Database, campaignId: number, path: string): Promise<number> {
  const campaign = await db
    .selectFrom("campaigns")
    .select(["custom_fields", "survey_questions"])
    .where("id", "=", campaignId)
    .executeTakeFirstOrThrow();
  const custom = (campaign.custom_fields as CustomFieldColumn[]) ?? [];
  const questions = await exportedQuestions(db, campaignId, campaign.survey_questions ?? []);
  const sink = fileSink(path);
  await sink.write(
    csvLines([
      distinctHeaders(
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
          ...questions.map((q) => (q.removed ? `${q.label} (removed)` : q.label)),
          "notes",
        ],
        5,
      ),
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
      conversation_id: number | null;
      notes: string | null;
    }>`
      SELECT c.id, c.external_id, c.first_name, c.last_name, c.phone, c.zip, c.custom_fields,
             coalesce(o.sent_by, v.volunteer_id) AS volunteer, o.status, o.error_code, o.created_at AS sent_at,
             CASE WHEN o.status IN ('delivered', 'read') THEN o.updated_at END AS delivered_at,
             (SELECT count(*)::int FROM messages r WHERE r.conversation_id = v.id AND r.direction = 'in') AS replies,
             (SELECT r.body FROM messages r WHERE r.conversation_id = v.id AND r.direction = 'in'
               ORDER BY r.id DESC LIMIT 1) AS last_reply,
             v.current_tag AS outcome,
             EXISTS (SELECT 1 FROM opt_outs x WHERE x.phone = c.phone) AS opted_out,
             v.id AS conversation_id,
             (SELECT string_agg(n.user_id || ' (' || to_char(n.created_at AT TIME ZONE 'UTC',
                'YYYY-MM-DD"T"HH24:MI"Z"') || '): ' || n.body, E'\n' ORDER BY n.id)
               FROM conversation_notes n WHERE n.conversation_id = v.id) AS notes
      FROM contacts c
      LEFT JOIN messages o ON o.contact_id = c.id AND o.campaign_id = c.campaign_id AND o.kind = 'opening'
      LEFT JOIN conversations v ON v.contact_id = c.id AND v.campaign_id = c.campaign_id
      WHERE c.campaign_id = ${campaignId} AND c.id > ${after}
      ORDER BY c.id LIMIT ${BATCH}`.execute(db);
    if (rows.length === 0) break;
    const answers = questions.length ? await pageAnswers(db, rows) : new Map<number, Map<number, string>>();
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
          ...questions.map((q) => (r.conversation_id && answers.get(r.conversation_id)?.get(q.id)) || ""),
          r.notes,
        ]),
      ),
    );
    count += rows.length;
    after = rows[rows.length - 1]!.id;
  }
  await sink.close();
  return count;
}

/**
 * The current survey answers of a page's conversations, in one statement. Not a subquery in the
 * page's own statement: that raised its estimated cost past PostgreSQL's JIT threshold, and
 * compiling each page cost more than reading it (bench:organizer).
 */
async function pageAnswers(
  db: Database,
  rows: { conversation_id: number | null }[],
): Promise<Map<number, Map<number, string>>> {
  const ids = rows.flatMap((r) => (r.conversation_id === null ? [] : [r.conversation_id]));
  const byConversation = new Map<number, Map<number, string>>();
  if (ids.length === 0) return byConversation;
  const found = await db
    .selectFrom("survey_answers")
    .select(["conversation_id", "question_id", "answer"])
    .where("conversation_id", "in", ids)
    .where("replaced_at", "is", null)
    .execute();
  for (const row of found) {
    const answers = byConversation.get(row.conversation_id) ?? new Map<number, string>();
    answers.set(row.question_id, row.answer);
    byConversation.set(row.conversation_id, answers);
  }
  return byConversation;
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
