// The fake Twilio as a process of its own, for the soak: its clock says when each create
// request arrived, and on the driver's busy event loop that clock ran seconds late. Injects
// the soak's faults while they are on, and calls back statuses as Twilio does: some before it
// answers the create, the rest a few seconds later. Driven over IPC by twilio-process.ts.
import { FakeTwilio, type TwilioMessageRequest } from "../../test/support/fake-twilio.ts";
import { signedTwilioPost } from "./load.ts";

export type TwilioProcessMessage =
  { type: "faults"; on: boolean } | { type: "report"; from: number } | { type: "stop" };

export interface TwilioReport {
  /** Those created since the `from`-th. */
  messages: Pick<TwilioMessageRequest, "sid" | "to" | "body" | "requestedAt" | "at">[];
  faults: Record<string, number>;
  callbacks: number;
}

const callbackBase = process.env.STATUS_CALLBACK_BASE!; // where the balancer listens
const publicUrl = process.env.PUBLIC_URL!; // what the app signs against
const twilio = await new FakeTwilio().start();
const faults = { twilio500: 0, twilio429: 0, dropped: 0, stalled: 0, timedOut: 0 };
let faulty = false;
twilio.chaos = () => {
  if (!faulty) return undefined;
  const r = Math.random();
  if (r < 0.02) return (faults.twilio500++, { status: 500, code: 20500 });
  if (r < 0.04) return (faults.twilio429++, { status: 429, code: 20429 });
  if (r < 0.05) return (faults.dropped++, { status: 0 }); // created, then the connection drops
  if (r < 0.052) return (faults.stalled++, { status: 201, delayMs: 40_000 }); // created 40 s later
  if (r < 0.055) return (faults.timedOut++, { status: 500, code: 20500, delayMs: 15_000 }); // past the deadline
  return undefined;
};

let callbacks = 0;
async function statusCallback(message: TwilioMessageRequest, status: string): Promise<void> {
  const params = { MessageSid: message.sid, AccountSid: twilio.accountSid, MessageStatus: status, To: message.to };
  await signedTwilioPost(`${callbackBase}/twilio/status`, twilio.authToken, params, publicUrl)
    .then((res) => res.arrayBuffer())
    .then(() => (callbacks += 1))
    .catch(() => undefined);
}
twilio.beforeAnswer = async (message) => {
  if (Math.random() < 0.2) await statusCallback(message, "sent"); // before the create is answered
  setTimeout(() => void statusCallback(message, "delivered"), 500 + Math.random() * 5000).unref();
};

process.on("message", (message: TwilioProcessMessage) => {
  if (message.type === "faults") faulty = message.on;
  else if (message.type === "report") {
    const report: TwilioReport = {
      messages: twilio.messages
        .slice(message.from)
        .map(({ sid, to, body, requestedAt, at }) => ({ sid, to, body, requestedAt, at })),
      faults,
      callbacks,
    };
    process.send!({ type: "report", report });
  } else if (message.type === "stop") void twilio.stop().then(() => process.exit(0));
});
process.send!({
  type: "ready",
  url: twilio.url,
  accountSid: twilio.accountSid,
  authToken: twilio.authToken,
  fromNumber: twilio.fromNumber,
});
