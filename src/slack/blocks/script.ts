import type { KnownBlock, View } from "@slack/types";
import type { ScriptPreview } from "../../campaigns/scripts/scripts.ts";
import type { Campaign } from "../../db/schema.ts";
import { escapeText, truncate } from "./text.ts";

export const SCRIPT_CALLBACK = "campaign_script";

function previewBlocks(preview: ScriptPreview | undefined, heading: string): KnownBlock[] {
  if (!preview) return [{ type: "context", elements: [{ type: "mrkdwn", text: "No opening message yet." }] }];
  const s = preview.segments;
  const lines = [
    `*${heading}*`,
    `>${escapeText(preview.rendered).replace(/\n/g, "\n>")}`,
    `${s.encoding}, ${s.segments} segment${s.segments === 1 ? "" : "s"} (${preview.rendered.length} characters)`,
    ...preview.warnings.map((w) => `:warning: ${escapeText(w)}`),
    ...preview.missing.map((m) => `:information_source: ${m.contacts.toLocaleString("en-US")} contact${m.contacts === 1 ? " has" : "s have"} no {${m.field}}; it renders empty for them (add a fallback like {${m.field}|friend}).`),
  ];
  return [{ type: "section", text: { type: "mrkdwn", text: truncate(lines.join("\n"), 3000) } }];
}

/** The script modal, prefilled with the saved script, with a preview of what is saved now. */
export function scriptModal(campaign: Campaign, preview: ScriptPreview | undefined, fields: string[]): View {
  const canned = (campaign.canned_replies ?? []).map((r) => `${r.title}: ${r.text}`).join("\n");
  return {
    type: "modal",
    callback_id: SCRIPT_CALLBACK,
    private_metadata: JSON.stringify({ campaignId: campaign.id }),
    title: { type: "plain_text", text: "Campaign script" },
    submit: { type: "plain_text", text: "Save" },
    close: { type: "plain_text", text: "Cancel" },
    blocks: [
      { type: "context", elements: [{ type: "mrkdwn", text: truncate(`*${escapeText(campaign.title)}* · merge fields: ${fields.map((f) => `\`{${f}}\``).join(" ")} · \`{field|fallback}\` for empty values`, 3000) }] },
      {
        type: "input", block_id: "opening", label: { type: "plain_text", text: "Opening message" },
        element: { type: "plain_text_input", action_id: "value", multiline: true, max_length: 1600, ...(campaign.opening_message ? { initial_value: campaign.opening_message } : {}), placeholder: { type: "plain_text", text: "Hi {first_name}, this is {texter_name} with {campaign}… Reply STOP to opt out." } },
      },
      {
        type: "input", block_id: "canned", optional: true, label: { type: "plain_text", text: "Canned replies" },
        hint: { type: "plain_text", text: "One per line, as Title: text" },
        element: { type: "plain_text_input", action_id: "value", multiline: true, ...(canned ? { initial_value: canned } : {}) },
      },
      {
        type: "input", block_id: "tags", optional: true, label: { type: "plain_text", text: "Outcome tags" },
        hint: { type: "plain_text", text: "Comma-separated, up to 10" },
        element: { type: "plain_text_input", action_id: "value", ...((campaign.outcome_tags ?? []).length ? { initial_value: campaign.outcome_tags.join(", ") } : {}) },
      },
      { type: "divider" },
      ...previewBlocks(preview, "Saved opening, for a sample contact"),
    ],
  };
}

/** What the modal becomes after saving: the preview of the new script and any warnings. */
export function scriptSavedView(campaign: Pick<Campaign, "title" | "slug">, preview: ScriptPreview | undefined, counts: { canned: number; tags: number }): View {
  return {
    type: "modal",
    title: { type: "plain_text", text: "Script saved" },
    close: { type: "plain_text", text: "Done" },
    blocks: [
      { type: "section", text: { type: "mrkdwn", text: `Saved the script of *${escapeText(campaign.title)}*: ${counts.canned} canned repl${counts.canned === 1 ? "y" : "ies"}, ${counts.tags} outcome tag${counts.tags === 1 ? "" : "s"}. Launch with \`/campaign launch ${campaign.slug}\`.` } },
      ...previewBlocks(preview, "Opening, for a sample contact"),
    ],
  };
}
