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
  /** What the contact said last (their newest text; "(an attachment)" for media alone), if anything. */
  latestReply?: string;
}

export async function loadConversation(db: Database, id: number): Promise<ConversationDetail | undefined> {
  const conversation = await db.selectFrom("conversations").selectAll().where("id", "=", id).executeTakeFirst();
  if (!conversation) return undefined;
  const [campaign, contact, opening, latest] = await Promise.all([
    db.selectFrom("campaigns").selectAll().where("id", "=", conversation.campaign_id).executeTakeFirstOrThrow(),
    db.selectFrom("contacts").selectAll().where("id", "=", conversation.contact_id).executeTakeFirstOrThrow(),
    db
      .selectFrom("messages")
      .select("body")
      .where("conversation_id", "=", id)
      .where("kind", "=", "opening")
      .executeTakeFirst(),
    db
      .selectFrom("messages")
      .select(["body", "media_urls"])
      .where("conversation_id", "=", id)
      .where("direction", "=", "in")
      .orderBy("id", "desc")
      .limit(1)
      .executeTakeFirst(),
  ]);
  const optedOut = await isOptedOut(db, contact.phone);
  // Only a campaign with a survey pays for the read of its answers.
  const answers = campaign.survey_questions?.length ? await currentAnswers(db, id) : new Map<number, string>();
  const latestReply = latest && (latest.body.trim() || (latest.media_urls.length ? "(an attachment)" : ""));
  return {
    conversation,
    campaign,
    contact,
    opening: opening?.body ?? "",
    optedOut,
    answers,
    ...(latestReply ? { latestReply } : {}),
  };
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

/**
 * The conversation a thread used to be (before a reassign, handoff or review move started it
 * again in another DM), with whom it is now; a reply there is answered, not texted.
 */
export async function findConversationByFormerThread(
  db: Database,
  channel: string,
  threadTs: string,
): Promise<Conversation | undefined> {
  return db
    .selectFrom("former_threads as f")
    .innerJoin("conversations as c", "c.id", "f.conversation_id")
    .selectAll("c")
    .where("f.channel", "=", channel)
    .where("f.thread_ts", "=", threadTs)
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
    /** The thread reply in Slack this text comes from: its receipts (reactions) go on it. */
    slackReply?: { channel: string; ts: string };
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
        slack_reply_channel: input.slackReply?.channel ?? null,
        slack_reply_ts: input.slackReply?.ts ?? null,
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

/** The phone number a conversation texts (to be masked before anyone sees it). */
export async function conversationPhone(db: Database, conversationId: number): Promise<string | undefined> {
  const row = await db
    .selectFrom("conversations as v")
    .innerJoin("contacts as c", "c.id", "v.contact_id")
    .select("c.phone")
    .where("v.id", "=", conversationId)
    .executeTakeFirst();
  return row?.phone;
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

/** The text stored under this idempotency key, if any (a canned reply's Send submitted twice). */
export async function queuedBody(db: Database, idempotencyKey: string): Promise<string | undefined> {
  const row = await db
    .selectFrom("messages")
    .select("body")
    .where("idempotency_key", "=", idempotencyKey)
    .executeTakeFirst();
  return row?.body;
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
