import { explainDeliveryError } from "../campaigns/messages/delivery-errors.ts";
import { advanceMessageStatus, isProviderStatus, whereToReport } from "../campaigns/messages/status.ts";
import type { Database } from "../db/database.ts";
import { enqueuePost } from "../outbox/outbox.ts";
import { maskPhone } from "../slack/blocks/text.ts";
import type { TwilioParams, TwilioWebhookHandlers } from "../sms/webhooks.ts";
import { storeInbound } from "./inbound.ts";

export interface TwilioHandlerDeps {
  db: Database;
  /** Stored inbound texts to match and post, right after the answer (here or on the background worker). */
  inbound: { push(messageId: number): void };
  outbox: { kick(): void };
}

/** Turns verified Twilio parameters into domain calls. */
export function twilioHandlers(deps: TwilioHandlerDeps): TwilioWebhookHandlers {
  return {
    async inbound(params: TwilioParams) {
      if (!params.MessageSid || !params.From) return;
      const mediaCount = Number(params.NumMedia ?? 0);
      const mediaUrls = Array.from(
        { length: Number.isFinite(mediaCount) ? Math.min(mediaCount, 10) : 0 },
        (_, i) => params[`MediaUrl${i}`],
      ).filter((url): url is string => Boolean(url));
      const id = await storeInbound(deps.db, {
        sid: params.MessageSid,
        from: params.From,
        to: params.To ?? "",
        body: params.Body ?? "",
        mediaUrls,
      });
      // Answered now; matched and posted right after (or by the sweep, after a crash).
      if (id !== undefined) deps.inbound.push(id);
    },
    async status(params: TwilioParams) {
      const status = params.MessageStatus ?? params.SmsStatus;
      if (!params.MessageSid || !status || !isProviderStatus(status)) return;
      const errorCode = params.ErrorCode && Number.isFinite(Number(params.ErrorCode)) ? Number(params.ErrorCode) : null;
      const updated = await advanceMessageStatus(deps.db, { sid: params.MessageSid, status, errorCode });
      if (updated && (status === "failed" || status === "undelivered"))
        await reportFailure(deps, updated.id, errorCode);
    },
  };
}

/** A text that failed after Twilio took it: said in its thread, or in the sender's DM. */
async function reportFailure(deps: TwilioHandlerDeps, messageId: number, errorCode: number | null): Promise<void> {
  const target = await whereToReport(deps.db, messageId);
  if (!target) return;
  const text =
    `:warning: The text to ${maskPhone(target.toPhone)} was not delivered: ` + `${explainDeliveryError(errorCode)}.`;
  await enqueuePost(deps.db, {
    dedupeKey: `failed:${messageId}`,
    channel: target.channel,
    payload: { text, ...(target.threadTs ? { thread_ts: target.threadTs } : {}) },
  });
  deps.outbox.kick();
}
