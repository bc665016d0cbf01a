import { sql } from "kysely";
import type { Database } from "../../db/database.ts";
import type { Campaign, Contact } from "../../db/schema.ts";
import { isWithinWindow } from "../hours/window.ts";
import { cachedPoolZoneSets } from "./assignment.ts";
import { windowOf } from "./next-card.ts";
import { commitOpening, type CommitInput, type CommitResult } from "./commit-opening.ts";
import type { HeldCard } from "./held-cards.ts";
import { sendAndClaimNext } from "./send-and-claim.ts";

export type SendResult = CommitResult & {
  /** The volunteer's next contact, already claimed in the same statement (fast path only). */
  next?: Contact;
};

/**
 * The Send button's fast path: one read, then one guarded statement that marks the contact
 * sent, opens the conversation and inserts the opening message (status 'sending', first
 * attempt) — or changes nothing. The UPDATE's WHERE is the guard (held by this volunteer, this
 * hold, campaign active, number not opted out) and its row lock serializes concurrent presses;
 * the unique index messages_one_opening stays the backstop. Anything unusual falls back to the
 * transactional commitOpening, which says why nothing was sent and tidies the contact.
 */
export async function sendOpening(
  db: Database,
  input: CommitInput & { card?: HeldCard; now?: Date },
): Promise<SendResult> {
  if (input.card) {
    const sent = await sendHandedOut(db, input.card, input, input.now ?? new Date());
    if (sent) return sent;
  }
  const row = await db
    .selectFrom("contacts as c")
    .innerJoin("campaigns as k", "k.id", "c.campaign_id")
    .selectAll("c")
    .select(sql<Campaign>`to_jsonb(k)`.as("campaign_json"))
    .where("c.id", "=", input.contactId)
    .executeTakeFirst();
  if (!row) return { ok: false, reason: "not_held" };
  const { campaign_json, ...contactRow } = row;
  const contact = contactRow as Contact;
  const campaign = reviveCampaign(campaign_json);
  const fresh =
    contact.status === "held" &&
    contact.held_by === input.userId &&
    contact.held_at?.getTime() === input.heldAtMs &&
    campaign.state === "active";
  if (!fresh || !input.windowOpen(contact, campaign)) return commitOpening(db, input);
  const body = input.render(contact, campaign);
  if (!body.trim()) return commitOpening(db, input);

  const { rows } = await sql<{ id: number; conversation_id: number }>`
    WITH c AS (
      UPDATE contacts SET status = 'sent'
      WHERE id = ${contact.id} AND status = 'held' AND held_by = ${input.userId} AND held_at = ${new Date(input.heldAtMs)}
        AND NOT EXISTS (SELECT 1 FROM opt_outs o WHERE o.phone = contacts.phone)
        AND EXISTS (SELECT 1 FROM campaigns k WHERE k.id = contacts.campaign_id AND k.state = 'active')
      RETURNING id, campaign_id, phone
    ), conv AS (
      INSERT INTO conversations (campaign_id, contact_id, volunteer_id, last_outbound_at)
      SELECT campaign_id, id, ${input.userId}, now() FROM c
      ON CONFLICT (campaign_id, contact_id) DO UPDATE SET last_outbound_at = now()
      RETURNING id, campaign_id, contact_id
    ), msg AS (
      INSERT INTO messages (campaign_id, contact_id, conversation_id, direction, kind, body, from_phone, to_phone, status, sent_by, attempts)
      SELECT conv.campaign_id, conv.contact_id, conv.id, 'out', 'opening', ${body}, ${input.fromPhone}, c.phone, 'sending', ${input.userId}, 1
      FROM conv JOIN c ON c.id = conv.contact_id
      ON CONFLICT (campaign_id, contact_id) WHERE kind = 'opening' DO NOTHING
      RETURNING id, conversation_id
    ), touched AS (
      UPDATE volunteers SET last_active_at = now()
      WHERE campaign_id = ${campaign.id} AND user_id = ${input.userId} AND EXISTS (SELECT 1 FROM c)
    )
    SELECT id, conversation_id FROM msg`.execute(db);
  const sent = rows[0];
  if (!sent) return commitOpening(db, input);
  return {
    ok: true,
    messageId: sent.id,
    conversationId: sent.conversation_id,
    body,
    contact: { ...contact, status: "sent" },
    campaign,
    claimed: true,
  };
}

/** to_jsonb turns timestamps into strings; the rest of Campaign is JSON-native. */
function reviveCampaign(json: Campaign): Campaign {
  const raw = json as unknown as Record<string, unknown>;
  return { ...json, created_at: new Date(String(raw.created_at)), updated_at: new Date(String(raw.updated_at)) };
}

/**
 * A card this instance handed out: no read, one statement that sends and claims the next
 * contact. Undefined when anything is unusual, and the reading path then decides.
 */
async function sendHandedOut(
  db: Database,
  card: HeldCard,
  input: CommitInput,
  now: Date,
): Promise<SendResult | undefined> {
  const { contact, campaign } = card;
  if (contact.id !== input.contactId || !input.windowOpen(contact, campaign)) return undefined;
  const body = input.render(contact, campaign);
  if (!body.trim()) return undefined;
  const nextZones = (await cachedPoolZoneSets(db, campaign.id)).find((zones) =>
    isWithinWindow(zones, windowOf(campaign), now),
  );
  const result = await sendAndClaimNext(db, {
    card,
    userId: input.userId,
    fromPhone: input.fromPhone,
    body,
    nextZones,
  });
  if (!result.ok) return undefined;
  return {
    ok: true,
    messageId: result.messageId,
    conversationId: result.conversationId,
    body,
    contact: { ...contact, status: "sent" },
    campaign,
    claimed: true,
    next: result.next,
  };
}
