import type { Database } from "../../db/database.ts";
import { queryPrepared } from "../../db/prepared.ts";
import type { Campaign, Contact } from "../../db/schema.ts";
import { claimCtes, notePoolFront, poolFront } from "./assignment.ts";
import { firstAttempt, leaseClock, SEND_LEASE_SECONDS, type OutgoingText } from "./outgoing.ts";

/**
 * The one write that turns a held contact into a sent opening message. Every Send goes through
 * here; nothing else inserts an opening. See docs/architecture.md ("One Send").
 *
 * One statement, so one round trip and no transaction to hold open:
 *  - `c` marks the contact sent. Its WHERE is the whole guard: still held by this volunteer
 *    under this hold (held_at), the number not opted out, the campaign active and unchanged in
 *    everything the body was rendered from (title, opening, hours). When it matches nothing,
 *    nothing else runs and the caller asks whyNotSent (send-refusal.ts) what changed.
 *    Its row lock serializes concurrent presses of the same card.
 *  - `conv` opens (or touches) the conversation, `msg` stores the opening in status 'submitting'
 *    with its first attempt counted and its send lease taken: the caller hands it straight to
 *    the sender. The unique
 *    index messages_one_opening is the backstop for "at most one opening per contact".
 *  - the claim CTEs (assignment.ts) hand the volunteer their next contact with SKIP LOCKED,
 *    only once the opening is stored (`onlyIf`), so the old hold is gone when contacts_one_held
 *    checks the new one.
 * It does not touch volunteers.last_active_at: the new hold's held_at tells the idle release
 * the same, and that row update cost every Send a write.
 */
const SEND_OPENING = {
  name: "send_opening_v7",
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
      INSERT INTO messages (campaign_id, contact_id, conversation_id, direction, kind, body, from_phone, to_phone,
                            status, sent_by, attempts, lease_until)
      SELECT conv.campaign_id, conv.contact_id, conv.id, 'out', 'opening', $8, $9, c.phone, 'submitting', $2, 1,
             now() + make_interval(secs => $13)
      FROM conv JOIN c ON c.id = conv.contact_id
      ON CONFLICT (campaign_id, contact_id) WHERE kind = 'opening' DO NOTHING
      RETURNING id, conversation_id, created_at
    ), ${claimCtes({
      campaign: "$10",
      user: "$2",
      zones: "$11",
      after: "$12",
      onlyIf: "$11::text[] IS NOT NULL AND EXISTS (SELECT 1 FROM msg)",
    })}
    SELECT msg.id, msg.conversation_id, msg.created_at, (SELECT to_jsonb(next) FROM next) AS next FROM msg`,
};

export interface SendOpeningInput {
  /** The contact as it was handed out (its held_at is the hold being sent). */
  contact: Contact;
  /** The campaign the body was rendered from. */
  campaign: Campaign;
  userId: string;
  /** The opening message for this contact, exactly as it will be texted. */
  body: string;
  fromPhone: string;
  /** A zone set whose window is open now, to claim the volunteer's next contact from. */
  nextZones: string[] | undefined;
}

export type SendOpeningResult =
  /** Stored and ready to hand to the sender; `next` is the volunteer's newly held contact, if one was claimed. */
  | { sent: true; text: OutgoingText; conversationId: number; next: Contact | undefined }
  /** Nothing changed. */
  | { sent: false };

export async function sendOpening(db: Database, input: SendOpeningInput): Promise<SendOpeningResult> {
  const { contact, campaign, nextZones } = input;
  const leaseTakenAt = leaseClock();
  const rows = await queryPrepared<{
    id: number;
    conversation_id: number;
    created_at: Date;
    next: Record<string, unknown> | null;
  }>(db, SEND_OPENING, [
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
    nextZones ?? null,
    nextZones ? poolFront(db, campaign.id, nextZones) : 0,
    SEND_LEASE_SECONDS,
  ]);
  const row = rows[0];
  if (!row) return { sent: false };
  const next = row.next ? reviveContact(row.next) : undefined;
  if (next && nextZones) notePoolFront(db, campaign.id, nextZones, next.id);
  const text = firstAttempt({
    id: row.id,
    kind: "opening",
    toPhone: contact.phone,
    body: input.body,
    createdAt: row.created_at,
    campaignId: campaign.id,
    contactId: contact.id,
    leaseTakenAt,
  });
  return { sent: true, text, conversationId: row.conversation_id, next: next?.status === "held" ? next : undefined };
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
