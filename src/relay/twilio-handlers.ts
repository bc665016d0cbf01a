import { advanceMessageStatus, isMessageStatus } from "../campaigns/message-status.ts";
import { explainTwilioError } from "../sms/deliver.ts";
import { storeInbound } from "./inbound.ts";
import type { Services } from "../services.ts";
import { maskPhone } from "../slack/blocks/text.ts";
import { enqueuePost } from "../outbox/outbox.ts";
import type { TwilioParams, TwilioWebhookHandlers } from "../sms/webhooks.ts";

/** Turns verified Twilio parameters into domain calls. */
export function twilioHandlers(services: () => Services): TwilioWebhookHandlers {
  return {
    async inbound(params: TwilioParams) {
      if (!params.MessageSid || !params.From) return;
      const mediaCount = Number(params.NumMedia ?? 0);
      const mediaUrls = Array.from(
        { length: Number.isFinite(mediaCount) ? Math.min(mediaCount, 10) : 0 },
        (_, i) => params[`MediaUrl${i}`],
      ).filter((url): url is string => Boolean(url));
      const s = services();
      const id = await storeInbound(s, {
        sid: params.MessageSid,
        from: params.From,
        to: params.To ?? "",
        body: params.Body ?? "",
        mediaUrls,
      });
      // Answered now; matched and posted right after (or by the sweep, after a crash).
      if (id !== undefined) s.inbound.push(id);
    },
    async status(params: TwilioParams) {
      const status = params.MessageStatus ?? params.SmsStatus;
      if (!params.MessageSid || !status || !isMessageStatus(status)) return;
      const errorCode = params.ErrorCode && Number.isFinite(Number(params.ErrorCode)) ? Number(params.ErrorCode) : null;
      const s = services();
      const updated = await advanceMessageStatus(s.db, { sid: params.MessageSid, status, errorCode });
      if (updated && (status === "failed" || status === "undelivered")) await reportFailure(s, updated.id, errorCode);
    },
  };
}

/** A text that failed after Twilio took it: said in its thread, or in the sender's DM. */
async function reportFailure(services: Services, messageId: number, errorCode: number | null): Promise<void> {
  const row = await services.db
    .selectFrom("messages as m")
    .leftJoin("conversations as c", "c.id", "m.conversation_id")
    .select(["m.to_phone", "m.sent_by", "m.kind", "c.slack_channel", "c.slack_thread_ts"])
    .where("m.id", "=", messageId)
    .executeTakeFirst();
  if (!row) return;
  const text = `:warning: The text to ${maskPhone(row.to_phone)} was not delivered: ${explainTwilioError(errorCode)}.`;
  const target =
    row.slack_channel && row.slack_thread_ts
      ? { channel: row.slack_channel, thread_ts: row.slack_thread_ts }
      : row.sent_by
        ? { channel: row.sent_by }
        : undefined;
  if (!target) return;
  await enqueuePost(services.db, {
    dedupeKey: `failed:${messageId}`,
    channel: target.channel,
    payload: { text, ...("thread_ts" in target ? { thread_ts: target.thread_ts } : {}) },
  });
  services.outbox.kick();
}
