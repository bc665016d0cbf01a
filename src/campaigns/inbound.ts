/** An inbound SMS/MMS as Twilio's webhook describes it. */
export interface InboundSms {
  sid: string;
  from: string;
  to: string;
  body: string;
  mediaUrls: string[];
}
