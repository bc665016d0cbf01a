import { ErrorCode } from "@slack/web-api";
import { describe, expect, it } from "vitest";
import { decideAfterFailure, MAX_ATTEMPTS } from "../../src/outbox/failures.ts";

// Shaped like the errors @slack/web-api throws.
const rateLimited = (retryAfter: number) =>
  Object.assign(new Error("rate limited"), { code: ErrorCode.RateLimitedError, retryAfter });
const platform = (error: string) =>
  Object.assign(new Error(`An API error occurred: ${error}`), {
    code: ErrorCode.PlatformError,
    data: { ok: false, error },
  });
const http = (statusCode: number) =>
  Object.assign(new Error(`HTTP ${statusCode}`), { code: ErrorCode.HTTPError, statusCode });
const network = () =>
  Object.assign(new Error("A request error occurred: The operation was aborted due to timeout"), {
    code: ErrorCode.RequestError,
  });

describe("decideAfterFailure", () => {
  it("waits out a 429 exactly as long as Retry-After says, whatever the attempt", () => {
    expect(decideAfterFailure(rateLimited(3), 1)).toEqual({ kind: "rate_limited", waitMs: 3000 });
    expect(decideAfterFailure(rateLimited(0), MAX_ATTEMPTS + 5)).toEqual({ kind: "rate_limited", waitMs: 1000 });
    expect(decideAfterFailure(platform("ratelimited"), 1)).toEqual({ kind: "rate_limited", waitMs: 1000 });
  });

  it("backs off 1 s, 2 s, 4 s … up to 5 minutes on 5xx and network errors (timeouts included)", () => {
    const waits = [1, 2, 3, 4, 9, 10, 20].map((attempt) => decideAfterFailure(http(503), attempt));
    expect(waits.map((d) => (d.kind === "retry" ? d.waitMs : d.kind))).toEqual([
      1000, 2000, 4000, 8000, 256_000, 300_000, 300_000,
    ]);
    expect(decideAfterFailure(http(500), 1)).toMatchObject({ kind: "retry", reason: "http_500" });
    expect(decideAfterFailure(network(), 2)).toEqual({
      kind: "retry",
      waitMs: 2000,
      reason: "A request error occurred: The operation was aborted due to timeout",
    });
    expect(decideAfterFailure(platform("internal_error"), 1)).toMatchObject({
      kind: "retry",
      reason: "internal_error",
    });
  });

  it("counts a reaction already added (or already gone) as done, not as a failure", () => {
    expect(decideAfterFailure(platform("already_reacted"), 2)).toEqual({ kind: "done", reason: "already_reacted" });
    expect(decideAfterFailure(platform("no_reaction"), 1)).toEqual({ kind: "done", reason: "no_reaction" });
  });

  it("gives up at once on what Slack refused, and after MAX_ATTEMPTS on the rest", () => {
    for (const code of [
      "channel_not_found",
      "not_in_channel",
      "is_archived",
      "invalid_blocks",
      "msg_too_long",
      "invalid_auth",
      "no_text",
    ]) {
      expect(decideAfterFailure(platform(code), 1)).toEqual({ kind: "give_up", reason: code });
    }
    expect(decideAfterFailure(http(502), MAX_ATTEMPTS - 1).kind).toBe("retry");
    expect(decideAfterFailure(http(502), MAX_ATTEMPTS)).toEqual({
      kind: "give_up",
      reason: `http_502 after ${MAX_ATTEMPTS} attempts`,
    });
  });
});
