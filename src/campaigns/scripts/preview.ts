/**
 * What the script modal shows under the form: the opening rendered for a sample contact,
 * its encoding and segments, the warnings that do not refuse a script, and how many contacts
 * lack a value the message uses. Pure: the caller brings the sample and the counts.
 */
import { BUILTIN_MERGE_FIELDS } from "../fields.ts";
import { mergeValues } from "./merge-values.ts";
import { scriptWarnings } from "./script-input.ts";
import {
  MAX_TEXT_LENGTH,
  NEVER_MISSING,
  templateProblem,
  type MergeField,
  type MissingCounts,
  type SampleContact,
} from "./scripts.ts";
import { segmentInfo, type SegmentInfo } from "./segments.ts";
import { fieldsWithoutFallback, parseTemplate, renderTemplate } from "./template.ts";

/** Used for {texter_name} when no volunteer name is known yet. */
export const EXAMPLE_TEXTER = "Sam";

export interface ScriptPreview {
  rendered: string;
  /** Who the sample is, e.g. "Dana R.", or an example contact before any upload. */
  sampleName: string;
  /** False when the campaign has no contacts and an invented one stands in. */
  sampleIsReal: boolean;
  texterName: string;
  /** True when no volunteer's name was known and EXAMPLE_TEXTER stands in. */
  texterIsExample: boolean;
  segments: SegmentInfo;
  /** Characters as people count them (an emoji is one). */
  characters: number;
  /** Shown but not refusing: segments, UCS-2 characters, opt-out language, length. */
  warnings: string[];
  /** Why this text could not be saved as it is (only while typing: saved scripts are valid). */
  problem?: string;
  /** Contacts lacking a value used without fallback; undefined while still counting. */
  gaps?: { label: string; contacts: number }[];
  /** Contacts in the campaign, when counted. */
  contacts?: number;
}

/** Keys of the fields the opening uses without a fallback that a contact may lack. */
export function fieldsToCount(opening: string): string[] {
  const parsed = parseTemplate(opening);
  return parsed.ok ? fieldsWithoutFallback(parsed.template).filter((key) => !NEVER_MISSING.has(key)) : [];
}

function exampleContact(fields: readonly MergeField[]): SampleContact {
  const custom: Record<string, string> = {};
  // No contacts yet (only possible before an upload), so custom fields show their own name.
  for (const field of fields) if (!BUILTIN_MERGE_FIELDS.includes(field.key)) custom[field.key] = `[${field.label}]`;
  return { first_name: "Alex", last_name: "Rivera", zip: "10001", external_id: "123456", custom_fields: custom };
}

function nameOf(contact: SampleContact): string {
  const first = contact.first_name?.trim();
  const last = contact.last_name?.trim();
  if (first) return last ? `${first} ${[...last][0]}.` : first;
  return last ? last : "the first contact (no name)";
}

export function previewOpening(input: {
  opening: string;
  fields: readonly MergeField[];
  campaignTitle: string;
  sample: SampleContact | undefined;
  texterName: string | undefined;
  counts: MissingCounts | undefined;
}): ScriptPreview {
  const { opening, fields, counts } = input;
  const contact = input.sample ?? exampleContact(fields);
  const texterName = input.texterName ?? EXAMPLE_TEXTER;
  const parsed = parseTemplate(opening);
  const problem = opening.trim() ? templateProblem(opening, fields) : "The opening message is empty.";
  const rendered = parsed.ok
    ? renderTemplate(parsed.template, mergeValues(contact, { campaignTitle: input.campaignTitle, texterName }))
    : opening;
  const segments = segmentInfo(rendered);
  const length = [...rendered].length;
  const warnings = rendered ? scriptWarnings(rendered, opening) : [];
  if (length > MAX_TEXT_LENGTH) {
    warnings.push(
      `The sample renders to ${length.toLocaleString("en-US")} characters; ` +
        `Twilio refuses texts over ${MAX_TEXT_LENGTH.toLocaleString("en-US")}`,
    );
  }
  const labels = new Map(fields.map((f) => [f.key, f.label]));
  const gaps = counts
    ? fieldsToCount(opening)
        .filter((key) => labels.has(key) && (counts.missing[key] ?? 0) > 0)
        .map((key) => ({ label: labels.get(key)!, contacts: counts.missing[key]! }))
    : undefined;
  return {
    rendered,
    sampleName: input.sample ? nameOf(input.sample) : "Alex R. (an example: no contacts yet)",
    sampleIsReal: input.sample !== undefined,
    texterName,
    texterIsExample: input.texterName === undefined,
    segments,
    characters: length,
    warnings,
    ...(problem ? { problem } : {}),
    ...(gaps ? { gaps } : {}),
    ...(counts ? { contacts: counts.contacts } : {}),
  };
}
