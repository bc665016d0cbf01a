import type { Database } from "../../db/database.ts";
import { queryPrepared } from "../../db/prepared.ts";
import { claimCtes, notePoolFront, poolFront } from "./assignment.ts";
import type { Contact } from "../../db/schema.ts";
import type { HeldCard } from "./held-cards.ts";

export interface SendAndClaimInput {
  /** The card as this instance handed it out (see HeldCards). */
  card: HeldCard;
  userId: string;
  fromPhone: string;
  /** The opening message for card.contact, rendered from card.campaign. */
  body: string;
  /** The zone set to claim the next contact from (one whose window is open now), if any. */
  nextZones: string[] | undefined;
}

export type SendAndClaimResult =
  /** Sent; `next` is the newly held contact, or undefined when the caller must look further. */
  | { ok: true; messageId: number; conversationId: number; next: Contact | undefined }
  /** Nothing changed: the caller takes the reading path, which says why. */
  | { ok: false };

/**
 * The Send button's one round trip, when this instance handed out the card: one statement that
 * marks the contact sent, opens the conversation, stores the opening ('sending', first attempt)
 * and — only once the opening is stored — claims the volunteer's next contact with SKIP LOCKED.
 * The first UPDATE's WHERE is the whole guard (still held by this volunteer under this hold,
 * number not opted out, campaign active and unchanged in everything the card was rendered
 * from); when it matches nothing, nothing else runs. messages_one_opening stays the backstop.
 * The claim is ordered after the send by data (candidate needs msg), so the volunteer's old
 * hold is already gone when contacts_one_held checks the new one.
 * It does not touch volunteers.last_active_at: the new hold's held_at says the same thing to
 * the idle release (releaseIdleHolds), and that row update cost every Send a write.
 */
const SEND_AND_CLAIM = {
  name: "send_and_claim_next_v4",
  text: `
    WITH c AS (
      UPDATE contacts SET status = 'sent'
      WHERE id = $1 AND status = 'held' AND held_by = $2 AND held_at = $3
        AND NOT EXISTS (SELECT 1 FROM opt_outs o WHERE o.phone = contacts.phone)
        AND EXISTS (
          SELECT 1 FROM campaigns k
          WHERE k.id = contacts.campaign_id AND k.state = 'active' AND k.title = $4
            AND k.opening_message = $5 AND k.hours_start = $6 AND k.hours_end = $7)
      RETURNING id, campaign_id, phone
    ), conv AS (
      INSERT INTO conversations (campaign_id, contact_id, volunteer_id, last_outbound_at)
      SELECT campaign_id, id, $2, now() FROM c
      ON CONFLICT (campaign_id, contact_id) DO UPDATE SET last_outbound_at = now()
      RETURNING id, campaign_id, contact_id
    ), msg AS (
      INSERT INTO messages (campaign_id, contact_id, conversation_id, direction, kind, body, from_phone, to_phone, status, sent_by, attempts)
      SELECT conv.campaign_id, conv.contact_id, conv.id, 'out', 'opening', $8, $9, c.phone, 'sending', $2, 1
      FROM conv JOIN c ON c.id = conv.contact_id
      ON CONFLICT (campaign_id, contact_id) WHERE kind = 'opening' DO NOTHING
      RETURNING id, conversation_id
    ), ${claimCtes({ campaign: "$10", user: "$2", zones: "$11", after: "$12", onlyIf: "$11::text[] IS NOT NULL AND EXISTS (SELECT 1 FROM msg)" })}
    SELECT msg.id, msg.conversation_id, (SELECT to_jsonb(next) FROM next) AS next FROM msg`,
};

export async function sendAndClaimNext(db: Database, input: SendAndClaimInput): Promise<SendAndClaimResult> {
  const { contact, campaign } = input.card;
  const rows = await queryPrepared<{ id: number; conversation_id: number; next: Record<string, unknown> | null }>(
    db,
    SEND_AND_CLAIM,
    [
      contact.id,
      input.userId,
      contact.held_at,
      campaign.title,
      campaign.opening_message,
      campaign.hours_start,
      campaign.hours_end,
      input.body,
      input.fromPhone,
      campaign.id,
      input.nextZones ?? null,
      input.nextZones ? poolFront(db, campaign.id, input.nextZones) : 0,
    ],
  );
  const sent = rows[0];
  if (!sent) return { ok: false };
  const next = sent.next ? reviveContact(sent.next) : undefined;
  if (next && input.nextZones) notePoolFront(db, campaign.id, input.nextZones, next.id);
  return {
    ok: true,
    messageId: sent.id,
    conversationId: sent.conversation_id,
    next: next?.status === "held" ? next : undefined,
  };
}

/** to_jsonb spells timestamps as strings; the rest of a contact row is JSON-native. */
function reviveContact(json: Record<string, unknown>): Contact {
  const date = (value: unknown) => (value === null || value === undefined ? null : new Date(String(value)));
  return {
    ...(json as unknown as Contact),
    held_at: date(json.held_at),
    created_at: date(json.created_at) ?? new Date(0),
  };
}
