import { describe, it, expect } from "vitest";
import {
  hasOptOutLanguage,
  parseCannedReplies,
  parseOutcomeTags,
  scriptWarnings,
} from "../../src/campaigns/scripts/script-input.ts";

function errorsOf(result: ReturnType<typeof parseCannedReplies>): string[] {
  return result.ok ? [] : result.errors;
}

describe("parseCannedReplies", () => {
  it("parses one reply per line, ignoring blank lines, splitting on the first colon", () => {
    const result = parseCannedReplies("Polling place: Find yours at {site}\n\n  Time :  Polls close at 8:00pm  \r\n");
    expect(result).toEqual({
      ok: true,
      replies: [
        { title: "Polling place", text: "Find yours at {site}" },
        { title: "Time", text: "Polls close at 8:00pm" },
      ],
    });
  });

  it("accepts an empty box", () => {
    expect(parseCannedReplies("\n  \n")).toEqual({ ok: true, replies: [] });
  });

  it("names the line that is not Title: text", () => {
    const errors = errorsOf(parseCannedReplies("Yes: great\n\nno colon here\n: no title\nNo text:  "));
    expect(errors).toEqual([
      "Line 3 is not `Title: text`",
      "Line 4 is not `Title: text`",
      "Line 5 is not `Title: text`",
    ]);
  });

  it("refuses duplicate titles, case-insensitively", () => {
    const errors = errorsOf(parseCannedReplies("Yes: one\nNo: two\nyes: three"));
    expect(errors).toEqual(['Line 3: the title "yes" is already used on line 1']);
  });

  it("refuses a title longer than a Slack button", () => {
    expect(parseCannedReplies(`${"a".repeat(75)}: ok`).ok).toBe(true);
    const errors = errorsOf(parseCannedReplies(`${"a".repeat(76)}: ok`));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain("Line 1");
    expect(errors[0]).toContain("76 characters");
  });

  it("allows 20 replies and refuses 21", () => {
    const lines = (n: number) => Array.from({ length: n }, (_, i) => `Reply ${i}: text ${i}`).join("\n");
    expect(parseCannedReplies(lines(20)).ok).toBe(true);
    expect(errorsOf(parseCannedReplies(lines(21)))).toEqual(["There are 21 canned replies; at most 20 are allowed"]);
  });

  it("refuses a reply text that is not a valid template", () => {
    const errors = errorsOf(parseCannedReplies("Ok: fine\nBad: Hi {first_name"));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^Line 2: Unclosed "\{" at character 4/);
  });
});

describe("parseOutcomeTags", () => {
  it("splits on commas and newlines, trims and ignores empties", () => {
    expect(parseOutcomeTags(" Supporter, Undecided,,\nOpposed \n\n , Wrong number ")).toEqual({
      ok: true,
      tags: ["Supporter", "Undecided", "Opposed", "Wrong number"],
    });
    expect(parseOutcomeTags("")).toEqual({ ok: true, tags: [] });
  });

  it("allows 10 tags and refuses 11", () => {
    const tags = (n: number) => Array.from({ length: n }, (_, i) => `Tag ${i}`).join(", ");
    expect(parseOutcomeTags(tags(10)).ok).toBe(true);
    expect(parseOutcomeTags(tags(11))).toEqual({ ok: false, error: "There are 11 tags; at most 10 are allowed" });
  });

  it("refuses a duplicated tag, case-insensitively, naming it", () => {
    expect(parseOutcomeTags("Yes, No, yes")).toEqual({ ok: false, error: 'The tag "yes" is listed twice' });
  });

  it("refuses a tag longer than a Slack button, naming it", () => {
    const long = "x".repeat(76);
    const result = parseOutcomeTags(`Yes, ${long}`);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain(`"${long}"`);
    expect(parseOutcomeTags("y".repeat(75)).ok).toBe(true);
  });
});

describe("hasOptOutLanguage", () => {
  it.each([
    "Hi Ana! Reply STOP to opt out",
    "Text STOP to unsubscribe",
    "reply stop to end",
    "Msg&data rates may apply. STOP2END",
    "Txt STOP to quit",
    "opt out: reply STOP",
    "Reply STOP to stop",
    "Reply 'stop' to opt-out",
    "(STOP to end)",
    "stop 2 end",
    "text stop",
    "Paid for by Yes on 3. Opt-out: STOP",
    "Text back STOP anytime",
  ])("finds opt-out language in %j", (text) => {
    expect(hasOptOutLanguage(text)).toBe(true);
  });

  it.each([
    "Hi Ana, I'm stopping by the office",
    "Hi Ana, vote on Tuesday!",
    "Nonstop action, unstoppable team",
    "Don't stop believing",
    "STOPPED by to say hi",
    "",
  ])("finds none in %j", (text) => {
    expect(hasOptOutLanguage(text)).toBe(false);
  });
});

describe("scriptWarnings", () => {
  const optOut = "Reply STOP to opt out";

  it("has no warnings for a short GSM message with opt-out language", () => {
    expect(
      scriptWarnings("Hi Ana, vote Tuesday! Reply STOP to opt out", `Hi {first_name}, vote Tuesday! ${optOut}`),
    ).toEqual([]);
  });

  it("warns above 3 segments, saying how many", () => {
    expect(scriptWarnings("a".repeat(459), optOut)).toEqual([]);
    const warnings = scriptWarnings("a".repeat(460), optOut);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("4 segments");
  });

  it("warns about UCS-2, naming the characters", () => {
    const warnings = scriptWarnings("Don’t forget to vote 😀", optOut);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("UCS-2");
    expect(warnings[0]).toContain("’ (curly apostrophe, use ')");
    expect(warnings[0]).toContain("😀 (emoji)");
  });

  it("warns when the opening template has no opt-out language", () => {
    const warnings = scriptWarnings("Hi Ana", "Hi {first_name}");
    expect(warnings).toEqual(['The opening message has no opt-out language, such as "Reply STOP to opt out"']);
  });

  it("gives all warnings together", () => {
    expect(scriptWarnings("é".repeat(10) + "á".repeat(300), "Hi")).toHaveLength(3);
  });
});
