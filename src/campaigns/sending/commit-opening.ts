import { sql } from "kysely";
import type { Database } from "../../db/database.ts";
import type { Campaign, Contact } from "../../db/schema.ts";

export type CommitRefusal =
  | { reason: "already_sent" }
  | { reason: "not_held" }
  | { reason: "campaign_not_active"; state: Campaign["state"] }
  | { reason: "opted_out" }
  | { reason: "outside_hours" }
  | { reason: "empty_message" };

export type CommitResult =
  /** `claimed`: the message was stored already in 'sending' with its first attempt counted. */
  | {
      ok: true;
      messageId: number;
      conversationId: number;
      body: string;
      contact: Contact;
      campaign: Campaign;
      claimed?: boolean;
    }
  | ({ ok: false; contact?: Contact; campaign?: Campaign } & CommitRefusal);

export interface CommitInput {
  contactId: number;
  userId: string;
  /** The hold the card was rendered for; a card from an older hold is stale. */
  heldAtMs: number;
  fromPhone: string;
  /** Renders the opening message for this contact (pure). */
  render: (contact: Contact, campaign: Campaign) => string;
  /** Whether the contact's texting window is open right now (checked again at send time). */
  windowOpen: (contact: Contact, campaign: Campaign) => boolean;
}

/**
 * Turns a held contact into exactly one queued opening message, in one transaction with the
 * contact row locked. The unique index messages_one_opening makes a second opening for the
 * same (campaign, contact) impossible even if two transactions got this far.
 */
export async function commitOpening(db: Database, input: CommitInput): Promise<CommitResult> {
  return db.transaction().execute(async (tx) => {
    const contact = await tx
      .selectFrom("contacts")
      .selectAll()
      .where("id", "=", input.contactId)
      .forUpdate()
      .executeTakeFirst();
    if (!contact) return { ok: false, reason: "not_held" };
    const campaign = await tx
      .selectFrom("campaigns")
      .selectAll()
      .where("id", "=", contact.campaign_id)
      .executeTakeFirstOrThrow();
    if (contact.status === "sent") return { ok: false, reason: "already_sent", contact, campaign };
    const heldByCaller =
      contact.status === "held" && contact.held_by === input.userId && contact.held_at?.getTime() === input.heldAtMs;
    if (!heldByCaller) return { ok: false, reason: "not_held", contact, campaign };

    const backToPool = () =>
      tx
        .updateTable("contacts")
        .set({ status: "pool", held_by: null, held_at: null })
        .where("id", "=", contact.id)
        .execute();
    if (campaign.state !== "active") {
      await backToPool();
      return { ok: false, reason: "campaign_not_active", state: campaign.state, contact, campaign };
    }
    const optedOut = await tx
      .selectFrom("opt_outs")
      .select("phone")
      .where("phone", "=", contact.phone)
      .executeTakeFirst();
    if (optedOut) {
      await tx
        .updateTable("contacts")
        .set({ status: "opted_out", held_by: null, held_at: null })
        .where("id", "=", contact.id)
        .execute();
      return { ok: false, reason: "opted_out", contact, campaign };
    }
    if (!input.windowOpen(contact, campaign)) {
      await backToPool();
      return { ok: false, reason: "outside_hours", contact, campaign };
    }
    const body = input.render(contact, campaign);
    if (!body.trim()) return { ok: false, reason: "empty_message", contact, campaign };

    const conversation = await tx
      .insertInto("conversations")
      .values({
        campaign_id: campaign.id,
        contact_id: contact.id,
        volunteer_id: input.userId,
        last_outbound_at: sql`now()`,
      })
      .onConflict((oc) => oc.columns(["campaign_id", "contact_id"]).doUpdateSet({ last_outbound_at: sql`now()` }))
      .returning("id")
      .executeTakeFirstOrThrow();
    const message = await tx
      .insertInto("messages")
      .values({
        campaign_id: campaign.id,
        contact_id: contact.id,
        conversation_id: conversation.id,
        direction: "out",
        kind: "opening",
        body,
        from_phone: input.fromPhone,
        to_phone: contact.phone,
        status: "queued",
        sent_by: input.userId,
      })
      .onConflict((oc) => oc.columns(["campaign_id", "contact_id"]).where("kind", "=", "opening").doNothing())
      .returning("id")
      .executeTakeFirst();
    await tx.updateTable("contacts").set({ status: "sent" }).where("id", "=", contact.id).execute();
    await tx
      .updateTable("volunteers")
      .set({ last_active_at: sql`now()` })
      .where("campaign_id", "=", campaign.id)
      .where("user_id", "=", input.userId)
      .execute();
    if (!message) return { ok: false, reason: "already_sent", contact, campaign };
    return { ok: true, messageId: message.id, conversationId: conversation.id, body, contact, campaign };
  });
}
