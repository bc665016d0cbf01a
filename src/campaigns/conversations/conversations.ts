import { sql } from "kysely";
import type { Database } from "../../db/database.ts";
import type { Campaign, Contact, Conversation } from "../../db/schema.ts";
import { isOptedOut } from "../opt-outs/opt-outs.ts";
import { currentAnswers, type CurrentAnswers } from "../surveys/surveys.ts";

export interface ConversationDetail {
  conversation: Conversation;
  campaign: Campaign;
  contact: Contact;
  opening: string;
  optedOut: boolean;
  /** The current survey answer per question id. */
  answers: CurrentAnswers;
}

export async function loadConversation(db: Database, id: number): Promise<ConversationDetail | undefined> {
  const conversation = await db.selectFrom("conversations").selectAll().where("id", "=", id).executeTakeFirst();
  if (!conversation) return undefined;
  const [campaign, contact, opening] = await Promise.all([
    db.selectFrom("campaigns").selectAll().where("id", "=", conversation.campaign_id).executeTakeFirstOrThrow(),
    db.selectFrom("contacts").selectAll().where("id", "=", conversation.contact_id).executeTakeFirstOrThrow(),
    db
      .selectFrom("messages")
      .select("body")
      .where("conversation_id", "=", id)
      .where("kind", "=", "opening")
      .executeTakeFirst(),
  ]);
  const optedOut = await isOptedOut(db, contact.phone);
  // Only a campaign with a survey pays for the read of its answers.
  const answers = campaign.survey_questions?.length ? await currentAnswers(db, id) : new Map<number, string>();
  return { conversation, campaign, contact, opening: opening?.body ?? "", optedOut, answers };
}

export async function findConversationByThread(
  db: Database,
  channel: string,
  threadTs: string,
): Promise<Conversation | undefined> {
  return db
    .selectFrom("conversations")
    .selectAll()
    .where("slack_channel", "=", channel)
    .where("slack_thread_ts", "=", threadTs)
    .executeTakeFirst();
}

export type QueueReplyResult =
  { ok: true; messageId: number } | { ok: false; reason: "duplicate" | "opted_out" | "empty" };

/**
 * Stores a volunteer's (or canned) reply to send. `idempotencyKey` makes a retried Slack event
 * or a double click one message; an opted-out number gets nothing.
 */
export async function queueReply(
  db: Database,
  input: {
    conversationId: number;
    body: string;
    kind: "reply" | "canned" | "auto";
    userId: string | null;
    idempotencyKey: string;
    fromPhone: string;
  },
): Promise<QueueReplyResult> {
  if (!input.body.trim()) return { ok: false, reason: "empty" };
  // Callable inside a caller's transaction (an inbound text's auto-reply) or on its own.
  const inTransaction = <T>(work: (tx: Database) => Promise<T>) =>
    db.isTransaction ? work(db) : db.transaction().execute(work);
  return inTransaction(async (tx) => {
    const conversation = await tx
      .selectFrom("conversations")
      .selectAll()
      .where("id", "=", input.conversationId)
      // NO KEY UPDATE, not UPDATE: it serializes replies just the same, but does not wait on the
      // KEY SHARE locks that other texts' processing holds on this row (their messages point at
      // it). Inside processInbound's transaction, FOR UPDATE deadlocked with a second text from
      // the same number waiting on this transaction's update of the conversation.
      .forNoKeyUpdate()
      .executeTakeFirstOrThrow();
    const contact = await tx
      .selectFrom("contacts")
      .select(["id", "phone"])
      .where("id", "=", conversation.contact_id)
      .executeTakeFirstOrThrow();
    if (input.kind !== "auto" && (await isOptedOut(tx, contact.phone)))
      return { ok: false, reason: "opted_out" } as const;
    const message = await tx
      .insertInto("messages")
      .values({
        campaign_id: conversation.campaign_id,
        contact_id: contact.id,
        conversation_id: conversation.id,
        direction: "out",
        kind: input.kind,
        body: input.body,
        from_phone: input.fromPhone,
        to_phone: contact.phone,
        status: "pending",
        sent_by: input.userId,
        idempotency_key: input.idempotencyKey,
      })
      .onConflict((oc) => oc.column("idempotency_key").doNothing())
      .returning("id")
      .executeTakeFirst();
    if (!message) return { ok: false, reason: "duplicate" } as const;
    if (input.kind !== "auto") {
      await tx
        .updateTable("conversations")
        .set({ waiting_since: null, last_outbound_at: sql`now()` })
        .where("id", "=", conversation.id)
        .execute();
    }
    return { ok: true, messageId: message.id } as const;
  });
}

/** Whether a text was stored under this idempotency key (e.g. a volunteer's Slack message). */
export async function wasQueued(db: Database, idempotencyKey: string): Promise<boolean> {
  const row = await db
    .selectFrom("messages")
    .select("id")
    .where("idempotency_key", "=", idempotencyKey)
    .executeTakeFirst();
  return row !== undefined;
}

/** Records an outcome tag: history in outcome_events, the current one on the conversation. */
export async function recordOutcome(
  db: Database,
  input: { conversationId: number; tag: string; userId: string },
): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await tx
      .insertInto("outcome_events")
      .values({ conversation_id: input.conversationId, tag: input.tag, user_id: input.userId })
      .execute();
    await tx
      .updateTable("conversations")
      .set({ current_tag: input.tag, tagged_by: input.userId, tagged_at: sql`now()` })
      .where("id", "=", input.conversationId)
      .execute();
  });
}

/** The id of the latest inbound message, so a canned reply is sent once per thing they said. */
export async function lastInboundId(db: Database, conversationId: number): Promise<number> {
  const row = await db
    .selectFrom("messages")
    .select((eb) => eb.fn.max("id").as("id"))
    .where("conversation_id", "=", conversationId)
    .where("direction", "=", "in")
    .executeTakeFirst();
  return Number(row?.id ?? 0);
}
