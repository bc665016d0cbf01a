import { sql } from "kysely";
import type { Database } from "../../db/database.ts";
import type { Campaign, Contact } from "../../db/schema.ts";
import { isOptedOut } from "../opt-outs/opt-outs.ts";
import { contactWindowOpen, renderOpening } from "./next-card.ts";

export type SendRefusal = { contact?: Contact; campaign?: Campaign } & (
  | { reason: "already_sent" }
  /** The card is stale: released, handed to someone else, or the contact is gone (no `contact`). */
  | { reason: "not_held" }
  | { reason: "campaign_not_active"; state: Campaign["state"] }
  | { reason: "opted_out" }
  | { reason: "outside_hours" }
  | { reason: "empty_message" }
);

export interface PressedCard {
  contactId: number;
  userId: string;
  /** The hold the card was rendered for; a card from an older hold is stale. */
  heldAtMs: number;
}

/** The contact and its campaign, in one read. */
export async function loadContactWithCampaign(
  db: Database,
  contactId: number,
): Promise<{ contact: Contact; campaign: Campaign } | undefined> {
  const row = await db
    .selectFrom("contacts as c")
    .innerJoin("campaigns as k", "k.id", "c.campaign_id")
    .selectAll("c")
    .select(sql<Campaign>`to_jsonb(k)`.as("campaign_json"))
    .where("c.id", "=", contactId)
    .executeTakeFirst();
  if (!row) return undefined;
  const { campaign_json, ...contact } = row;
  return { contact: contact as Contact, campaign: reviveCampaign(campaign_json) };
}

/** Whether the volunteer still holds the contact under the hold their card was rendered for. */
export function isHeldBy(contact: Contact, card: PressedCard): boolean {
  return contact.status === "held" && contact.held_by === card.userId && contact.held_at?.getTime() === card.heldAtMs;
}

/**
 * Why a Send stored nothing, read after the Send statement (send-opening.ts) matched no row.
 * Read-only: it changes nothing, and the checks come in the order a volunteer needs to hear them.
 * Undefined when nothing stands in the way (the state changed between the two; press again).
 */
export async function whyNotSent(
  db: Database,
  card: PressedCard & { now: Date; texterName: string },
  /** The rows as just read, when no write could have changed them since (else they are read now). */
  read?: { found: { contact: Contact; campaign: Campaign } | undefined },
): Promise<SendRefusal | undefined> {
  const found = read ? read.found : await loadContactWithCampaign(db, card.contactId);
  if (!found) return { reason: "not_held" };
  const { contact, campaign } = found;
  if (contact.status === "sent") return { reason: "already_sent", contact, campaign };
  if (contact.status === "opted_out" || (await isOptedOut(db, contact.phone))) {
    return isHeldBy(contact, card) || contact.status === "opted_out"
      ? { reason: "opted_out", contact, campaign }
      : { reason: "not_held", contact, campaign };
  }
  if (!isHeldBy(contact, card)) return { reason: "not_held", contact, campaign };
  if (campaign.state !== "active") return { reason: "campaign_not_active", state: campaign.state, contact, campaign };
  if (!contactWindowOpen(contact, campaign, card.now)) return { reason: "outside_hours", contact, campaign };
  if (!renderOpening(campaign, contact, card.texterName).trim()) return { reason: "empty_message", contact, campaign };
  return undefined;
}

/** to_jsonb turns timestamps into strings; the rest of Campaign is JSON-native. */
function reviveCampaign(json: Campaign): Campaign {
  const raw = json as unknown as Record<string, unknown>;
  return { ...json, created_at: new Date(String(raw.created_at)), updated_at: new Date(String(raw.updated_at)) };
}
