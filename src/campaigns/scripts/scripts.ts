import { sql } from "kysely";
import type { Database } from "../../db/database.ts";
import type { Campaign, CannedReply, Contact, CustomFieldColumn } from "../../db/schema.ts";
import { BUILTIN_MERGE_FIELDS } from "../fields.ts";
import { mergeValues } from "./merge-values.ts";
import { parseCannedReplies, parseOutcomeTags, scriptWarnings } from "./script-input.ts";
import { segmentInfo, type SegmentInfo } from "./segments.ts";
import { fieldsWithoutFallback, parseTemplate, renderTemplate, unknownFields } from "./template.ts";

export interface ScriptInput {
  opening: string;
  canned: string;
  tags: string;
}

export interface Script {
  opening: string;
  cannedReplies: CannedReply[];
  tags: string[];
}

export type ScriptErrors = Partial<Record<keyof ScriptInput, string>>;

/** Every merge field this campaign's scripts may use: the builtins and every uploaded column. */
export function availableFields(campaign: Pick<Campaign, "custom_fields">): string[] {
  return [...BUILTIN_MERGE_FIELDS, ...((campaign.custom_fields as CustomFieldColumn[]) ?? []).map((c) => c.key)];
}

/** Validates what the organizer typed; errors are per field, as the modal shows them. */
export function validateScript(input: ScriptInput, available: string[]): { ok: true; script: Script } | { ok: false; errors: ScriptErrors } {
  const errors: ScriptErrors = {};
  const opening = input.opening.trim();
  if (!opening) errors.opening = "Write the opening message.";
  else if (opening.length > 1600) errors.opening = `The opening message is ${opening.length} characters; a text can be at most 1,600.`;
  else {
    const parsed = parseTemplate(opening);
    if (!parsed.ok) errors.opening = parsed.error;
    else {
      const unknown = unknownFields(parsed.fields, available);
      if (unknown.length) errors.opening = `No uploaded column provides ${unknown.map((f) => `{${f}}`).join(", ")}. Fields you can use: ${available.map((f) => `{${f}}`).join(" ")}`;
    }
  }
  const canned = parseCannedReplies(input.canned);
  if (!canned.ok) errors.canned = canned.errors.join(" ");
  else {
    const unknown = canned.replies.flatMap((r) => {
      const parsed = parseTemplate(r.text);
      return parsed.ok ? unknownFields(parsed.fields, available) : [];
    });
    if (unknown.length) errors.canned = `No uploaded column provides ${[...new Set(unknown)].map((f) => `{${f}}`).join(", ")}.`;
  }
  const tags = parseOutcomeTags(input.tags);
  if (!tags.ok) errors.tags = tags.error;
  if (Object.keys(errors).length || !canned.ok || !tags.ok) return { ok: false, errors };
  return { ok: true, script: { opening, cannedReplies: canned.replies, tags: tags.tags } };
}

export async function saveScript(db: Database, campaignId: number, script: Script): Promise<void> {
  await db
    .updateTable("campaigns")
    .set({ opening_message: script.opening, canned_replies: JSON.stringify(script.cannedReplies), outcome_tags: JSON.stringify(script.tags), updated_at: sql`now()` })
    .where("id", "=", campaignId)
    .execute();
}

export interface ScriptPreview {
  rendered: string;
  segments: SegmentInfo;
  warnings: string[];
  /** Fields used without a fallback, with how many contacts have no value for them. */
  missing: { field: string; contacts: number }[];
}

const COLUMN_OF: Record<string, string> = { firstname: "first_name", lastname: "last_name", zip: "zip", externalid: "external_id" };

/** The opening rendered for a sample contact, its encoding and segments, warnings, and gaps. */
export async function previewScript(db: Database, campaign: Campaign, opening: string, texterName: string): Promise<ScriptPreview | undefined> {
  const parsed = parseTemplate(opening);
  if (!parsed.ok) return undefined;
  const sample = await db.selectFrom("contacts").selectAll().where("campaign_id", "=", campaign.id).orderBy("id").limit(1).executeTakeFirst();
  const values = sample ? mergeValues(sample, { campaignTitle: campaign.title, texterName }) : sampleValues(campaign, texterName);
  const rendered = renderTemplate(parsed.template, values);
  const fields = fieldsWithoutFallback(parsed.template).filter((f) => f !== "textername" && f !== "campaign");
  const missing: { field: string; contacts: number }[] = [];
  if (fields.length) {
    // One pass over the campaign's contacts for every field at once.
    const counts = fields.map((f) =>
      COLUMN_OF[f]
        ? sql<number>`count(*) FILTER (WHERE coalesce(${sql.ref(COLUMN_OF[f]!)}, '') = '')::int`
        : sql<number>`count(*) FILTER (WHERE coalesce(custom_fields->>${f}, '') = '')::int`,
    );
    const { rows } = await sql<Record<string, number>>`SELECT ${sql.join(counts.map((c, i) => sql`${c} AS ${sql.ref(`f${i}`)}`))} FROM contacts WHERE campaign_id = ${campaign.id}`.execute(db);
    fields.forEach((field, i) => {
      const n = rows[0]?.[`f${i}`] ?? 0;
      if (n > 0) missing.push({ field, contacts: n });
    });
  }
  return { rendered, segments: segmentInfo(rendered), warnings: scriptWarnings(rendered, opening), missing };
}

function sampleValues(campaign: Campaign, texterName: string): Record<string, string> {
  const sample = { first_name: "Alex", last_name: "Rivera", zip: "10001", external_id: "123", custom_fields: {} } as Pick<Contact, "first_name" | "last_name" | "zip" | "external_id" | "custom_fields">;
  return mergeValues(sample, { campaignTitle: campaign.title, texterName });
}
