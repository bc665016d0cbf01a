import {
  conversationPhone,
  findConversationByFormerThread,
  findConversationByThread,
  wasQueued,
} from "../../campaigns/conversations/conversations.ts";
import { findConversationByWatcherThread } from "../../campaigns/supervision/watchers.ts";
import { queueReplyEverywhere } from "../supervision.ts";
import { firstDelivery } from "../../campaigns/slack-events.ts";
import { isOrganizer } from "../../campaigns/organizers.ts";
import type { SlackDeps } from "../deps.ts";
import type { SlackRouter } from "../router.ts";
import { maskPhone } from "../blocks/text.ts";
import { answerRefusal } from "../reply-receipts.ts";

interface ImMessage {
  type: "message";
  subtype?: string;
  channel: string;
  channel_type?: string;
  user?: string;
  bot_id?: string;
  text?: string;
  ts: string;
  thread_ts?: string;
  client_msg_id?: string;
  message?: { ts: string; thread_ts?: string; user?: string; bot_id?: string };
  previous_message?: { ts: string; thread_ts?: string; user?: string };
}

/** Slack message text → SMS text: mentions and links unwrapped, entities decoded. */
export function slackTextToSms(text: string): string {
  return text
    .replace(/<(https?:[^|>]+)\|([^>]+)>/g, "$2 ($1)")
    .replace(/<(https?:[^>]+)>/g, "$1")
    .replace(/<mailto:[^|>]+\|([^>]+)>/g, "$1")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&")
    .trim();
}

/**
 * What a volunteer writes in a conversation's thread in their DM is texted to the contact.
 * Only the assigned volunteer or an organizer may; an opted-out number gets nothing; an edit
 * or deletion after sending is answered (an SMS cannot be changed).
 *
 * Every reply says what became of it (slack/reply-receipts.ts): a text on its way gets
 * :outbox_tray: (then :white_check_mark: or :x: from Twilio's status), and a reply that was not
 * texted gets :no_entry_sign: and a message in the thread saying why ("Not sent: …").
 */
export function registerThreadReplies(app: SlackRouter, services: SlackDeps): void {
  app.event("message", async ({ event, body }) => {
    const message = event as unknown as ImMessage;
    if (message.channel_type !== "im") return;
    if (message.subtype === "message_changed" || message.subtype === "message_deleted") {
      return answerEdit(services, message);
    }
    // A file shared in a thread is answered (it is not texted); other subtypes are not replies.
    const withFile = message.subtype === "file_share";
    if (
      (message.subtype && !withFile) ||
      message.bot_id ||
      !message.user ||
      !message.thread_ts ||
      message.thread_ts === message.ts
    )
      return;
    if (!(await firstDelivery(services.db, (body as { event_id?: string }).event_id))) return;
    const reply = { channel: message.channel, ts: message.ts, threadTs: message.thread_ts };
    const refuse = async (why: string) => {
      await answerRefusal(services.db, reply, `:no_entry_sign: Not sent: ${why}`);
      services.outbox.kick();
    };
    // The volunteer's thread, or an organizer's thread of it (opened or taken from an escalation).
    const conversation =
      (await findConversationByThread(services.db, message.channel, message.thread_ts)) ??
      (await findConversationByWatcherThread(services.db, message.channel, message.thread_ts));
    if (!conversation) {
      // A thread the conversation left (reassigned, handed off): say where it went.
      const moved = await findConversationByFormerThread(services.db, message.channel, message.thread_ts);
      if (moved) await refuse(movedReason(moved.volunteer_id, message.user));
      return;
    }
    const ephemeral = (text: string) =>
      services.slack.chat
        .postEphemeral({ channel: message.channel, user: message.user!, thread_ts: message.thread_ts, text })
        .catch((error: unknown) => services.logger.warn("postEphemeral failed", error));

    const allowed =
      conversation.volunteer_id === message.user ||
      (await isOrganizer(services.db, services.settings.ORGANIZER_IDS, message.user));
    if (!allowed) {
      await ephemeral(
        `Only <@${conversation.volunteer_id}> (who has this conversation) or an organizer can text this contact; ` +
          `nothing was sent.`,
      );
      return;
    }
    if (withFile) {
      await refuse("a file or picture can't be texted from Slack, only words. Post the words on their own.");
      return;
    }
    const body_ = slackTextToSms(message.text ?? "");
    if (body_.length > 1600) {
      await refuse(
        `that is ${body_.length.toLocaleString("en-US")} characters; a text can be at most 1,600. ` +
          `Shorten it and post again.`,
      );
      return;
    }
    // Texted once, and shown in the conversation's other threads (the volunteer's, organizers').
    const result = await queueReplyEverywhere(services.db, {
      conversationId: conversation.id,
      body: body_,
      kind: "reply",
      userId: message.user,
      idempotencyKey: `slack:${message.channel}:${message.ts}`,
      fromPhone: services.texting.fromPhone,
      slackReply: { channel: message.channel, ts: message.ts },
    });
    if (result.ok) {
      services.outbox.kick();
      void services.deliveries.deliver(result.messageId);
      return;
    }
    // "duplicate": this Slack message was texted already (its receipt is on it).
    if (result.reason === "opted_out") {
      const phone = await conversationPhone(services.db, conversation.id);
      await refuse(`${phone ? maskPhone(phone) : "this number"} opted out; nothing more can be texted to it.`);
    }
    if (result.reason === "empty") await refuse("there are no words in that message to text.");
  });
}

/** Why a reply in a conversation's old thread was not texted: where the conversation is now. */
function movedReason(volunteerId: string | null, writer: string): string {
  if (volunteerId === writer) return "this conversation continues in a newer thread in this DM; reply there.";
  if (volunteerId) return `this conversation moved to <@${volunteerId}>, who texts this contact now.`;
  return "this conversation is no longer in this thread.";
}

async function answerEdit(services: SlackDeps, message: ImMessage): Promise<void> {
  const original =
    message.subtype === "message_changed" ? (message.previous_message ?? message.message) : message.previous_message;
  if (!original?.thread_ts || !original.user) return;
  if (!(await wasQueued(services.db, `slack:${message.channel}:${original.ts}`))) return;
  const verb = message.subtype === "message_changed" ? "Editing" : "Deleting";
  await services.slack.chat
    .postEphemeral({
      channel: message.channel,
      user: original.user,
      thread_ts: original.thread_ts,
      text:
        `${verb} a message here does not change the text already sent; the contact has the original. ` +
        `Post a new reply to correct it.`,
    })
    .catch((error: unknown) => services.logger.warn("postEphemeral failed", error));
}
