/**
 * `/campaign copy`: a new draft with another campaign's configuration (script, canned replies,
 * tags, survey questions, texting hours, stale-reply settings, opt-out and HELP replies) and none of its people:
 * no contacts, volunteers, conversations or answers. No Slack here.
 */
import type { Database } from "../db/database.ts";
import type { Campaign } from "../db/schema.ts";
import { availableFields, unknownFieldsIn } from "./scripts/scripts.ts";
import { parseTemplate } from "./scripts/template.ts";
import { activeQuestions } from "./surveys/survey-input.ts";

export const MAX_TITLE_LENGTH = 150;
const COPY_SUFFIX = " (copy)";

/** "<title> (copy)", the title shortened when needed so the whole stays within the limit. */
export function copyTitle(title: string): string {
  if (title.length + COPY_SUFFIX.length <= MAX_TITLE_LENGTH) return `${title}${COPY_SUFFIX}`;
  let kept = "";
  for (const character of title) {
    if (kept.length + character.length + 1 + COPY_SUFFIX.length > MAX_TITLE_LENGTH) break;
    kept += character;
  }
  return `${kept.trimEnd()}…${COPY_SUFFIX}`;
}

export type CopyCampaignResult =
  { ok: true; source: Campaign; campaign: Campaign } | { ok: false; reason: "unknown" | "taken" };

/**
 * Creates `slug` as a draft copy of the campaign `from`, in one transaction. The slug's unique
 * key decides a race: the loser gets "taken" and nothing is written. The uploaded-column list
 * (custom_fields) is not copied: it describes the old contacts, and the new upload brings its own.
 * Removed survey questions are left behind too: they only label answers, and the copy has none.
 */
export async function copyCampaign(
  db: Database,
  input: { from: string; slug: string; title?: string; createdBy: string },
): Promise<CopyCampaignResult> {
  return db.transaction().execute(async (tx) => {
    const source = await tx.selectFrom("campaigns").selectAll().where("slug", "=", input.from).executeTakeFirst();
    if (!source) return { ok: false, reason: "unknown" } as const;
    const campaign = await tx
      .insertInto("campaigns")
      .values({
        slug: input.slug,
        title: input.title ?? copyTitle(source.title),
        state: "draft",
        opening_message: source.opening_message,
        canned_replies: JSON.stringify(source.canned_replies ?? []),
        outcome_tags: JSON.stringify(source.outcome_tags ?? []),
        survey_questions: JSON.stringify(activeQuestions(source.survey_questions)),
        help_text: source.help_text,
        opt_out_reply: source.opt_out_reply,
        hours_start: source.hours_start,
        hours_end: source.hours_end,
        stale_reply_minutes: source.stale_reply_minutes,
        auto_release_stale: source.auto_release_stale,
        created_by: input.createdBy,
      })
      .onConflict((oc) => oc.column("slug").doNothing())
      .returningAll()
      .executeTakeFirst();
    return campaign ? ({ ok: true, source, campaign } as const) : ({ ok: false, reason: "taken" } as const);
  });
}

/**
 * Merge fields the copied script uses that no column of the (still empty) copy provides yet:
 * the new contacts file has to bring them. As the organizer typed them, first use first.
 */
export function fieldsToUpload(campaign: Campaign): string[] {
  const fields = availableFields(campaign);
  const texts = [campaign.opening_message ?? "", ...(campaign.canned_replies ?? []).map((r) => r.text)];
  const found = new Map<string, string>();
  for (const text of texts) {
    const parsed = parseTemplate(text);
    if (!parsed.ok) continue;
    for (const field of unknownFieldsIn(parsed.template, fields))
      if (!found.has(field.key)) found.set(field.key, field.raw);
  }
  return [...found.values()];
}
