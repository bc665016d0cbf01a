/**
 * The filter of `/campaign review <slug> [filter…]`, as an organizer types it. Pure: resolving
 * tags and survey answers against the campaign comes after (review.ts). Filters combine with
 * AND; a value with spaces is quoted (`tag:"Wrong number"`, `answer:"Vote plan=Election Day"`).
 */

export interface ReviewFilter {
  /** The contact wrote last and nobody has answered (conversations.waiting_since). */
  waiting: boolean;
  optedOut: boolean;
  escalated: boolean;
  tags: string[];
  answers: { question: string; answer: string }[];
  /** Slack user ids of the assigned volunteer. */
  volunteers: string[];
  /** Searched in the conversation's messages, ignoring case. */
  phrases: string[];
}

export const REVIEW_FILTER_FORMS =
  "`waiting` (the contact wrote last and nobody answered), `opted-out`, `escalated`, `tag:<tag>`, " +
  '`answer:<question>=<answer>`, `@person` (who has the conversation) and `"words"` (in its messages); ' +
  'they combine, and a value with spaces goes in quotes: `tag:"Wrong number"`, `answer:"Vote plan=Election Day"`';

/** The longest filter the modal carries (its private_metadata holds at most 3,000 characters). */
export const MAX_FILTER_LENGTH = 1000;

export type ParsedFilter = { ok: true; filter: ReviewFilter } | { ok: false; problem: string };

export const emptyFilter = (): ReviewFilter => ({
  waiting: false,
  optedOut: false,
  escalated: false,
  tags: [],
  answers: [],
  volunteers: [],
  phrases: [],
});

const QUOTES = /["\u201C\u201D\u201E\u00AB\u00BB]/;

/** Words separated by spaces, where a quoted part ("…", also typographic quotes) keeps its spaces. */
function tokens(text: string): { ok: true; words: string[] } | { ok: false; problem: string } {
  const words: string[] = [];
  let current = "";
  let inQuote = false;
  let started = false;
  for (const ch of text) {
    if (QUOTES.test(ch)) {
      inQuote = !inQuote;
      current += '"';
      started = true;
    } else if (!inQuote && /\s/.test(ch)) {
      if (started) words.push(current);
      current = "";
      started = false;
    } else {
      current += ch;
      started = true;
    }
  }
  if (inQuote) return { ok: false, problem: 'A quote (") is opened but never closed.' };
  if (started) words.push(current);
  return { ok: true, words };
}

const unquote = (value: string) => value.replaceAll('"', "").trim();

export function parseReviewFilter(text: string): ParsedFilter {
  if (text.length > MAX_FILTER_LENGTH)
    return { ok: false, problem: `That filter is ${text.length} characters; at most ${MAX_FILTER_LENGTH} fit.` };
  const split = tokens(text.trim());
  if (!split.ok) return split;
  const filter = emptyFilter();
  for (const word of split.words) {
    const lower = word.toLowerCase();
    if (lower === "waiting") filter.waiting = true;
    else if (lower === "opted-out" || lower === "opted_out" || lower === "optedout") filter.optedOut = true;
    else if (lower === "escalated") filter.escalated = true;
    else if (lower.startsWith("tag:")) {
      const tag = unquote(word.slice(4));
      if (!tag) return { ok: false, problem: 'Name the tag after `tag:`, like `tag:Yes` or `tag:"Wrong number"`.' };
      filter.tags.push(tag);
    } else if (lower.startsWith("answer:")) {
      const body = unquote(word.slice(7));
      const eq = body.indexOf("=");
      const question = eq === -1 ? "" : body.slice(0, eq).trim();
      const answer = eq === -1 ? "" : body.slice(eq + 1).trim();
      if (!question || !answer)
        return {
          ok: false,
          problem: 'Write a survey answer as `answer:<question>=<answer>`, like `answer:"Vote plan=Early"`.',
        };
      filter.answers.push({ question, answer });
    } else if (word.startsWith("<@")) {
      const user = /^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$/.exec(word)?.[1];
      if (!user) return { ok: false, problem: `\`${word}\` is not a person Slack named.` };
      if (!filter.volunteers.includes(user)) filter.volunteers.push(user);
    } else if (word.startsWith("@"))
      return {
        ok: false,
        problem: `\`${word}\` is not a mention: pick the person from the list Slack offers as you type @.`,
      };
    else if (word.startsWith('"') && word.endsWith('"') && word.length >= 2 && !word.slice(1, -1).includes('"')) {
      const phrase = word.slice(1, -1).trim();
      if (!phrase) return { ok: false, problem: 'Put some words between the quotes, like `"polling place"`.' };
      filter.phrases.push(phrase);
    } else return { ok: false, problem: `\`${word}\` is not a filter.` };
  }
  return { ok: true, filter };
}

const quoteIfNeeded = (value: string) => (/[\s"]/.test(value) ? `"${value.replaceAll('"', "")}"` : value);

/** The filter as it can be typed again: what the modal shows and carries. */
export function filterLabel(filter: ReviewFilter): string {
  const parts: string[] = [];
  if (filter.waiting) parts.push("waiting");
  if (filter.optedOut) parts.push("opted-out");
  if (filter.escalated) parts.push("escalated");
  for (const tag of filter.tags) parts.push(`tag:${quoteIfNeeded(tag)}`);
  for (const a of filter.answers) parts.push(`answer:${quoteIfNeeded(`${a.question}=${a.answer}`)}`);
  for (const user of filter.volunteers) parts.push(`<@${user}>`);
  for (const phrase of filter.phrases) parts.push(`"${phrase.replaceAll('"', "")}"`);
  return parts.join(" ");
}
