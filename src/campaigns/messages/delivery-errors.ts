/** Provider error codes that mean the number asked us to stop: never retried, recorded as an opt-out. */
export const OPTED_OUT_CODES = new Set([21610]);
/** Provider error codes that mean the number itself is the problem. */
export const BAD_NUMBER_CODES = new Set([21211, 21614, 30005, 30006, 21612, 21408]);

/** Why a text was not delivered, in words an organizer or volunteer can act on. */
export function explainDeliveryError(code: number | null): string {
  if (code === 21610) return "this number has replied STOP to our sender, so it is opted out";
  if (code === 21211) return "not a valid phone number";
  if (code === 21614) return "not a mobile number";
  if (code === 30005) return "unknown or inactive number";
  if (code === 30006) return "landline or unreachable carrier";
  if (code === 30007) return "filtered by the carrier as spam";
  if (code === 30034) return "our sending number is not registered for A2P 10DLC";
  if (code === 429 || code === 20429) return "Twilio is rate limiting us";
  return code ? `Twilio error ${code}` : "no answer from Twilio";
}
