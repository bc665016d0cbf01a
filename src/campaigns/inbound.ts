import type { Database } from "../db/database.ts";

export interface InboundSms {
  sid: string;
  from: string;
  to: string;
  body: string;
  mediaUrls: string[];
}

/**
 * Stores an inbound message once by its MessageSid: a retried webhook finds the row and
 * reports `duplicate`, so nothing downstream happens twice.
 */
export async function storeInbound(db: Database, sms: InboundSms): Promise<{ id: number; duplicate: boolean }> {
  const inserted = await db
    .insertInto("messages")
    .values({
      direction: "in",
      kind: "inbound",
      body: sms.body,
      media_urls: JSON.stringify(sms.mediaUrls),
      from_phone: sms.from,
      to_phone: sms.to,
      twilio_sid: sms.sid,
      status: "received",
    })
    .onConflict((oc) => oc.column("twilio_sid").doNothing())
    .returning("id")
    .executeTakeFirst();
  if (inserted) return { id: inserted.id, duplicate: false };
  const existing = await db.selectFrom("messages").select("id").where("twilio_sid", "=", sms.sid).executeTakeFirstOrThrow();
  return { id: existing.id, duplicate: true };
}
