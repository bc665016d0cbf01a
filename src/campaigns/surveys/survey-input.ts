/**
 * Survey questions as an organizer types them into the script modal, one per line:
 * `Question: Answer | Answer | …`, and the `[Question=Answer]` a canned reply may end with to
 * record an answer when it is sent. Errors are written to be shown back in the modal as they are.
 * No database and no Slack here.
 */
import type { SurveyQuestion } from "../../db/schema.ts";

export const MAX_QUESTIONS = 10;
export const MIN_ANSWERS = 2;
export const MAX_ANSWERS = 10;
export const MAX_QUESTION_LABEL = 60;
export const MAX_ANSWER_TEXT = 40;
/** Above this many answers the thread parent shows a menu instead of a row of buttons. */
export const MAX_ANSWER_BUTTONS = 5;

/** A question as typed, before it is given its stable id. */
export interface QuestionInput {
  label: string;
  answers: string[];
}

/** What a canned reply records when sent: the question by its label, the answer as listed. */
export interface CannedAnswer {
  question: string;
  answer: string;
}

/** Slack counts characters, not UTF-16 code units, so an emoji counts once. */
const characters = (text: string) => [...text].length;
const keyOf = (text: string) => text.toLowerCase();

/**
 * `[` `]` and `=` would make a canned reply's `[Question=Answer]` ambiguous, so a label may not
 * hold them and an answer may not hold the brackets.
 */
const LABEL_FORBIDDEN = /[[\]=]/;
const ANSWER_FORBIDDEN = /[[\]]/;

/** Parses every line; a bad line is named by its number with what is wrong with it. */
export function parseSurveyQuestions(
  input: string,
): { ok: true; questions: QuestionInput[] } | { ok: false; errors: string[] } {
  const questions: QuestionInput[] = [];
  const errors: string[] = [];
  const lineOfLabel = new Map<string, number>();

  input.split(/\r?\n/).forEach((line, index) => {
    const n = index + 1;
    if (line.trim() === "") return;
    const colon = line.indexOf(":");
    const label = colon === -1 ? "" : line.slice(0, colon).trim();
    const rest = colon === -1 ? "" : line.slice(colon + 1);
    if (!label || !rest.trim()) {
      errors.push(`Line ${n} is not \`Question: Answer | Answer\``);
      return;
    }
    const problems: string[] = [];
    if (characters(label) > MAX_QUESTION_LABEL)
      problems.push(`the question is ${characters(label)} characters; at most ${MAX_QUESTION_LABEL} are allowed`);
    if (LABEL_FORBIDDEN.test(label)) problems.push(`the question may not contain [, ] or =`);
    const first = lineOfLabel.get(keyOf(label));
    if (first !== undefined) problems.push(`the question "${label}" is already asked on line ${first}`);
    else lineOfLabel.set(keyOf(label), n);

    const answers = rest.split("|").map((answer) => answer.trim());
    if (answers.some((answer) => answer === "")) problems.push("an answer is empty (two | with nothing between?)");
    const given = answers.filter((answer) => answer !== "");
    if (given.length < MIN_ANSWERS)
      problems.push(`it has ${given.length} answer${given.length === 1 ? "" : "s"}; give at least ${MIN_ANSWERS}`);
    if (given.length > MAX_ANSWERS) problems.push(`it has ${given.length} answers; at most ${MAX_ANSWERS} are allowed`);
    const seen = new Set<string>();
    for (const answer of given) {
      if (characters(answer) > MAX_ANSWER_TEXT)
        problems.push(`the answer "${answer}" is ${characters(answer)} characters; at most ${MAX_ANSWER_TEXT}`);
      if (ANSWER_FORBIDDEN.test(answer)) problems.push(`the answer "${answer}" may not contain [ or ]`);
      // "Yes" and "yes" would be two buttons nobody can tell apart.
      if (seen.has(keyOf(answer))) problems.push(`the answer "${answer}" is listed twice`);
      seen.add(keyOf(answer));
    }
    if (problems.length) errors.push(`Line ${n}: ${problems.join("; ")}`);
    else questions.push({ label, answers: given });
  });

  const asked = questions.length + errors.length;
  if (asked > MAX_QUESTIONS) errors.push(`There are ${asked} questions; at most ${MAX_QUESTIONS} are allowed`);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, questions };
}

/** The questions still asked, in the order the organizer wrote them. */
export function activeQuestions(all: readonly SurveyQuestion[] | null | undefined): SurveyQuestion[] {
  return (all ?? []).filter((question) => !question.removed);
}

/** The box's text for the saved questions: what parseSurveyQuestions reads back to the same list. */
export function surveyQuestionsText(all: readonly SurveyQuestion[] | null | undefined): string {
  return activeQuestions(all)
    .map((question) => `${question.label}: ${question.answers.join(" | ")}`)
    .join("\n");
}

/**
 * The saved list after an edit. A question keeps its id while its label stays the same (case
 * aside), so answers already recorded stay attached to it whatever happens to its answers or its
 * place; a question no longer listed is kept, flagged removed, so its answers keep their label;
 * a new one gets an id never used in this campaign.
 */
export function mergeQuestions(existing: readonly SurveyQuestion[], next: readonly QuestionInput[]): SurveyQuestion[] {
  const byLabel = new Map(existing.map((question) => [keyOf(question.label), question]));
  let nextId = existing.reduce((max, question) => Math.max(max, question.id), 0) + 1;
  const active = next.map((question) => ({
    id: byLabel.get(keyOf(question.label))?.id ?? nextId++,
    label: question.label,
    answers: [...question.answers],
  }));
  const kept = new Set(active.map((question) => question.id));
  const removed = existing
    .filter((question) => !kept.has(question.id))
    .map((question) => ({ ...question, removed: true }));
  return [...active, ...removed];
}

/** Why an answer to question `questionId` cannot be recorded, or the question when it can. */
export function answerProblem(
  questions: readonly SurveyQuestion[],
  questionId: number,
  answer: string,
): { problem: string } | { question: SurveyQuestion } {
  const question = questions.find((q) => q.id === questionId);
  if (!question) return { problem: "That question is not part of this campaign's survey; nothing was recorded." };
  if (question.removed)
    return { problem: `The question "${question.label}" was removed from the survey; nothing was recorded.` };
  if (!question.answers.includes(answer))
    return {
      problem: `"${answer}" is not one of the answers to "${question.label}" any more; nothing was recorded.`,
    };
  return { question };
}

const TRAILING_ANSWER = /\s*\[([^[\]=]*)=([^[\]]*)\]\s*$/;

/**
 * A canned reply's text without the `[Question=Answer]` groups it ends with, and those groups in
 * order. Brackets elsewhere in the text are left alone.
 */
export function splitCannedAnswers(text: string): { text: string; answers: CannedAnswer[] } {
  const answers: CannedAnswer[] = [];
  let rest = text;
  for (let match = TRAILING_ANSWER.exec(rest); match; match = TRAILING_ANSWER.exec(rest)) {
    answers.unshift({ question: match[1]!.trim(), answer: match[2]!.trim() });
    rest = rest.slice(0, match.index);
  }
  return { text: rest.trim(), answers };
}

/**
 * Resolves a canned reply's answers against the questions of the same submission: the
 * question by label and the answer by text (case aside), written back as the question lists them.
 */
export function resolveCannedAnswers(
  answers: readonly CannedAnswer[],
  questions: readonly QuestionInput[],
): { ok: true; answers: CannedAnswer[] } | { ok: false; problem: string } {
  const resolved: CannedAnswer[] = [];
  const labels = questions.map((q) => q.label);
  for (const given of answers) {
    const question = questions.find((q) => keyOf(q.label) === keyOf(given.question));
    if (!question) {
      const known = labels.length ? `the survey asks: ${labels.join(", ")}` : "the survey has no questions";
      return { ok: false, problem: `[${given.question}=${given.answer}] names no survey question (${known})` };
    }
    const answer = question.answers.find((a) => keyOf(a) === keyOf(given.answer));
    if (!answer)
      return {
        ok: false,
        problem: `"${given.answer}" is not an answer to "${question.label}" (${question.answers.join(" | ")})`,
      };
    if (resolved.some((r) => r.question === question.label))
      return { ok: false, problem: `it records "${question.label}" twice` };
    resolved.push({ question: question.label, answer });
  }
  return { ok: true, answers: resolved };
}

/** The canned reply as the box shows it: its text, then the answers it records. */
export function cannedReplyLine(reply: { title: string; text: string; answers?: CannedAnswer[] }): string {
  const answers = (reply.answers ?? []).map((a) => ` [${a.question}=${a.answer}]`).join("");
  return `${reply.title}: ${reply.text}${answers}`;
}

export const MAX_NOTE_LENGTH = 1000;

/** Why a note cannot be kept, or undefined when it can. */
export function noteProblem(body: string): string | undefined {
  if (!body.trim()) return "Write the note first.";
  const length = characters(body.trim());
  if (length > MAX_NOTE_LENGTH) return `The note is ${length} characters; at most ${MAX_NOTE_LENGTH} are allowed.`;
  return undefined;
}
