import { describe, expect, it } from "vitest";
import { previewOpening } from "../../src/campaigns/scripts/preview.ts";
import { availableFields, validateScript } from "../../src/campaigns/scripts/scripts.ts";

const fields = availableFields({
  custom_fields: [
    { key: "ward", header: "Ward" },
    { key: "pollingplace", header: "Polling Place" },
    { key: "firstname", header: "FirstName" },
  ],
});
const valid = (opening: string, canned = "", tags = "") => validateScript({ opening, canned, tags }, fields);

describe("availableFields", () => {
  it("lists the builtins, then each uploaded column once, as organizers write them", () => {
    expect(fields.map((f) => f.label)).toEqual([
      "first_name",
      "last_name",
      "texter_name",
      "campaign",
      "zip",
      "external_id",
      "ward",
      "polling_place",
    ]);
    expect(fields.map((f) => f.key)).toContain("pollingplace");
  });
});

describe("validateScript", () => {
  it("accepts merge fields however they are spelled, and trims the opening", () => {
    const result = valid(
      "  Hi {First Name}, {polling-place|your place} {WARD} {{literal}}  \n",
      "A: {texter_name}",
      " x , y ",
    );
    expect(result).toEqual({
      ok: true,
      script: {
        opening: "Hi {First Name}, {polling-place|your place} {WARD} {{literal}}",
        cannedReplies: [{ title: "A", text: "{texter_name}" }],
        tags: ["x", "y"],
      },
    });
  });

  it("names unknown fields as typed, suggests near misses and lists what exists", () => {
    const result = valid("Hi {Frist Name} at {Precinct} and {Precinct}");
    expect(result.ok).toBe(false);
    const error = !result.ok ? result.errors.opening : "";
    expect(error).toBe(
      "No uploaded column provides {Frist Name} (did you mean {first_name}?), {Precinct}. Fields you can use: {first_name} {last_name} {texter_name} {campaign} {zip} {external_id} {ward} {polling_place}.",
    );
  });

  it("refuses an opening Twilio would refuse, counting characters as people do", () => {
    expect(valid("😀".repeat(1600)).ok).toBe(true);
    const result = valid("a".repeat(1601));
    expect(!result.ok && result.errors.opening).toBe(
      "The opening message is 1601 characters; a text can have at most 1,600.",
    );
  });

  it("points at the canned-reply line at fault, blank lines included", () => {
    const result = valid("Hi", "One: fine\n\nTwo: {nope}\nThree: " + "z".repeat(1601));
    expect(!result.ok && result.errors.canned).toMatch(
      /^Reply "Two" \(line 3\): No uploaded column provides \{nope\}\..* Reply "Three" \(line 4\) is 1601 characters/,
    );
  });

  it("checks the opt-out and HELP replies like the opening, up to 320 characters; empty means the default", () => {
    const base = { opening: "Hi", canned: "", tags: "" };
    // A form without the boxes leaves the saved replies alone; empty boxes go back to the defaults.
    expect(validateScript(base, fields)).toEqual({ ok: true, script: { opening: "Hi", cannedReplies: [], tags: [] } });
    expect(validateScript({ ...base, optOutReply: "  ", helpReply: "" }, fields)).toMatchObject({
      ok: true,
      script: { optOutReply: null, helpReply: null },
    });
    expect(
      validateScript({ ...base, optOutReply: " Bye {First Name|friend} ", helpReply: "😀".repeat(320) }, fields),
    ).toMatchObject({ ok: true, script: { optOutReply: "Bye {First Name|friend}", helpReply: "😀".repeat(320) } });
    const result = validateScript({ ...base, optOutReply: "x".repeat(321), helpReply: "{Frist Name}: {oops" }, fields);
    expect(!result.ok && result.errors).toEqual({
      optOutReply: "The opt-out reply is 321 characters; it can have at most 320.",
      helpReply: 'Unclosed "{" at character 15.',
    });
    const unknown = validateScript({ ...base, helpReply: "{Frist Name}" }, fields);
    expect(!unknown.ok && unknown.errors.helpReply).toMatch(
      /^No uploaded column provides \{Frist Name\} \(did you mean \{first_name\}\?\)\. Fields you can use:/,
    );
  });

  it("keeps only the first few problems of a box, saying how many more", () => {
    const result = valid("Hi", "a\nb\nc\nd\ne");
    expect(!result.ok && result.errors.canned).toBe(
      "Line 1 is not `Title: text`. Line 2 is not `Title: text`. Line 3 is not `Title: text`. (and 2 more problems)",
    );
  });
});

describe("previewOpening", () => {
  const sample = {
    first_name: null,
    last_name: "Reyes",
    zip: "20001",
    external_id: null,
    custom_fields: { ward: "W3" },
  };
  const base = { fields, campaignTitle: "GOTV", texterName: "Jo" };

  it("renders a missing value as nothing, never as braces or 'undefined'", () => {
    const result = previewOpening({
      ...base,
      opening: "Hi {first_name}, ward {ward} {polling_place}!",
      sample,
      counts: { contacts: 5, missing: { firstname: 2, ward: 0, pollingplace: 5 } },
    });
    expect(result.rendered).toBe("Hi, ward W3!");
    expect(result.sampleName).toBe("Reyes");
    expect(result.gaps).toEqual([
      { label: "first_name", contacts: 2 },
      { label: "polling_place", contacts: 5 },
    ]);
  });

  it("does not count fields with a fallback or that never miss", () => {
    const result = previewOpening({
      ...base,
      opening: "Hi {first_name|friend}, {texter_name} for {campaign}",
      sample,
      counts: { contacts: 5, missing: {} },
    });
    expect(result.rendered).toBe("Hi friend, Jo for GOTV");
    expect(result.gaps).toEqual([]);
  });

  it("uses an example texter and contact when none is known, and says so", () => {
    const result = previewOpening({
      ...base,
      texterName: undefined,
      opening: "{texter_name}: hi {first_name} of {ward}",
      sample: undefined,
      counts: undefined,
    });
    expect(result.rendered).toBe("Sam: hi Alex of [ward]");
    expect(result.sampleIsReal).toBe(false);
    expect(result.texterIsExample).toBe(true);
    expect(result.gaps).toBeUndefined();
  });

  it("warns on what costs money or trust, and on a text longer than Twilio takes", () => {
    const result = previewOpening({
      ...base,
      opening: `“Hi” {ward} 🎉 ${"x".repeat(1600)}`,
      sample,
      counts: undefined,
    });
    expect(result.warnings.join("\n")).toMatch(/segments \(UCS-2\)/);
    expect(result.warnings.join("\n")).toContain("“ (curly double quote");
    expect(result.warnings.join("\n")).toContain("🎉 (emoji)");
    expect(result.warnings.join("\n")).toContain("no opt-out language");
    expect(result.warnings.join("\n")).toContain("Twilio refuses texts over 1,600");
  });
});
