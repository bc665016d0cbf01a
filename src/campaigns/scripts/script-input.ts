/**
 * Parsing what an organizer types into the script modal's free-text boxes. Errors are written
 * to be shown back in the modal as they are.
 */
import { segmentInfo, ucs2Culprits } from "./segments.ts";
import { parseTemplate } from "./template.ts";

/** Slack caps button text at 75 characters; replies and tags become buttons. */
export const MAX_BUTTON_TEXT = 75;
export const MAX_CANNED_REPLIES = 20;
export const MAX_OUTCOME_TAGS = 10;
/** Beyond this a text costs more than it is worth and risks arriving out of order. */
export const MAX_SEGMENTS_WITHOUT_WARNING = 3;

export interface CannedReply {
  title: string;
  text: string;
}

/** Slack counts characters, not UTF-16 code units, so an emoji in a title counts once. */
function characterCount(text: string): number {
  return [...text].length;
}

/** One reply per line, `Title: text`; the first ":" separates, so the text may contain more. */
export function parseCannedReplies(
  input: string,
): { ok: true; replies: CannedReply[] } | { ok: false; errors: string[] } {
  const replies: CannedReply[] = [];
  const errors: string[] = [];
  const lineOfTitle = new Map<string, number>();

  input.split(/\r?\n/).forEach((line, index) => {
    const lineNumber = index + 1;
    if (line.trim() === "") return;
    const colon = line.indexOf(":");
    const title = colon === -1 ? "" : line.slice(0, colon).trim();
    const text = colon === -1 ? "" : line.slice(colon + 1).trim();
    if (!title || !text) {
      errors.push(`Line ${lineNumber} is not \`Title: text\``);
      return;
    }
    if (characterCount(title) > MAX_BUTTON_TEXT) {
      errors.push(
        `Line ${lineNumber}: the title is ${characterCount(title)} characters; ` +
          `a Slack button fits at most ${MAX_BUTTON_TEXT}`,
      );
    }
    // Case-insensitive: "Yes" and "yes" would be two buttons nobody can tell apart.
    const key = title.toLowerCase();
    const firstLine = lineOfTitle.get(key);
    if (firstLine !== undefined) {
      errors.push(`Line ${lineNumber}: the title "${title}" is already used on line ${firstLine}`);
    } else {
      lineOfTitle.set(key, lineNumber);
    }
    const parsed = parseTemplate(text);
    if (!parsed.ok) errors.push(`Line ${lineNumber}: ${parsed.error} of the reply text`);
    replies.push({ title, text });
  });

  if (replies.length > MAX_CANNED_REPLIES) {
    errors.push(`There are ${replies.length} canned replies; at most ${MAX_CANNED_REPLIES} are allowed`);
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, replies };
}

/** Comma- or newline-separated tags, trimmed; empty entries are ignored. */
export function parseOutcomeTags(input: string): { ok: true; tags: string[] } | { ok: false; error: string } {
  const tags = input
    .split(/[,\r\n]/)
    .map((tag) => tag.trim())
    .filter((tag) => tag !== "");

  const seen = new Set<string>();
  for (const tag of tags) {
    if (characterCount(tag) > MAX_BUTTON_TEXT) {
      return {
        ok: false,
        error: `The tag "${tag}" is ${characterCount(tag)} characters; a Slack button fits at most ${MAX_BUTTON_TEXT}`,
      };
    }
    const key = tag.toLowerCase();
    if (seen.has(key)) return { ok: false, error: `The tag "${tag}" is listed twice` };
    seen.add(key);
  }
  if (tags.length > MAX_OUTCOME_TAGS) {
    return { ok: false, error: `There are ${tags.length} tags; at most ${MAX_OUTCOME_TAGS} are allowed` };
  }
  return { ok: true, tags };
}

/**
 * STOP in capitals as a word of its own ("STOP2END" counts: a digit is not a letter) is the
 * carrier convention. Lower-case "stop" only counts in an opt-out phrase, so that
 * "don't stop now" or "stopping by" are not mistaken for opt-out language.
 */
const CAPITAL_STOP = /(?<![A-Za-z])STOP(?![A-Za-z])/;
const QUOTE = `["'\u2018\u2019\u201C\u201D]?`;
const VERB_THEN_STOP = new RegExp(
  `(?<![a-z])(reply|replying|respond|text|txt|send|msg|message)\\s+(with\\s+)?${QUOTE}stop${QUOTE}(?![a-z])`,
  "i",
);
const STOP_THEN_PURPOSE = new RegExp(
  `(?<![a-z])stop${QUOTE}\\s*(to|2)\\s*(opt[\\s-]*out|unsub(scribe)?|end|quit|stop|cancel|leave|be removed)(?![a-z])`,
  "i",
);

export function hasOptOutLanguage(openingMessage: string): boolean {
  return (
    CAPITAL_STOP.test(openingMessage) || VERB_THEN_STOP.test(openingMessage) || STOP_THEN_PURPOSE.test(openingMessage)
  );
}

/**
 * Warnings for the script modal; none of them refuses the script (docs/user-guide.md, "The preview").
 * `renderedSample` is the opening message rendered for a sample contact; the opt-out check
 * reads the template itself so it does not depend on the sample's values.
 */
export function scriptWarnings(renderedSample: string, openingTemplateText: string): string[] {
  const warnings: string[] = [];
  const info = segmentInfo(renderedSample);
  if (info.segments > MAX_SEGMENTS_WITHOUT_WARNING) {
    warnings.push(
      `The sample message is ${info.segments} segments (${info.encoding}); ` +
        `over ${MAX_SEGMENTS_WITHOUT_WARNING} costs more and may arrive out of order`,
    );
  }
  if (info.encoding === "UCS-2") {
    const named = ucs2Culprits(renderedSample).map((culprit) => culprit.label);
    warnings.push(
      `The sample message needs UCS-2 (70 characters per segment instead of 160) because of: ${named.join("; ")}`,
    );
  }
  if (!hasOptOutLanguage(openingTemplateText)) {
    warnings.push(`The opening message has no opt-out language, such as "Reply STOP to opt out"`);
  }
  return warnings;
}
