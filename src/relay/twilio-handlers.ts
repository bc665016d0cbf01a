import { advanceMessageStatus, isProviderStatus } from "../campaigns/messages/status.ts";
import type { Database } from "../db/database.ts";
import type { TwilioParams, TwilioWebhookHandlers } from "../sms/webhooks.ts";
import { receiptOutcome } from "../slack/reply-receipts.ts";
import { reportFailedText } from "./failure-reports.ts";
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
        await reportFailedText(deps, updated.id, errorCode);
      // A reply written in a thread shows it was delivered (:white_check_mark: on the reply).
      if (updated && status === "delivered" && (await receiptOutcome(deps.db, updated.id, "delivered")))
        deps.outbox.kick();
    },
  };
}
