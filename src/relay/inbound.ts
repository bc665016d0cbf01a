import { sql } from "kysely";
import { lockAndMatchInbound, strayTextsByMinute } from "../campaigns/conversations/match.ts";
import { classifyInbound } from "../campaigns/opt-outs/keywords.ts";
import { optOutCreatedBy, recordOptIn, recordOptOut } from "../campaigns/opt-outs/opt-outs.ts";
import { autoReplyText, claimHelpReply } from "../campaigns/opt-outs/replies.ts";
import { queueReply, loadConversation } from "../campaigns/conversations/conversations.ts";
import type { InboundSms } from "../campaigns/inbound.ts";
import type { Deliveries } from "../campaigns/sending/outgoing.ts";
import type { Database } from "../db/database.ts";
import type { Logger } from "../logger.ts";
import { queryPrepared } from "../db/prepared.ts";
import { conversationParent, inboundReply } from "../slack/blocks/conversation.ts";
import { conversationView } from "../slack/conversation-view.ts";
import { escapeText, maskPhone, truncate } from "../slack/blocks/text.ts";
import { dropSupersededPending, enqueuePost, replacePendingPayload } from "../outbox/outbox.ts";
import { postToWatchers } from "../slack/supervision.ts";

/** What processing an inbound text needs. */
export interface InboundDeps {
  db: Database;
  /** Texts from numbers in no conversation go to these organizers. */
  organizerIds: string[];
  /** Our sender as stored on outgoing texts (undefined with a Messaging Service: the number they texted). */
  fromPhone: string | undefined;
  outbox: { kick(): void };
  deliveries: Deliveries;
  logger: Logger;
}

export const parentKey = (conversationId: number) => `conv-parent:${conversationId}`;
/** A redraw of a posted parent with the contact's newest text: `conv-update:<conversation>:<message>`. */
const parentUpdatePrefix = (conversationId: number) => `conv-update:${conversationId}:`;

/**
 * Step one, inside the webhook: store the text once by its MessageSid (a Twilio retry finds
 * the row and changes nothing) and answer. Returns the id to process, or undefined for a retry.
 *
 * An opt-out needs no database to recognise (classifyInbound is pure), so one is recorded here,
 * in the same transaction as the text, before Twilio gets its answer: from that moment every
 * Send statement and every request to Twilio finds the number on the list. Everything else
 * (matching, Slack posts, the confirmation) waits for step two.
 */
export async function storeInbound(db: Database, sms: InboundSms): Promise<number | undefined> {
  // PostgreSQL text holds anything but NUL: a NUL is stored as U+FFFD rather than refused (a
  // refusal was a 500, and the reply was never stored). Lone surrogates arrive as U+FFFD already.
  const body = sms.body.replaceAll("\u0000", "\uFFFD");
  const values = [body, JSON.stringify(sms.mediaUrls), sms.from, sms.to, sms.sid];
  const intent = classifyInbound(body);
  if (intent.kind !== "opt_out") {
    const rows = await queryPrepared<{ id: number }>(db, STORE_INBOUND, values, { lane: "ingest" });
    return rows[0]?.id;
  }
  const id = await db.transaction().execute(async (tx) => {
    const rows = await queryPrepared<{ id: number }>(tx, STORE_INBOUND, values);
    const stored = rows[0]?.id;
    if (stored !== undefined) {
      await recordOptOut(tx, { phone: sms.from, source: "sms", keyword: intent.keyword, messageId: stored });
    }
    return stored;
  });
  await untilNothingInFlight(db, sms.from);
  return id;
}

/** How long an opt-out's answer may wait for texts already at Twilio's door (Twilio waits 15 s). */
export const IN_FLIGHT_WAIT_MS = 5000;

/**
 * A text whose opt-out check passed just before the opt-out committed may still be on its way
 * to Twilio. The opt-out is answered only once no text to the number is mid-request (each then
 * either reached Twilio or met the opt-out at the door), so nothing reaches Twilio for a number
 * after its opt-out was answered; an attempt Twilio never answered holds its row for its lease,
 * so the wait is capped.
 */
async function untilNothingInFlight(db: Database, phone: string): Promise<void> {
  const deadline = Date.now() + IN_FLIGHT_WAIT_MS;
  for (;;) {
    const inFlight = await db
      .selectFrom("messages")
      .select("id")
      .where("to_phone", "=", phone)
      .where("status", "=", "submitting")
      .where("kind", "!=", "auto")
      .limit(1)
      .executeTakeFirst();
    if (!inFlight || Date.now() >= deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Every webhook runs it, so it is prepared once per connection (see db/prepared.ts). */
const STORE_INBOUND = {
  name: "store_inbound_v1",
  text: `INSERT INTO messages (direction, kind, body, media_urls, from_phone, to_phone, twilio_sid, status)
         VALUES ('in', 'inbound', $1, $2::jsonb, $3, $4, $5, 'received')
         ON CONFLICT (twilio_sid) DO NOTHING
         RETURNING id`,
};

/**
 * Step two, after the answer: match the text to its conversation, record an opt-out or
 * opt-in, and queue its Slack posts in the outbox — one transaction that also sets
 * processed_at, with the row locked so two workers never process it twice.
 */
export async function processInbound(services: InboundDeps, messageId: number): Promise<void> {
  const { db } = services;
  const autoReplies: number[] = [];
  const processed = await db.transaction().execute(async (tx) => {
    // Only the stored text had to be durable before Twilio's answer. What this derives from it
    // can be redone: if a crash loses this commit, processed_at is null again and the sweep
    // processes the text anew. So it need not wait for its WAL flush, which queues behind
    // (and delays) the flushes of the webhooks storing the next texts.
    await sql`SET LOCAL synchronous_commit = off`.execute(tx);
    const locked = await lockAndMatchInbound(tx, messageId);
    if (!locked) return false;
    const { message, match } = locked;
    const sms = { body: message.body, mediaUrls: message.media_urls, from: message.from_phone, to: message.to_phone };
    const intent = classifyInbound(sms.body);
    // Recorded when the text was stored (storeInbound); again here for a text stored before that
    // was so. The confirmation is owed only by the text that created the opt-out.
    let newOptOut = false;
    if (intent.kind === "opt_out") {
      const { created } = await recordOptOut(tx, {
        phone: sms.from,
        source: "sms",
        keyword: intent.keyword,
        campaignId: match?.campaignId,
        messageId: message.id,
      });
      newOptOut = created || (await optOutCreatedBy(tx, sms.from, message.id));
    }
    const optedIn =
      intent.kind === "opt_in" ? (await recordOptIn(tx, { phone: sms.from, source: "sms" })).removed : false;
    // What the text was, for the stats: an opt-out or opt-in is not a reply (migration 0023). "Yes"
    // opts back in only a number that was opted out; from anyone else it is an ordinary message.
    const kind = intent.kind === "opt_in" && intent.keyword === "YES" && !optedIn ? "message" : intent.kind;
    await tx.updateTable("messages").set({ intent: kind }).where("id", "=", message.id).execute();

    if (!match) {
      // The first text from a number in no conversation each minute goes to the organizers at
      // once; the rest of that minute follow in one summary (postUnknownSummaries), so a flood
      // is two posts a minute, not one per text at Slack's one-a-second pace.
      for (const organizer of services.organizerIds) {
        await enqueuePost(tx, {
          dedupeKey: `unknown:${minuteSlot(message.created_at)}:${organizer}`,
          channel: organizer,
          payload: {
            text: `A text from a number in no conversation (${maskPhone(sms.from)}):\n${inboundReply(sms).text}`,
          },
        });
      }
      return true;
    }
    await tx
      .updateTable("conversations")
      .set({
        last_inbound_at: sql`now()`,
        waiting_since: intent.kind === "message" ? sql`coalesce(waiting_since, now())` : sql`waiting_since`,
        replied_at: kind === "opt_out" || kind === "opt_in" ? sql`replied_at` : sql`coalesce(replied_at, now())`,
      })
      .where("id", "=", match.conversationId)
      .execute();

    const channel = match.slackChannel ?? match.volunteerDm ?? match.volunteerId;
    if (channel) {
      // The parent shows what they said last (and its notification text says it too).
      const parent = conversationParent(conversationView((await loadConversation(tx, match.conversationId))!));
      if (!match.slackThreadTs) {
        const queued = await enqueuePost(tx, { dedupeKey: parentKey(match.conversationId), channel, payload: parent });
        // Not posted yet (a second text right after the first): it goes out with this one shown.
        if (!queued.created) await replacePendingPayload(tx, parentKey(match.conversationId), parent);
      }
      const threadTs = match.slackThreadTs ?? { fromOutbox: parentKey(match.conversationId) };
      await enqueuePost(tx, {
        dedupeKey: `in:${message.id}`,
        channel,
        payload: { ...inboundReply(sms), thread_ts: threadTs },
      });
      if (intent.kind === "opt_out" || intent.kind === "opt_in") {
        const note =
          intent.kind === "opt_out"
            ? ":no_entry: They opted out of every campaign. Nothing more will be sent."
            : ":white_check_mark: They opted back in.";
        await enqueuePost(tx, {
          dedupeKey: `note:${message.id}`,
          channel,
          payload: { text: note, thread_ts: threadTs },
        });
      }
      if (match.slackThreadTs && match.slackChannel) {
        // The posted parent is redrawn after the reply (same channel, so in that order). One
        // update per conversation waits at a time: a newer text's replaces any not yet claimed.
        const key = `${parentUpdatePrefix(match.conversationId)}${message.id}`;
        await dropSupersededPending(tx, parentUpdatePrefix(match.conversationId), key);
        await enqueuePost(tx, {
          dedupeKey: key,
          channel: match.slackChannel,
          method: "chat.update",
          payload: { ts: match.slackThreadTs, ...parent },
        });
      }
    }
    // Organizers who opened the conversation (or took it from an escalation) see it in their threads too.
    await postToWatchers(tx, match.conversationId, [
      { key: `in:${message.id}`, payload: inboundReply(sms) },
      ...(intent.kind === "opt_out" || intent.kind === "opt_in"
        ? [
            {
              key: `note:${message.id}`,
              payload: {
                text:
                  intent.kind === "opt_out"
                    ? ":no_entry: They opted out of every campaign. Nothing more will be sent."
                    : ":white_check_mark: They opted back in.",
              },
            },
          ]
        : []),
    ]);
    // Twilio answers its own keywords; we send the campaign's opt-out reply for the others, once
    // (only the text that created the opt-out), and its HELP reply at most once a day per number.
    const reply =
      intent.kind === "opt_out" && newOptOut && !intent.twilioConfirms
        ? "opt_out"
        : intent.kind === "help" && (await claimHelpReply(tx, sms.from, message.id))
          ? "help"
          : undefined;
    if (reply) {
      const text = await autoReplyText(tx, reply, {
        campaignId: match.campaignId,
        contactId: match.contactId,
        volunteerId: match.volunteerId,
      });
      const queued = await queueReplyIn(
        tx,
        match.conversationId,
        text,
        `auto:${message.id}`,
        services.fromPhone ?? sms.to,
      );
      if (queued) autoReplies.push(queued);
    }
    return true;
  });
  if (!processed) return;
  services.outbox.kick();
  for (const id of autoReplies) void services.deliveries.deliver(id);
}

/** Tries an inbound text gets before it is set aside and reported to the organizers. */
export const INBOUND_TRIES = 3;

/**
 * Texts stored but not processed (a crash between the steps, or a failure), oldest first.
 * One text that cannot be processed never holds back the others: each failure is counted,
 * and after INBOUND_TRIES the text is set aside (no more tries) and the organizers are told
 * once, with what it said, so a reply never vanishes without a person knowing.
 */
export async function processLeftoverInbound(services: InboundDeps, olderThanSeconds = 10): Promise<number> {
  const rows = await services.db
    .selectFrom("messages")
    .select("id")
    .where("direction", "=", "in")
    .where("processed_at", "is", null)
    .where("set_aside_at", "is", null)
    .where("created_at", "<=", sql<Date>`now() - make_interval(secs => ${olderThanSeconds})`)
    .orderBy("id")
    .limit(500)
    .execute();
  let failed = 0;
  for (const row of rows) {
    await processInbound(services, row.id).catch(async (error: unknown) => {
      failed += 1;
      services.logger.error(`processing inbound text ${row.id} failed`, error);
      await countFailure(services, row.id).catch((again: unknown) =>
        services.logger.error(`counting the failure of inbound text ${row.id} failed`, again),
      );
    });
  }
  return rows.length - failed;
}

async function countFailure(services: InboundDeps, messageId: number): Promise<void> {
  const setAside = await services.db.transaction().execute(async (tx) => {
    const row = await tx
      .updateTable("messages")
      .set({
        process_failures: sql`process_failures + 1`,
        set_aside_at: sql`CASE WHEN process_failures + 1 >= ${INBOUND_TRIES} THEN now() END`,
      })
      .where("id", "=", messageId)
      .where("processed_at", "is", null)
      .returning(["set_aside_at", "from_phone", "body", "created_at"])
      .executeTakeFirst();
    if (!row?.set_aside_at) return false;
    const when = row.created_at.toISOString().slice(0, 16).replace("T", " ");
    for (const organizer of services.organizerIds) {
      await enqueuePost(tx, {
        dedupeKey: `set-aside:${messageId}:${organizer}`,
        channel: organizer,
        payload: {
          text:
            `:warning: A text from ${maskPhone(row.from_phone)} (received ${when} UTC) failed ${INBOUND_TRIES} times ` +
            `on our side, so it was set aside and its volunteer has not seen it (ref in-${messageId}); ` +
            `the other texts carry on. It said:\n>${escapeText(truncate(row.body, 500)).replaceAll("\n", "\n>")}`,
        },
      });
    }
    return true;
  });
  if (setAside) {
    services.logger.error(`inbound text ${messageId} set aside after ${INBOUND_TRIES} failed tries; organizers told`);
    services.outbox.kick();
  }
}

async function queueReplyIn(
  tx: Database,
  conversationId: number,
  body: string,
  key: string,
  fromPhone: string,
): Promise<number | undefined> {
  const result = await queueReply(tx, {
    conversationId,
    body,
    kind: "auto",
    userId: null,
    idempotencyKey: key,
    fromPhone,
  });
  return result.ok ? result.messageId : undefined;
}

function minuteSlot(at: Date): string {
  return new Date(Math.floor(at.getTime() / 60_000) * 60_000).toISOString();
}

/**
 * The texts from numbers in no conversation that were not shown one by one (all but the first of
 * their minute), one summary per minute and organizer, for the minutes that ended within the
 * last `lookbackMinutes`. Keyed by minute, so a second run posts nothing new. Returns posts made.
 */
export async function postUnknownSummaries(
  services: Pick<InboundDeps, "db" | "organizerIds" | "outbox">,
  now: Date,
  lookbackMinutes = 10,
): Promise<number> {
  const until = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
  const since = new Date(until.getTime() - lookbackMinutes * 60_000);
  const minutes = await strayTextsByMinute(services.db, since, until);
  let posted = 0;
  for (const { minute, count, samples } of minutes) {
    const lines = samples.map((s) => `• ${maskPhone(s.from)}: ${escapeText(truncate(s.body, 120))}`);
    const more = count > samples.length ? `\n…and ${count - samples.length} more.` : "";
    const text =
      `${count} more ${count === 1 ? "text" : "texts"} from numbers in no conversation in the minute from ` +
      `${minute.toISOString().slice(11, 16)} UTC:\n${lines.join("\n")}${more}`;
    for (const organizer of services.organizerIds) {
      const created = await enqueuePost(services.db, {
        dedupeKey: `unknown-more:${minute.toISOString()}:${organizer}`,
        channel: organizer,
        payload: { text },
      });
      if (created.created) posted += 1;
    }
  }
  if (posted) services.outbox.kick();
  return posted;
}
