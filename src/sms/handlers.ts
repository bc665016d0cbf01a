import { storeInbound } from "../campaigns/inbound.ts";
import { advanceMessageStatus, isMessageStatus } from "../campaigns/message-status.ts";
import type { Services } from "../services.ts";
import type { TwilioParams, TwilioWebhookHandlers } from "./webhooks.ts";

/** Turns verified Twilio parameters into domain calls. */
export function twilioHandlers(services: () => Services): TwilioWebhookHandlers {
  return {
    async inbound(params: TwilioParams) {
      const mediaCount = Number(params.NumMedia ?? 0);
      const mediaUrls = Array.from({ length: Number.isFinite(mediaCount) ? Math.min(mediaCount, 10) : 0 }, (_, i) => params[`MediaUrl${i}`])
        .filter((url): url is string => Boolean(url));
      if (!params.MessageSid || !params.From) return;
      await storeInbound(services().db, {
        sid: params.MessageSid,
        from: params.From,
        to: params.To ?? "",
        body: params.Body ?? "",
        mediaUrls,
      });
    },
    async status(params: TwilioParams) {
      const status = params.MessageStatus ?? params.SmsStatus;
      if (!params.MessageSid || !status || !isMessageStatus(status)) return;
      const errorCode = params.ErrorCode ? Number(params.ErrorCode) : null;
      await advanceMessageStatus(services().db, { sid: params.MessageSid, status, errorCode: Number.isFinite(errorCode) ? errorCode : null });
    },
  };
}
