import type { Database } from "../../db/database.ts";
import type { Campaign, Contact } from "../../db/schema.ts";
import { isWithinWindow } from "../hours/window.ts";
import { cachedPoolZoneSets, dropHold } from "./assignment.ts";
import type { HeldCard } from "./held-cards.ts";
import { contactWindowOpen, renderOpening, windowOf } from "./next-card.ts";
import type { OutgoingText } from "./outgoing.ts";
import { sendOpening } from "./send-opening.ts";
import { followupsWaiting } from "../followups/hand-out.ts";
import { isHeldBy, loadContactWithCampaign, whyNotSent, type PressedCard, type SendRefusal } from "./send-refusal.ts";

export interface PressSendInput extends PressedCard {
  /** The card as this instance handed it out, if it did (HeldCards): then Send needs no read. */
  card: HeldCard | undefined;
  texterName: string;
  fromPhone: string;
  now: Date;
}

export type PressSendResult =
  | { ok: true; text: OutgoingText; contact: Contact; campaign: Campaign; next: Contact | undefined }
  | ({ ok: false } & SendRefusal);

/**
 * What pressing Send does, short of talking to Slack or Twilio: store the opening with the one
 * Send statement (send-opening.ts), or say why not and tidy the hold.
 *
 * 1. The card this instance handed out, if it has it: no read, one statement.
 * 2. Otherwise, or when that matched nothing (the script or hours changed since the card was
 *    drawn: Send goes by the campaign as it is now), read the contact and campaign and try the
 *    same statement once more with what was read.
 * 3. When neither stored anything, whyNotSent says why, and a hold that can no longer be sent
 *    is let go: back to the pool (campaign paused, window closed) or out of it (opted out).
 */
export async function pressSend(db: Database, input: PressSendInput): Promise<PressSendResult> {
  if (input.card && input.card.contact.id === input.contactId) {
    const sent = await trySend(db, input.card, input);
    if (sent) return sent;
  }
  const fresh = await loadContactWithCampaign(db, input.contactId);
  const tried = fresh !== undefined && isHeldBy(fresh.contact, input);
  if (tried) {
    const sent = await trySend(db, fresh, input);
    if (sent) return sent;
  }
  // After a statement that matched nothing the rows are read again; otherwise what was read stands.
  const refusal = (await whyNotSent(db, input, tried ? undefined : { found: fresh })) ?? {
    reason: "not_held",
    ...fresh,
  };
  if (refusal.reason === "campaign_not_active" || refusal.reason === "outside_hours") {
    await dropHold(db, input, "pool");
  } else if (refusal.reason === "opted_out") {
    await dropHold(db, input, "opted_out");
  }
  return { ok: false, ...refusal };
}

async function trySend(
  db: Database,
  { contact, campaign }: HeldCard,
  input: PressSendInput,
): Promise<PressSendResult | undefined> {
  if (campaign.state !== "active" || !contactWindowOpen(contact, campaign, input.now)) return undefined;
  const body = renderOpening(campaign, contact, input.texterName);
  if (!body.trim()) return undefined;
  // Follow-ups waiting come before the next opening: then the statement claims no next contact
  // and the caller's next card (nextCardMessage) hands out a follow-up first.
  const nextZones = (await followupsWaiting(db, campaign.id))
    ? undefined
    : (await cachedPoolZoneSets(db, campaign.id)).find((zones) => isWithinWindow(zones, windowOf(campaign), input.now));
  const result = await sendOpening(db, {
    contact,
    campaign,
    userId: input.userId,
    body,
    fromPhone: input.fromPhone,
    nextZones,
  });
  if (!result.sent) return undefined;
  return { ok: true, text: result.text, contact: { ...contact, status: "sent" }, campaign, next: result.next };
}
