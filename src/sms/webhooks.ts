import type { IncomingMessage, ServerResponse } from "node:http";
import twilio from "twilio";
import { BodyTooLargeError, readRawBody } from "../http/body.ts";
import type { Logger } from "../logger.ts";
import type { Settings } from "../settings.ts";

export interface WebhookDeps {
  settings: Pick<Settings, "TWILIO_AUTH_TOKEN" | "PUBLIC_URL">;
  logger: Logger;
}

export type TwilioParams = Record<string, string>;

export interface TwilioWebhookHandlers {
  /** An inbound SMS/MMS; must be idempotent by MessageSid (Twilio retries). */
  inbound: (params: TwilioParams) => Promise<void>;
  /** A status callback for a message we sent. */
  status: (params: TwilioParams) => Promise<void>;
}

const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>';

/**
 * Verifies X-Twilio-Signature against PUBLIC_URL + the path Twilio called (never the Host
 * header, which a proxy rewrites), over exactly the parameters that arrived. A request that
 * fails gets 403 and touches nothing.
 */
export function twilioWebhook(
  services: WebhookDeps,
  kind: keyof TwilioWebhookHandlers,
  handlers: TwilioWebhookHandlers,
) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let body: string;
    try {
      body = await readRawBody(req);
    } catch (error) {
      res.writeHead(error instanceof BodyTooLargeError ? 413 : 400).end();
      return;
    }
    const params = Object.fromEntries(new URLSearchParams(body)) as TwilioParams;
    const signature = req.headers["x-twilio-signature"];
    const { TWILIO_AUTH_TOKEN: token, PUBLIC_URL: publicUrl } = services.settings;
    const url = publicUrl ? publicUrl.replace(/\/+$/, "") + (req.url ?? "") : undefined;
    if (!token || !url || typeof signature !== "string" || !twilio.validateRequest(token, signature, url, params)) {
      services.logger.warn(`rejected a ${kind} webhook with a missing or wrong X-Twilio-Signature`);
      res.writeHead(403, { "content-type": "text/plain" }).end("Forbidden: bad or missing X-Twilio-Signature");
      return;
    }
    try {
      await handlers[kind](params);
    } catch (error) {
      // 500 makes Twilio try the fallback URL; the handler is idempotent, so a retry is safe.
      services.logger.error(`${kind} webhook failed`, error);
      res.writeHead(500, { "content-type": "text/plain" }).end("error");
      return;
    }
    if (kind === "inbound") res.writeHead(200, { "content-type": "text/xml" }).end(EMPTY_TWIML);
    else res.writeHead(204).end();
  };
}
