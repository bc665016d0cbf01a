import { sql } from "kysely";
import { matchConversation } from "../campaigns/conversations/match.ts";
import { classifyInbound, OPT_OUT_CONFIRMATION } from "../campaigns/opt-outs/keywords.ts";
import { recordOptIn, recordOptOut } from "../campaigns/opt-outs/opt-outs.ts";
import { queueReply, loadConversation } from "../campaigns/conversations/conversations.ts";
import type { InboundSms } from "../campaigns/inbound.ts";
import type { Services } from "../services.ts";
import { conversationParent, inboundReply } from "../slack/blocks/conversation.ts";
import { conversationView } from "../slack/conversation-view.ts";
import { maskPhone } from "../slack/blocks/text.ts";
import { enqueuePost } from "../slack/outbox.ts";

export const parentKey = (conversationId: number) => `conv-parent:${conversationId}`;

/**
 * An inbound text, once: stored by MessageSid, matched to its conversation, opt-out or opt-in
 * recorded, and its Slack posts queued in the outbox — all in one transaction, so a Twilio
 * retry finds the MessageSid and changes nothing, and a crash leaves nothing half done.
 */
export async function handleInboundSms(services: Services, sms: InboundSms): Promise<void> {
  const { db } = services;
  const autoReplies: number[] = [];
  const stored = await db.transaction().execute(async (tx) => {
    const inserted = await tx
      .insertInto("messages")
      .values({ direction: "in", kind: "inbound", body: sms.body, media_urls: JSON.stringify(sms.mediaUrls), from_phone: sms.from, to_phone: sms.to, twilio_sid: sms.sid, status: "received" })
      .onConflict((oc) => oc.column("twilio_sid").doNothing())
      .returning("id")
      .executeTakeFirst();
    if (!inserted) return false;
    const match = await matchConversation(tx, sms.from);
    const intent = classifyInbound(sms.body);
    if (intent.kind === "opt_out") await recordOptOut(tx, { phone: sms.from, source: "sms", keyword: intent.keyword, campaignId: match?.campaignId });
    if (intent.kind === "opt_in") await recordOptIn(tx, { phone: sms.from, source: "sms" });

    if (!match) {
      for (const organizer of services.settings.ORGANIZER_IDS) {
        await enqueuePost(tx, {
          dedupeKey: `unknown:${inserted.id}:${organizer}`,
          channel: organizer,
          payload: { text: `A text from a number in no conversation (${maskPhone(sms.from)}):\n${inboundReply(sms).text}` },
        });
      }
      return true;
    }
    await tx
      .updateTable("messages")
      .set({ campaign_id: match.campaignId, contact_id: match.contactId, conversation_id: match.conversationId })
      .where("id", "=", inserted.id)
      .execute();
    await tx
      .updateTable("conversations")
      .set({ last_inbound_at: sql`now()`, waiting_since: intent.kind === "message" ? sql`coalesce(waiting_since, now())` : sql`waiting_since` })
      .where("id", "=", match.conversationId)
      .execute();

    const detail = (await loadConversation(tx, match.conversationId))!;
    const channel = await volunteerChannel(tx, detail.conversation.campaign_id, detail.conversation.volunteer_id);
    if (channel) {
      if (!detail.conversation.slack_thread_ts) {
        await enqueuePost(tx, { dedupeKey: parentKey(match.conversationId), channel, payload: { ...conversationParent(conversationView(detail)) } });
      }
      const threadTs = detail.conversation.slack_thread_ts ?? { fromOutbox: parentKey(match.conversationId) };
      await enqueuePost(tx, { dedupeKey: `in:${inserted.id}`, channel: detail.conversation.slack_channel ?? channel, payload: { ...inboundReply(sms), thread_ts: threadTs } });
      if (intent.kind === "opt_out" || intent.kind === "opt_in") {
        const note = intent.kind === "opt_out" ? ":no_entry: They opted out of every campaign. Nothing more will be sent." : ":white_check_mark: They opted back in.";
        await enqueuePost(tx, { dedupeKey: `note:${inserted.id}`, channel: detail.conversation.slack_channel ?? channel, payload: { text: note, thread_ts: threadTs } });
      }
    }
    // Twilio confirms its own keywords; we confirm the others once, and answer HELP.
    const confirmation =
      intent.kind === "opt_out" && !intent.twilioConfirms ? OPT_OUT_CONFIRMATION
      : intent.kind === "help" ? helpText(detail.campaign.help_text, detail.campaign.title)
      : undefined;
    if (confirmation) {
      const queued = await queueReplyIn(tx, match.conversationId, confirmation, `auto:${inserted.id}`, services.sms.fromNumber ?? sms.to);
      if (queued) autoReplies.push(queued);
    }
    return true;
  });
  if (!stored) return;
  services.outbox.kick();
  for (const id of autoReplies) void services.deliveries.deliver(id);
}

function helpText(campaignHelp: string | null, title: string): string {
  return campaignHelp?.trim() || `${title}: volunteers texting about this campaign. Reply STOP to opt out.`;
}

async function queueReplyIn(tx: Services["db"], conversationId: number, body: string, key: string, fromPhone: string): Promise<number | undefined> {
  const result = await queueReply(tx, { conversationId, body, kind: "auto", userId: null, idempotencyKey: key, fromPhone });
  return result.ok ? result.messageId : undefined;
}

/** The volunteer's DM with the app (D…), or their user ID, which chat.postMessage opens as the DM. */
async function volunteerChannel(db: Services["db"], campaignId: number, volunteerId: string | null): Promise<string | undefined> {
  if (!volunteerId) return undefined;
  const row = await db.selectFrom("volunteers").select("dm_channel").where("campaign_id", "=", campaignId).where("user_id", "=", volunteerId).executeTakeFirst();
  return row?.dm_channel ?? volunteerId;
}
