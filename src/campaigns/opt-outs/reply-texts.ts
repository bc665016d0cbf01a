/**
 * The automatic replies an organizer may write in the script modal: the opt-out reply and the
 * HELP reply. Pure: the defaults, the limit, and rendering for one contact.
 */
import type { Campaign } from "../../db/schema.ts";
import { parseTemplate, renderTemplate } from "../scripts/template.ts";
import { OPT_OUT_CONFIRMATION } from "./keywords.ts";

/** Two segments of plain text: enough for a sentence about who is texting and how to stop. */
export const MAX_AUTO_REPLY_LENGTH = 320;

export type AutoReplyKind = "opt_out" | "help";

/** Sent for an opt-out Twilio does not answer itself, unless the campaign has its own. */
export const DEFAULT_OPT_OUT_REPLY = OPT_OUT_CONFIRMATION;
/** Sent for HELP or INFO, unless the campaign has its own. */
export const DEFAULT_HELP_REPLY =
  "{campaign}: peer-to-peer texts from {texter_name|a volunteer}. Reply STOP to opt out.";

export const DEFAULT_AUTO_REPLY: Record<AutoReplyKind, string> = {
  opt_out: DEFAULT_OPT_OUT_REPLY,
  help: DEFAULT_HELP_REPLY,
};

/** The campaign's own text for this reply, or the default when the box was left empty. */
export function autoReplyTemplate(
  kind: AutoReplyKind,
  campaign: Partial<Pick<Campaign, "opt_out_reply" | "help_text">>,
): string {
  const own = kind === "help" ? campaign.help_text : campaign.opt_out_reply;
  return own?.trim() || DEFAULT_AUTO_REPLY[kind];
}

/**
 * The reply as this contact gets it. A saved template was checked when it was saved; one that
 * no longer parses (written straight to the database), or renders empty, gives way to the
 * default, so braces are never sent as typed and the contact always gets an answer.
 */
export function renderAutoReply(
  kind: AutoReplyKind,
  campaign: Partial<Pick<Campaign, "opt_out_reply" | "help_text">>,
  values: Record<string, string>,
): string {
  const render = (text: string) => {
    const parsed = parseTemplate(text);
    return parsed.ok ? renderTemplate(parsed.template, values).trim() : "";
  };
  return render(autoReplyTemplate(kind, campaign)) || render(DEFAULT_AUTO_REPLY[kind]);
}
