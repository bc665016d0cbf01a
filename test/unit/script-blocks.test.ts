import { describe, expect, it } from "vitest";
import type { View } from "@slack/types";
import { previewOpening, type ScriptPreview } from "../../src/campaigns/scripts/preview.ts";
import { availableFields } from "../../src/campaigns/scripts/scripts.ts";
import { DEFAULT_HELP_REPLY, DEFAULT_OPT_OUT_REPLY } from "../../src/campaigns/opt-outs/reply-texts.ts";
import {
  encodeScriptMetadata,
  previewBlocks,
  SCRIPT_BLOCKS,
  scriptModal,
  scriptSavedView,
} from "../../src/slack/blocks/script.ts";

type AnyBlock = {
  type: string;
  block_id?: string;
  text?: { type: string; text: string };
  elements?: { text?: string }[];
  element?: { max_length?: number; initial_value?: string; placeholder?: { text: string } };
  optional?: boolean;
  accessory?: { text: { text: string }; value: string };
  label?: { text: string };
  hint?: { text: string };
};

/** Every Block Kit limit that a modal can break. */
function expectWithinSlackLimits(view: View): void {
  expect(view.type).toBe("modal");
  if (view.type === "modal") {
    expect(view.title.text.length).toBeLessThanOrEqual(24);
    expect(view.submit?.text.length ?? 0).toBeLessThanOrEqual(24);
    expect(view.close?.text.length ?? 0).toBeLessThanOrEqual(24);
    expect((view.private_metadata ?? "").length).toBeLessThanOrEqual(3000);
  }
  expect(view.blocks.length).toBeLessThanOrEqual(100);
  for (const block of view.blocks as AnyBlock[]) {
    expect(block.text?.text.length ?? 1).toBeGreaterThan(0);
    expect(block.text?.text.length ?? 0).toBeLessThanOrEqual(3000);
    for (const element of block.elements ?? []) expect(element.text?.length ?? 0).toBeLessThanOrEqual(3000);
    if (block.element?.initial_value !== undefined)
      expect(block.element.initial_value.length).toBeLessThanOrEqual(block.element.max_length ?? 3000);
    expect(block.element?.max_length ?? 0).toBeLessThanOrEqual(3000);
    expect(block.element?.placeholder?.text.length ?? 0).toBeLessThanOrEqual(150);
    expect(block.label?.text.length ?? 0).toBeLessThanOrEqual(2000);
    expect(block.hint?.text.length ?? 0).toBeLessThanOrEqual(2000);
    if (block.accessory) {
      expect(block.accessory.text.text.length).toBeLessThanOrEqual(75);
      expect(block.accessory.value.length).toBeLessThanOrEqual(2000);
    }
  }
  expect(JSON.stringify(view).length).toBeLessThan(250_000);
}

const smallCampaign = {
  id: 7,
  slug: "gotv",
  state: "draft" as const,
  title: "GOTV",
  opening_message: null,
  canned_replies: [],
  outcome_tags: [],
  custom_fields: [],
};

function preview(
  opening: string,
  campaign: Parameters<typeof availableFields>[0] = smallCampaign,
  counts?: { contacts: number; missing: Record<string, number> },
): ScriptPreview {
  return previewOpening({
    opening,
    fields: availableFields(campaign),
    campaignTitle: "GOTV",
    sample: { first_name: "Dana", last_name: "Reyes", zip: null, external_id: null, custom_fields: {} },
    texterName: "Jo",
    counts,
  });
}

const blocksText = (blocks: unknown) => JSON.stringify(blocks);

describe("scriptModal", () => {
  it("has the six boxes keyed by the block ids errors use, prefilled with the saved script", () => {
    const view = scriptModal(
      {
        ...smallCampaign,
        opening_message: "Hi {first_name}",
        canned_replies: [
          { title: "Where", text: "Main St" },
          { title: "Early", text: "Great!", answers: [{ question: "Plan", answer: "Early" }] },
        ],
        outcome_tags: ["Yes", "No"],
        survey_questions: [
          { id: 2, label: "Plan", answers: ["Early", "Late"] },
          { id: 1, label: "Gone", answers: ["A", "B"], removed: true },
        ],
        opt_out_reply: "Bye {first_name|friend}. Reply START to come back.",
        help_text: null,
      },
      preview("Hi {first_name}"),
      { c: 7 },
    );
    const inputs = (view.blocks as AnyBlock[]).filter((b) => b.type === "input");
    expect(inputs.map((b) => b.block_id)).toEqual([
      SCRIPT_BLOCKS.opening,
      SCRIPT_BLOCKS.canned,
      SCRIPT_BLOCKS.tags,
      SCRIPT_BLOCKS.survey,
      SCRIPT_BLOCKS.optOutReply,
      SCRIPT_BLOCKS.helpReply,
    ]);
    expect(inputs.map((b) => b.element?.initial_value)).toEqual([
      "Hi {first_name}",
      "Where: Main St\nEarly: Great! [Plan=Early]",
      "Yes, No",
      "Plan: Early | Late",
      "Bye {first_name|friend}. Reply START to come back.",
      undefined,
    ]);
    expect(inputs[0]!.element!.max_length).toBe(1600);
    // The automatic replies: optional, up to 320 characters, the default shown as the placeholder.
    expect(inputs.slice(4).map((b) => [b.optional, b.element?.max_length, b.element?.placeholder?.text])).toEqual([
      [true, 320, DEFAULT_OPT_OUT_REPLY],
      [true, 320, DEFAULT_HELP_REPLY],
    ]);
    expect(JSON.parse(view.private_metadata!)).toEqual({ c: 7 });
    expectWithinSlackLimits(view);
  });

  it("stays within Slack's limits for the biggest campaign a modal can meet", () => {
    const customFields = Array.from({ length: 400 }, (_, i) => ({
      key: `column${i}withalongname`,
      header: `Column ${i} with a long name`,
    }));
    const campaign = {
      ...smallCampaign,
      title: "T".repeat(150),
      custom_fields: customFields,
      opening_message: "é".repeat(1600),
      canned_replies: Array.from({ length: 20 }, (_, i) => ({
        title: `Reply ${i}`.padEnd(75, "x"),
        text: "y".repeat(200),
      })),
      outcome_tags: Array.from({ length: 10 }, (_, i) => `Tag ${i}`.padEnd(75, "z")),
      opt_out_reply: "é".repeat(320),
      help_text: "h".repeat(320),
    };
    const missing = Object.fromEntries(customFields.map((f) => [f.key, 123_456]));
    const longOpening =
      customFields
        .slice(0, 60)
        .map((f) => `{${f.key}}`)
        .join(" ") + " 😀“”";
    const big = preview(longOpening, campaign, { contacts: 1_000_000, missing });
    expect(big.gaps!.length).toBe(60);
    const view = scriptModal(campaign, big, { c: 7, t: "Jo", n: 1_000_000, m: missing });
    expectWithinSlackLimits(view);
    // The counts no longer fit, so they are dropped rather than overflowing private_metadata.
    expect(JSON.parse(view.private_metadata!)).toEqual({ c: 7, t: "Jo" });
    expectWithinSlackLimits(scriptSavedView(campaign, big, { canned: 20, tags: 10 }));
  });

  it("says there is no opening message yet instead of an empty preview", () => {
    const view = scriptModal(smallCampaign, undefined, { c: 7 });
    expect(blocksText(view.blocks)).toContain("No opening message yet");
    expectWithinSlackLimits(view);
  });
});

describe("previewBlocks", () => {
  it("shows the text as plain text, exactly as sent, with encoding, segments and counts", () => {
    const blocks = previewBlocks(
      preview("*Hi* {first_name} <b> & {zip}", smallCampaign, { contacts: 10, missing: { firstname: 0, zip: 3 } }),
      "Saved opening",
    ) as AnyBlock[];
    expect(blocks[1]!.text).toEqual({ type: "plain_text", text: "*Hi* Dana <b> &", emoji: false });
    const text = blocksText(blocks);
    expect(text).toContain("GSM-7 · 1 segment · 15 characters");
    expect(text).toContain("3 of 10 contacts have no {zip}");
    expect(text).not.toContain("have no {first_name}");
  });

  it("says the counts are coming while they are, and why a text cannot be saved yet", () => {
    const text = blocksText(previewBlocks(preview("Hi {first_name} {nope"), "Preview as you type"));
    expect(text).toContain("Counting contacts without a value…");
    expect(text).toContain("Can't save yet: Unclosed");
  });

  it("never sends Slack an empty plain_text", () => {
    const blocks = previewBlocks(
      preview("{zip}", smallCampaign, { contacts: 1, missing: { zip: 1 } }),
      "Saved opening",
    ) as AnyBlock[];
    expect(blocks[1]!.text!.text).toBe("(renders empty)");
  });
});

describe("encodeScriptMetadata", () => {
  it("keeps the campaign and drops the count cache when it would pass 3000 characters", () => {
    const m = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`field${i}`, i]));
    expect(encodeScriptMetadata({ c: 1, t: "Jo", n: 5, m: { a: 1 } })).toBe('{"c":1,"t":"Jo","n":5,"m":{"a":1}}');
    expect(encodeScriptMetadata({ c: 1, t: "Jo", n: 5, m })).toBe('{"c":1,"t":"Jo"}');
  });
});
