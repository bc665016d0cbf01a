import type { Contact } from "../../db/schema.ts";
import { normalizeFieldName } from "../fields.ts";

/**
 * The values a contact's merge fields render with, keyed by normalized field name:
 * the known columns, every custom column, {texter_name} and {campaign}.
 */
export function mergeValues(
  contact: Pick<Contact, "first_name" | "last_name" | "zip" | "external_id" | "custom_fields">,
  ctx: { campaignTitle: string; texterName: string },
): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(contact.custom_fields ?? {})) {
    if (value !== null && value !== undefined) values[normalizeFieldName(key)] = String(value);
  }
  values.firstname = contact.first_name ?? "";
  values.lastname = contact.last_name ?? "";
  values.zip = contact.zip ?? "";
  values.externalid = contact.external_id ?? "";
  values.textername = ctx.texterName;
  values.campaign = ctx.campaignTitle;
  return values;
}
