import { findConversationByThread, wasQueued } from "../../campaigns/conversations/conversations.ts";
import { findConversationByWatcherThread } from "../../campaigns/supervision/watchers.ts";
import { queueReplyEverywhere } from "../supervision.ts";
import { firstDelivery } from "../../campaigns/slack-events.ts";
import { isOrganizer } from "../../campaigns/organizers.ts";
import type { SlackDeps } from "../deps.ts";
import type { SlackRouter } from "../router.ts";

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
 */
export function registerThreadReplies(app: SlackRouter, services: SlackDeps): void {
  app.event("message", async ({ event, body }) => {
    const message = event as unknown as ImMessage;
    if (message.channel_type !== "im") return;
    if (message.subtype === "message_changed" || message.subtype === "message_deleted") {
      return answerEdit(services, message);
    }
    if (message.subtype || message.bot_id || !message.user || !message.thread_ts || message.thread_ts === message.ts)
      return;
    if (!(await firstDelivery(services.db, (body as { event_id?: string }).event_id))) return;
    // The volunteer's thread, or an organizer's thread of it (opened or taken from an escalation).
    const conversation =
      (await findConversationByThread(services.db, message.channel, message.thread_ts)) ??
      (await findConversationByWatcherThread(services.db, message.channel, message.thread_ts));
    if (!conversation) return;
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
    const body_ = slackTextToSms(message.text ?? "");
    if (body_.length > 1600) {
      await ephemeral(
        `That is ${body_.length} characters; a text can be at most 1,600. Nothing was sent; shorten it and post again.`,
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
    });
    if (result.ok) {
      services.outbox.kick();
      void services.deliveries.deliver(result.messageId);
      return;
    }
    if (result.reason === "opted_out") await ephemeral(":no_entry: This number has opted out; nothing was sent.");
    if (result.reason === "empty") await ephemeral("There is no text to send in that message.");
  });
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
