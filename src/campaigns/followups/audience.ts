/**
 * Who a follow-up round is for, as an organizer types it after `/campaign followup <slug>`.
 * Pure: resolving names against the campaign (rounds.ts) comes after.
 */

export type Audience =
  /** Texted, and never replied. */
  | { kind: "no-reply" }
  /** The conversation's current outcome tag. */
  | { kind: "tag"; tag: string }
  /** The conversation's current answer to a survey question. */
  | { kind: "answer"; question: string; answer: string };

export const AUDIENCE_FORMS =
  "`no-reply` (texted, never replied), `tag:<tag>` (conversations with that outcome tag) or " +
  "`answer:<question>=<answer>` (contacts with that survey answer)";

export type ParsedAudience = { ok: true; audience: Audience } | { ok: false; problem: string };

export function parseAudience(text: string): ParsedAudience {
  const typed = text.trim();
  if (!typed) return { ok: false, problem: `Name the audience: ${AUDIENCE_FORMS}.` };
  if (/^no-?reply$/i.test(typed)) return { ok: true, audience: { kind: "no-reply" } };
  const tag = /^tag:(.*)$/is.exec(typed);
  if (tag) {
    const name = tag[1]!.trim();
    if (!name) return { ok: false, problem: "Name the tag after `tag:`, like `tag:Yes`." };
    return { ok: true, audience: { kind: "tag", tag: name } };
  }
  const answer = /^answer:(.*)$/is.exec(typed);
  if (answer) {
    const body = answer[1]!;
    const eq = body.indexOf("=");
    const question = eq === -1 ? "" : body.slice(0, eq).trim();
    const value = eq === -1 ? "" : body.slice(eq + 1).trim();
    if (!question || !value)
      return {
        ok: false,
        problem: "Write the survey answer as `answer:<question>=<answer>`, like `answer:Vote plan=Early`.",
      };
    return { ok: true, audience: { kind: "answer", question, answer: value } };
  }
  return { ok: false, problem: `\`${typed}\` is not an audience. Use ${AUDIENCE_FORMS}.` };
}

/** The audience as stored on the round and shown in stats. */
export function audienceLabel(audience: Audience): string {
  switch (audience.kind) {
    case "no-reply":
      return "no-reply";
    case "tag":
      return `tag:${audience.tag}`;
    case "answer":
      return `answer:${audience.question}=${audience.answer}`;
  }
}
