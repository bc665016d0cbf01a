/**
 * The automatic replies as texts to send: the campaign's opt-out or HELP reply filled in for
 * one contact, the once-a-day key for HELP, and an opt-out from a thread's button with its
 * optional reply. Every reply is stored by queueReply as kind 'auto' and leaves through the
 * caller's `deliveries.deliver`, like every other text.
 */
import { sql } from "kysely";
import type { Database } from "../../db/database.ts";
import { queueReply } from "../conversations/conversations.ts";
import { mergeValues } from "../scripts/merge-values.ts";
import { volunteerName } from "../volunteers.ts";
import { recordOptOut } from "./opt-outs.ts";
import { renderAutoReply, type AutoReplyKind } from "./reply-texts.ts";

/** {texter_name} when the conversation's volunteer has no name on record (as for canned replies). */
const UNNAMED_TEXTER = "a volunteer";

/**
 * The campaign's reply of this kind for one contact: merge fields filled with the contact's
 * values, the campaign's title and the name of the volunteer who has the conversation.
 */
export async function autoReplyText(
  db: Database,
  kind: AutoReplyKind,
  input: { campaignId: number; contactId: number; volunteerId: string | null },
): Promise<string> {
  const campaign = await db
    .selectFrom("campaigns")
    .select(["title", "opt_out_reply", "help_text"])
    .where("id", "=", input.campaignId)
    .executeTakeFirstOrThrow();
  const contact = await db
    .selectFrom("contacts")
    .select(["first_name", "last_name", "zip", "external_id", "custom_fields"])
    .where("id", "=", input.contactId)
    .executeTakeFirstOrThrow();
  const texterName =
    (input.volunteerId ? await volunteerName(db, input.campaignId, input.volunteerId) : undefined) ?? UNNAMED_TEXTER;
  return renderAutoReply(kind, campaign, mergeValues(contact, { campaignTitle: campaign.title, texterName }));
}

/**
 * Takes today's (UTC) HELP answer for this number: true for the first HELP of the day, false
 * for any other, on any instance. Inside the caller's transaction, so a text whose processing
 * rolls back leaves the day unclaimed; a second instance waits on the key and then gets false.
 */
export async function claimHelpReply(db: Database, phone: string, messageId: number): Promise<boolean> {
  const inserted = await db
    .insertInto("help_replies")
    .values({ phone, day: sql<string>`(now() AT TIME ZONE 'UTC')::date`, message_id: messageId })
    .onConflict((oc) => oc.columns(["phone", "day"]).doNothing())
    .returning("phone")
    .executeTakeFirst();
  return inserted !== undefined;
}

/** HELP answers older than `days`: only today's row keeps the once-a-day rule. */
export async function pruneHelpReplies(db: Database, days: number): Promise<number> {
  const result = await db
    .deleteFrom("help_replies")
    .where("day", "<", sql<string>`(now() AT TIME ZONE 'UTC')::date - ${days}::int`)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

export type ThreadOptOutResult =
  { ok: true; created: boolean; replyId?: number } | { ok: false; reason: "no_conversation" };

/**
 * The Opt out button, once confirmed: the number goes on the list (source `volunteer:<user>`)
 * and, if asked for and only when this made the opt-out, the campaign's opt-out reply is stored
 * to send, in the same transaction. `requestKey` names the confirmation (the modal), so the same
 * confirmation delivered twice stores one reply.
 */
export async function optOutFromThread(
  db: Database,
  input: { conversationId: number; userId: string; sendReply: boolean; fromPhone: string; requestKey: string },
): Promise<ThreadOptOutResult> {
  return db.transaction().execute(async (tx) => {
    const conversation = await tx
      .selectFrom("conversations as v")
      .innerJoin("contacts as c", "c.id", "v.contact_id")
      .select(["v.id", "v.campaign_id", "v.contact_id", "v.volunteer_id", "c.phone"])
      .where("v.id", "=", input.conversationId)
      .executeTakeFirst();
    if (!conversation) return { ok: false, reason: "no_conversation" } as const;
    const { created } = await recordOptOut(tx, {
      phone: conversation.phone,
      source: `volunteer:${input.userId}`,
      campaignId: conversation.campaign_id,
      actor: input.userId,
    });
    if (!created || !input.sendReply) return { ok: true, created } as const;
    const body = await autoReplyText(tx, "opt_out", {
      campaignId: conversation.campaign_id,
      contactId: conversation.contact_id,
      volunteerId: conversation.volunteer_id,
    });
    const queued = await queueReply(tx, {
      conversationId: conversation.id,
      body,
      kind: "auto",
      userId: input.userId,
      idempotencyKey: `auto:optout:${input.requestKey}`,
      fromPhone: input.fromPhone,
    });
    return { ok: true, created, ...(queued.ok ? { replyId: queued.messageId } : {}) } as const;
  });
}
