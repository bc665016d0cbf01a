import { z } from "zod";

/**
 * A zod schema for JSON carried in a string we put into Slack (a button's value, a modal's
 * private_metadata): parsed, then checked against `shape`. Anything else — not JSON, the wrong
 * shape, a tampered value — fails to parse like any other bad input.
 *
 * Build it once at module load: zod 4 compiles an object schema when it is made, which costs
 * more than parsing, and Send parses one on every press.
 */
export function jsonValue<T extends z.ZodType>(shape: T) {
  return z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: "custom", message: "not JSON" });
        return z.NEVER;
      }
    })
    .pipe(shape);
}
