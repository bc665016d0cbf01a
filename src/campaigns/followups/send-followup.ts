/**
 * The one write that turns a held follow-up into a stored text, and what a Send press does
 * around it. Built like the opening's (sending/send-opening.ts, docs/architecture.md "One Send"):
 * one statement whose WHERE is the whole guard, the text stored 'submitting' with its first
 * attempt counted and its send lease taken, so the caller hands it straight to the sender, which
 * checks the opt-out list once more at the provider's door (sms/deliver.ts), as for every kind
 * but 'auto'.
 */
import type { Database } from "../../db/database.ts";
import { queryPrepared } from "../../db/prepared.ts";
import type { Campaign } from "../../db/schema.ts";
import { campaignById } from "../campaigns.ts";
import { isOptedOut } from "../opt-outs/opt-outs.ts";
import { contactWindowOpen } from "../sending/next-card.ts";
import { firstAttempt, leaseClock, SEND_LEASE_SECONDS, type OutgoingText } from "../sending/outgoing.ts";
import { forgetFollowupZoneSets, loadFollowupCard, renderFollowup, type FollowupCard } from "./hand-out.ts";

/**
 *  - `f` marks the follow-up sent: still held by this volunteer under this hold (held_at), the
 *    number not opted out, the campaign active with the title and hours the body was rendered
 *    for. Its row lock serializes concurrent presses of the same card; the second matches nothing.
 *  - `conv` touches the conversation (a reply now matches it as the latest texted).
 *  - `msg` stores the text; the unique index messages_one_followup (one per contact and round)
 *    is the backstop, with ON CONFLICT DO NOTHING.
 */
const SEND_FOLLOWUP = {
  name: "send_followup_v1",
  text: `
    WITH f AS (
      UPDATE followups SET status = 'sent'
      WHERE id = $1 AND status = 'held' AND held_by = $2 AND held_at = $3
        AND NOT EXISTS (SELECT 1 FROM contacts c JOIN opt_outs o ON o.phone = c.phone WHERE c.id = followups.contact_id)
        AND EXISTS (
          SELECT 1 FROM campaigns k
          WHERE k.id = followups.campaign_id AND k.state = 'active' AND k.title = $4
            AND k.hours_start = $5 AND k.hours_end = $6)
      RETURNING round_id, campaign_id, contact_id, conversation_id
    ), conv AS (
      UPDATE conversations SET last_outbound_at = now() FROM f WHERE conversations.id = f.conversation_id
      RETURNING conversations.id
    ), msg AS (
      INSERT INTO messages (campaign_id, contact_id, conversation_id, direction, kind, body, from_phone, to_phone,
                            status, sent_by, attempts, lease_until, round_id)
      SELECT f.campaign_id, f.contact_id, f.conversation_id, 'out', 'followup', $7, $8, c.phone, 'submitting', $2, 1,
             now() + make_interval(secs => $9), f.round_id
      FROM f JOIN contacts c ON c.id = f.contact_id
      ON CONFLICT (round_id, contact_id) WHERE kind = 'followup' DO NOTHING
      RETURNING id, conversation_id, created_at
    )
    SELECT msg.id, msg.conversation_id, msg.created_at, (SELECT count(*) FROM conv)::int AS touched FROM msg`,
};

export type FollowupRefusal =
  "not_held" | "already_sent" | "campaign_not_active" | "opted_out" | "outside_hours" | "empty_message";

export type FollowupSendResult =
  | {
      ok: true;
      text: OutgoingText;
      conversationId: number;
      card: FollowupCard;
      campaign: Campaign;
      body: string;
    }
  | { ok: false; reason: FollowupRefusal; card?: FollowupCard; campaign?: Campaign };

/**
 * Send on a follow-up card: read the follow-up (no in-memory card: a follow-up is rarer than an
 * opening), check the campaign, the window at `now` and the body, run the one statement. When it
 * stores nothing, say why; a hold that can no longer be sent is let go (back to the pool when the
 * campaign is paused or the window closed, out when the number opted out).
 */
export async function pressFollowupSend(
  db: Database,
  input: { followupId: number; userId: string; heldAtMs: number; texterName: string; fromPhone: string; now: Date },
): Promise<FollowupSendResult> {
  const card = await loadFollowupCard(db, input.followupId);
  if (!card) return { ok: false, reason: "not_held" };
  const campaign = await campaignById(db, card.followup.campaign_id);
  if (!campaign) return { ok: false, reason: "not_held", card };
  const refuse = async (reason: FollowupRefusal): Promise<FollowupSendResult> => {
    if (reason === "campaign_not_active" || reason === "outside_hours") await dropFollowupHold(db, input, "pool");
    if (reason === "opted_out") await dropFollowupHold(db, input, "opted_out");
    return { ok: false, reason, card, campaign };
  };
  const { followup, contact } = card;
  if (followup.status === "sent") return { ok: false, reason: "already_sent", card, campaign };
  if (followup.status === "opted_out") return { ok: false, reason: "opted_out", card, campaign };
  const held =
    followup.status === "held" && followup.held_by === input.userId && followup.held_at?.getTime() === input.heldAtMs;
  if (!held) return { ok: false, reason: "not_held", card, campaign };
  if (await isOptedOut(db, contact.phone)) return refuse("opted_out");
  if (campaign.state !== "active") return refuse("campaign_not_active");
  if (!contactWindowOpen(contact, campaign, input.now)) return refuse("outside_hours");
  const body = renderFollowup(card.round, campaign, contact, input.texterName);
  if (!body.trim()) return { ok: false, reason: "empty_message", card, campaign };
  const leaseTakenAt = leaseClock();
  const rows = await queryPrepared<{ id: number; conversation_id: number; created_at: Date }>(db, SEND_FOLLOWUP, [
    followup.id,
    input.userId,
    followup.held_at,
    campaign.title,
    campaign.hours_start,
    campaign.hours_end,
    body,
    input.fromPhone,
    SEND_LEASE_SECONDS,
  ]);
  const row = rows[0];
  if (!row) {
    // Something changed between the read and the statement: say what, from the rows as they are now.
    const again = await loadFollowupCard(db, input.followupId);
    if (again?.followup.status === "sent") return { ok: false, reason: "already_sent", card: again, campaign };
    if (await isOptedOut(db, contact.phone)) return refuse("opted_out");
    const now = await campaignById(db, campaign.id);
    if (now?.state !== "active") return refuse("campaign_not_active");
    return { ok: false, reason: "not_held", card: again ?? card, campaign: now };
  }
  const text = firstAttempt({
    id: row.id,
    kind: "followup",
    toPhone: contact.phone,
    body,
    createdAt: row.created_at,
    campaignId: campaign.id,
    contactId: contact.id,
    leaseTakenAt,
  });
  return {
    ok: true,
    text,
    conversationId: row.conversation_id,
    card: { ...card, followup: { ...followup, status: "sent" } },
    campaign,
    body,
  };
}

/** Lets go of exactly this hold: back to the pool, or out of it when the number opted out. */
export async function dropFollowupHold(
  db: Database,
  hold: { followupId: number; userId: string; heldAtMs: number },
  to: "pool" | "opted_out",
): Promise<void> {
  const dropped = await db
    .updateTable("followups")
    .set({ status: to, held_by: null, held_at: null })
    .where("id", "=", hold.followupId)
    .where("status", "=", "held")
    .where("held_by", "=", hold.userId)
    .where("held_at", "=", new Date(hold.heldAtMs))
    .returning("campaign_id")
    .executeTakeFirst();
  if (dropped) forgetFollowupZoneSets(db, dropped.campaign_id);
}

/** Skip: the follow-up goes back for someone else, never to this volunteer again. */
export async function skipFollowup(
  db: Database,
  hold: { followupId: number; userId: string; heldAtMs: number },
): Promise<{ campaignId: number; firstName: string | null; lastName: string | null } | undefined> {
  const skipped = await db
    .updateTable("followups")
    .set({ status: "pool", held_by: null, held_at: null, last_skipped_by: hold.userId })
    .where("id", "=", hold.followupId)
    .where("status", "=", "held")
    .where("held_by", "=", hold.userId)
    .where("held_at", "=", new Date(hold.heldAtMs))
    .returning(["campaign_id", "contact_id"])
    .executeTakeFirst();
  if (!skipped) return undefined;
  // The name for the volunteer's "Skipped Maria A." line.
  const contact = await db
    .selectFrom("contacts")
    .select(["first_name", "last_name"])
    .where("id", "=", skipped.contact_id)
    .executeTakeFirst();
  return {
    campaignId: skipped.campaign_id,
    firstName: contact?.first_name ?? null,
    lastName: contact?.last_name ?? null,
  };
}

/** The campaign a follow-up belongs to (a stale or forged button). */
export async function campaignOfFollowup(db: Database, followupId: number): Promise<Campaign | undefined> {
  const row = await db.selectFrom("followups").select("campaign_id").where("id", "=", followupId).executeTakeFirst();
  return row ? campaignById(db, row.campaign_id) : undefined;
}
