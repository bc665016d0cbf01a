/**
 * A campaign's script: the opening message, canned replies and outcome tags. Validation
 * speaks to the organizer (errors are shown in the modal as they are); the database helpers
 * feed the preview. No Slack here.
 */
import { sql } from "kysely";
import type { Database } from "../../db/database.ts";
import type { Campaign, CannedReply, Contact, SurveyQuestion } from "../../db/schema.ts";
import { BUILTIN_MERGE_FIELDS, normalizeFieldName } from "../fields.ts";
import {
  activeQuestions,
  mergeQuestions,
  parseSurveyQuestions,
  resolveCannedAnswers,
  splitCannedAnswers,
  type QuestionInput,
} from "../surveys/survey-input.ts";
import { parseCannedReplies, parseOutcomeTags } from "./script-input.ts";
import { MAX_AUTO_REPLY_LENGTH } from "../opt-outs/reply-texts.ts";
import { parseTemplate, type ParsedTemplate } from "./template.ts";

/** Twilio refuses a Body longer than this. */
export const MAX_TEXT_LENGTH = 1600;

export interface ScriptInput {
  opening: string;
  canned: string;
  tags: string;
  /** Survey questions, one per line; undefined (a form without the box) leaves them as they are. */
  survey?: string;
  /** The opt-out reply; empty means the default, undefined (a form without the box) leaves it as saved. */
  optOutReply?: string;
  /** The HELP reply; empty means the default, undefined leaves it as saved. */
  helpReply?: string;
}

export interface Script {
  opening: string;
  cannedReplies: CannedReply[];
  tags: string[];
  /** The questions as typed, in order; undefined leaves the saved ones unchanged. */
  survey?: QuestionInput[];
  /** The organizer's opt-out reply; null for the default, undefined leaves the saved one. */
  optOutReply?: string | null;
  /** The organizer's HELP reply; null for the default, undefined leaves the saved one. */
  helpReply?: string | null;
}

export type ScriptErrors = Partial<Record<keyof ScriptInput, string>>;

/** A merge field a script may use: `key` is normalized, `label` is how we write it to people. */
export interface MergeField {
  key: string;
  label: string;
}

const BUILTIN_LABELS: Record<string, string> = {
  firstname: "first_name",
  lastname: "last_name",
  textername: "texter_name",
  campaign: "campaign",
  zip: "zip",
  externalid: "external_id",
};

/** The builtins, then every uploaded column in upload order. */
export function availableFields(campaign: Pick<Campaign, "custom_fields">): MergeField[] {
  const fields = BUILTIN_MERGE_FIELDS.map((key) => ({ key, label: BUILTIN_LABELS[key] ?? key }));
  const seen = new Set(BUILTIN_MERGE_FIELDS);
  for (const column of campaign.custom_fields ?? []) {
    const key = normalizeFieldName(column.key);
    if (seen.has(key)) continue;
    seen.add(key);
    // "Polling Place" reads better as {polling_place} than as its key {pollingplace}.
    const label = column.header
      .normalize("NFKC")
      .trim()
      .toLowerCase()
      .replace(/[\s-]+/g, "_");
    fields.push({ key, label: label && normalizeFieldName(label) === key ? label : key });
  }
  return fields;
}

const characters = (text: string) => [...text].length;
const braces = (name: string) => `{${name}}`;

/** "{a} {b} … and 12 more": error messages stay readable with hundreds of columns. */
export function listFields(fields: readonly MergeField[], limit = 15): string {
  const shown = fields
    .slice(0, limit)
    .map((f) => braces(f.label))
    .join(" ");
  return fields.length > limit ? `${shown} and ${fields.length - limit} more` : shown;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The field a typo most likely meant ({frist_name} → {first_name}), if one is close. */
function closestField(key: string, fields: readonly MergeField[]): MergeField | undefined {
  const allowed = key.length <= 4 ? 1 : 2;
  let best: { field: MergeField; distance: number } | undefined;
  for (const field of fields) {
    const distance = editDistance(key, field.key);
    if (distance <= allowed && (!best || distance < best.distance)) best = { field, distance };
  }
  return best?.field;
}

/** Fields the template names that no column provides, as the organizer typed them. */
export function unknownFieldsIn(
  template: ParsedTemplate,
  fields: readonly MergeField[],
): { raw: string; key: string }[] {
  const known = new Set(fields.map((f) => f.key));
  const unknown = new Map<string, string>();
  for (const part of template.parts) {
    if (part.kind === "field" && !known.has(part.name) && !unknown.has(part.name)) unknown.set(part.name, part.raw);
  }
  return [...unknown].map(([key, raw]) => ({ key, raw }));
}

/** What stops this template from being saved, naming the fields at fault; undefined when fine. */
export function templateProblem(text: string, fields: readonly MergeField[]): string | undefined {
  const parsed = parseTemplate(text);
  if (!parsed.ok) return `${parsed.error}.`;
  const unknown = unknownFieldsIn(parsed.template, fields);
  if (unknown.length === 0) return undefined;
  const named = unknown.map((u) => {
    const guess = closestField(u.key, fields);
    return guess ? `${braces(u.raw)} (did you mean ${braces(guess.label)}?)` : braces(u.raw);
  });
  return `No uploaded column provides ${named.join(", ")}. Fields you can use: ${listFields(fields)}.`;
}

/** Several problems in one box: the first few, so the message stays short enough to read. */
function summarize(problems: string[]): string {
  const shown = problems.slice(0, 3).join(" ");
  return problems.length > 3 ? `${shown} (and ${problems.length - 3} more problems)` : shown;
}

/**
 * Checks what the organizer typed; errors are keyed by the box they belong to. A canned reply's
 * `[Question=Answer]` is checked against the questions of the same submission, or the saved
 * ones (`savedQuestions`) when the form has no survey box.
 */
export function validateScript(
  input: ScriptInput,
  fields: readonly MergeField[],
  savedQuestions: readonly SurveyQuestion[] = [],
): { ok: true; script: Script } | { ok: false; errors: ScriptErrors } {
  const errors: ScriptErrors = {};

  const survey = input.survey === undefined ? undefined : parseSurveyQuestions(input.survey);
  if (survey && !survey.ok) errors.survey = summarize(survey.errors.map((e) => `${e}.`));
  const questions: readonly QuestionInput[] = survey?.ok ? survey.questions : activeQuestions(savedQuestions);

  const opening = input.opening.trim();
  if (!opening) errors.opening = "Write the opening message: it is the first text every contact gets.";
  else if (characters(opening) > MAX_TEXT_LENGTH) {
    errors.opening =
      `The opening message is ${characters(opening)} characters; ` +
      `a text can have at most ${MAX_TEXT_LENGTH.toLocaleString("en-US")}.`;
  } else {
    const problem = templateProblem(opening, fields);
    if (problem) errors.opening = problem;
  }

  const canned = parseCannedReplies(input.canned);
  const cannedReplies: CannedReply[] = [];
  if (!canned.ok) errors.canned = summarize(canned.errors.map((e) => `${e}.`));
  else {
    // parseCannedReplies keeps one reply per non-blank line, in order: that gives each its line.
    const lines = input.canned.split(/\r?\n/).flatMap((text, i) => (text.trim() ? [i + 1] : []));
    const problems = canned.replies.flatMap((parsedReply, index) => {
      const line = lines[index] ?? index + 1;
      const split = splitCannedAnswers(parsedReply.text);
      const reply = { title: parsedReply.title, text: split.text };
      if (!reply.text) return [`Reply "${reply.title}" (line ${line}) has no text before its [Question=Answer].`];
      // With the survey box wrong its questions are unknown: that box's error says why.
      if (survey && !survey.ok && split.answers.length) return [];
      const recorded = resolveCannedAnswers(split.answers, questions);
      if (!recorded.ok) return [`Reply "${reply.title}" (line ${line}): ${recorded.problem}.`];
      if (recorded.answers.length) cannedReplies[index] = { ...reply, answers: recorded.answers };
      else cannedReplies[index] = reply;
      const problem = templateProblem(reply.text, fields);
      const length = characters(reply.text);
      if (problem) return [`Reply "${reply.title}" (line ${line}): ${problem}`];
      if (length > MAX_TEXT_LENGTH)
        return [
          `Reply "${reply.title}" (line ${line}) is ${length} characters; a text can have at most ${MAX_TEXT_LENGTH}.`,
        ];
      return [];
    });
    if (problems.length) errors.canned = summarize(problems);
  }

  const tags = parseOutcomeTags(input.tags);
  if (!tags.ok) errors.tags = `${tags.error}.`;

  const optOutReply = autoReply(input.optOutReply, "opt-out reply", fields);
  if (optOutReply && "error" in optOutReply) errors.optOutReply = optOutReply.error;
  const helpReply = autoReply(input.helpReply, "HELP reply", fields);
  if (helpReply && "error" in helpReply) errors.helpReply = helpReply.error;

  if (!canned.ok || !tags.ok || Object.keys(errors).length > 0) return { ok: false, errors };
  return {
    ok: true,
    script: {
      opening,
      cannedReplies,
      tags: tags.tags,
      ...(survey?.ok ? { survey: survey.questions } : {}),
      ...(optOutReply && "text" in optOutReply ? { optOutReply: optOutReply.text } : {}),
      ...(helpReply && "text" in helpReply ? { helpReply: helpReply.text } : {}),
    },
  };
}

/**
 * An automatic reply's box: empty is the default (null), otherwise up to MAX_AUTO_REPLY_LENGTH
 * characters with merge fields checked like the opening's. Undefined when the form has no box.
 */
function autoReply(
  input: string | undefined,
  name: string,
  fields: readonly MergeField[],
): { text: string | null } | { error: string } | undefined {
  if (input === undefined) return undefined;
  const text = input.trim();
  if (!text) return { text: null };
  if (characters(text) > MAX_AUTO_REPLY_LENGTH)
    return { error: `The ${name} is ${characters(text)} characters; it can have at most ${MAX_AUTO_REPLY_LENGTH}.` };
  const problem = templateProblem(text, fields);
  return problem ? { error: problem } : { text };
}

/**
 * Saves the script unless the campaign is gone or archived; says whether it saved. New survey
 * questions are merged into the saved ones under the campaign's row lock, so two saves at once
 * never hand out the same question id.
 */
export async function saveScript(db: Database, campaignId: number, script: Script): Promise<boolean> {
  const columns = {
    opening_message: script.opening,
    canned_replies: JSON.stringify(script.cannedReplies),
    outcome_tags: JSON.stringify(script.tags),
    ...(script.optOutReply !== undefined ? { opt_out_reply: script.optOutReply } : {}),
    ...(script.helpReply !== undefined ? { help_text: script.helpReply } : {}),
    updated_at: sql<Date>`now()`,
  };
  const update = (tx: Database, extra: { survey_questions?: string } = {}) =>
    tx
      .updateTable("campaigns")
      .set({ ...columns, ...extra })
      .where("id", "=", campaignId)
      .where("state", "!=", "archived")
      .executeTakeFirst();
  const survey = script.survey;
  if (!survey) return Number((await update(db)).numUpdatedRows) > 0;
  return db.transaction().execute(async (tx) => {
    const saved = await tx
      .selectFrom("campaigns")
      .select("survey_questions")
      .where("id", "=", campaignId)
      .forUpdate()
      .executeTakeFirst();
    if (!saved) return false;
    const merged = mergeQuestions(saved.survey_questions ?? [], survey);
    return Number((await update(tx, { survey_questions: JSON.stringify(merged) })).numUpdatedRows) > 0;
  });
}

/** Builtins stored in their own columns; every other field lives in contacts.custom_fields. */
const CONTACT_COLUMNS: Record<string, "first_name" | "last_name" | "zip" | "external_id"> = {
  firstname: "first_name",
  lastname: "last_name",
  zip: "zip",
  externalid: "external_id",
};

/** Fields whose value comes from the sender or the campaign, never missing for a contact. */
export const NEVER_MISSING = new Set(["textername", "campaign"]);

export interface MissingCounts {
  /** Contacts in the campaign. */
  contacts: number;
  /** Per field key: contacts whose value is empty (renderTemplate trims, so blank is empty). */
  missing: Record<string, number>;
}

/** One pass over the campaign's contacts for every field at once, however many contacts. */
export async function countContactsMissing(
  db: Database,
  campaignId: number,
  fields: readonly string[],
): Promise<MissingCounts> {
  const keys = [...new Set(fields)].filter((key) => !NEVER_MISSING.has(key));
  const empty = (value: ReturnType<typeof sql>) => sql`coalesce(btrim(${value}, E' \\t\\r\\n'), '') = ''`;
  const counts = keys.map((key, i) => {
    const column = CONTACT_COLUMNS[key];
    const value = column ? sql.ref(column) : sql`custom_fields->>${key}`;
    return sql`count(*) FILTER (WHERE ${empty(value)})::int AS ${sql.ref(`f${i}`)}`;
  });
  const { rows } = await sql<Record<string, number>>`
    SELECT ${sql.join([sql`count(*)::int AS contacts`, ...counts])}
    FROM contacts WHERE campaign_id = ${campaignId}`.execute(db);
  const row = rows[0] ?? {};
  return { contacts: row.contacts ?? 0, missing: Object.fromEntries(keys.map((key, i) => [key, row[`f${i}`] ?? 0])) };
}

export type SampleContact = Pick<Contact, "first_name" | "last_name" | "zip" | "external_id" | "custom_fields">;

/** The campaign's first contact, the one the preview is rendered for. */
export async function sampleContact(db: Database, campaignId: number): Promise<SampleContact | undefined> {
  return db
    .selectFrom("contacts")
    .select(["first_name", "last_name", "zip", "external_id", "custom_fields"])
    .where("campaign_id", "=", campaignId)
    .orderBy("id")
    .limit(1)
    .executeTakeFirst();
}

/**
 * The name the organizer texts under as a volunteer (this campaign's first, else their latest),
 * for {texter_name} in their own preview; undefined if they have never volunteered.
 */
export async function sampleTexterName(db: Database, campaignId: number, userId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom("volunteers")
    .select("display_name")
    .where("display_name", "is not", null)
    .where("user_id", "=", userId)
    .orderBy(sql`campaign_id = ${campaignId}`, "desc")
    .orderBy("last_active_at", "desc")
    .limit(1)
    .executeTakeFirst();
  return row?.display_name ?? undefined;
}
