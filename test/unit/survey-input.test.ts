import { describe, expect, it } from "vitest";
import {
  answerProblem,
  cannedReplyLine,
  mergeQuestions,
  noteProblem,
  parseSurveyQuestions,
  resolveCannedAnswers,
  splitCannedAnswers,
  surveyQuestionsText,
} from "../../src/campaigns/surveys/survey-input.ts";

describe("parseSurveyQuestions", () => {
  it("reads one question per line, answers split on |, blank lines ignored", () => {
    expect(parseSurveyQuestions("Vote plan: Early | Election Day |By mail\r\n\n  Support : Yes|No  ")).toEqual({
      ok: true,
      questions: [
        { label: "Vote plan", answers: ["Early", "Election Day", "By mail"] },
        { label: "Support", answers: ["Yes", "No"] },
      ],
    });
    expect(parseSurveyQuestions(" \n ")).toEqual({ ok: true, questions: [] });
  });

  it("lets an answer hold a colon: only the first one ends the question", () => {
    expect(parseSurveyQuestions("When: Before 5:00 | After 5:00")).toMatchObject({
      questions: [{ label: "When", answers: ["Before 5:00", "After 5:00"] }],
    });
  });

  it("counts a question and its answers in characters, so an emoji counts once", () => {
    const label = "🗳".repeat(60);
    expect(parseSurveyQuestions(`${label}: ${"✅".repeat(40)} | No`).ok).toBe(true);
  });

  it("names every bad line with all that is wrong on it", () => {
    const result = parseSurveyQuestions("Q: a | a | \n: x | y\nOnly: one");
    expect(result).toEqual({
      ok: false,
      errors: [
        'Line 1: an answer is empty (two | with nothing between?); the answer "a" is listed twice',
        "Line 2 is not `Question: Answer | Answer`",
        "Line 3: it has 1 answer; give at least 2",
      ],
    });
  });

  it("refuses brackets in answers and =, [ or ] in questions (they would make [Question=Answer] ambiguous)", () => {
    expect(parseSurveyQuestions("Q: [a] | b")).toEqual({
      ok: false,
      errors: ['Line 1: the answer "[a]" may not contain [ or ]'],
    });
  });
});

describe("mergeQuestions", () => {
  it("keeps a question's id by its label (case aside), flags removed ones and never reuses an id", () => {
    const first = mergeQuestions(
      [],
      [
        { label: "A", answers: ["x", "y"] },
        { label: "B", answers: ["x", "y"] },
      ],
    );
    expect(first.map((q) => q.id)).toEqual([1, 2]);
    const second = mergeQuestions(first, [
      { label: "C", answers: ["p", "q"] },
      { label: "a", answers: ["y", "z"] },
    ]);
    expect(second).toEqual([
      { id: 3, label: "C", answers: ["p", "q"] },
      { id: 1, label: "a", answers: ["y", "z"] },
      { id: 2, label: "B", answers: ["x", "y"], removed: true },
    ]);
    // B comes back with its old id and its answers; C, now removed, keeps 3 for itself.
    const third = mergeQuestions(second, [{ label: "B", answers: ["x", "y"] }]);
    expect(third.map((q) => [q.id, q.label, Boolean(q.removed)])).toEqual([
      [2, "B", false],
      [3, "C", true],
      [1, "a", true],
    ]);
    expect(mergeQuestions(third, [{ label: "D", answers: ["x", "y"] }])[0]!.id).toBe(4);
    expect(surveyQuestionsText(third)).toBe("B: x | y");
  });
});

describe("answerProblem", () => {
  const questions = [
    { id: 1, label: "Plan", answers: ["Early", "Late"] },
    { id: 2, label: "Gone", answers: ["A", "B"], removed: true },
  ];
  it("accepts an answer still offered to a question still asked, and says why otherwise", () => {
    expect(answerProblem(questions, 1, "Late")).toEqual({ question: questions[0] });
    expect(answerProblem(questions, 3, "Late")).toEqual({
      problem: "That question is not part of this campaign's survey; nothing was recorded.",
    });
    expect(answerProblem(questions, 2, "A")).toMatchObject({ problem: expect.stringContaining("was removed") });
    expect(answerProblem(questions, 1, "late")).toMatchObject({
      problem: expect.stringContaining('"late" is not one of the answers to "Plan"'),
    });
  });
});

describe("canned replies that record answers", () => {
  it("takes the [Question=Answer] groups at the end of the text, and leaves other brackets alone", () => {
    expect(splitCannedAnswers("See [this] page [Plan = Early] [Support=Yes] ")).toEqual({
      text: "See [this] page",
      answers: [
        { question: "Plan", answer: "Early" },
        { question: "Support", answer: "Yes" },
      ],
    });
    expect(splitCannedAnswers("Reply [here] now")).toEqual({ text: "Reply [here] now", answers: [] });
  });

  it("resolves them against the questions, written as listed, and refuses what does not match", () => {
    const questions = [{ label: "Vote plan", answers: ["Early", "By mail"] }];
    expect(resolveCannedAnswers([{ question: "vote PLAN", answer: "by mail" }], questions)).toEqual({
      ok: true,
      answers: [{ question: "Vote plan", answer: "By mail" }],
    });
    expect(resolveCannedAnswers([{ question: "Plan", answer: "Early" }], questions)).toEqual({
      ok: false,
      problem: "[Plan=Early] names no survey question (the survey asks: Vote plan)",
    });
    expect(resolveCannedAnswers([{ question: "Plan", answer: "Early" }], [])).toMatchObject({
      problem: expect.stringContaining("the survey has no questions"),
    });
    expect(
      resolveCannedAnswers(
        [
          { question: "Vote plan", answer: "Early" },
          { question: "Vote plan", answer: "By mail" },
        ],
        questions,
      ),
    ).toEqual({ ok: false, problem: 'it records "Vote plan" twice' });
    expect(cannedReplyLine({ title: "T", text: "x", answers: [{ question: "Vote plan", answer: "Early" }] })).toBe(
      "T: x [Vote plan=Early]",
    );
  });
});

describe("noteProblem", () => {
  it("wants some text, at most 1,000 characters once trimmed", () => {
    expect(noteProblem("  \n")).toBe("Write the note first.");
    expect(noteProblem(` ${"é".repeat(1000)} `)).toBeUndefined();
    expect(noteProblem("x".repeat(1001))).toBe("The note is 1001 characters; at most 1000 are allowed.");
  });
});
