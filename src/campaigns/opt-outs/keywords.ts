/**
 * What an inbound text asks for. Opt-out keywords (SPEC §4) count as the whole message in any
 * case, with whitespace, punctuation or emoji around them; Twilio answers its own keywords
 * (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT) itself. Beyond keywords, FCC 47 CFR
 * 64.1200(a)(10) treats any reasonable way of asking as revocation, so common phrases count —
 * but only at the start or end of a message and in forms that cannot be an ordinary sentence
 * ("stopping by", "we have to stop this bill" must not opt anyone out).
 */
export type InboundIntent =
  | { kind: "opt_out"; keyword: string; twilioConfirms: boolean }
  | { kind: "opt_in"; keyword: string }
  | { kind: "help" }
  | { kind: "message" };

const TWILIO_OPT_OUT = new Set(["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"]);
const OUR_OPT_OUT = new Set(["REVOKE", "OPTOUT", "STOP2QUIT", "STOP2END", "REMOVE", "REMOVEME", "UNSUB"]);
const OPT_IN = new Set(["START", "UNSTOP", "YES"]);
const HELP = new Set(["HELP", "INFO"]);

/** Phrases that ask to stop, anchored at the start or the end of the message. */
const OPT_OUT_PHRASES: RegExp[] = [
  /^(please\s+)?(stop|quit)\s+(texting|messaging|contacting|sending)\b/,
  /\b(stop|quit)\s+(texting|messaging|contacting)\s+me(\s+please)?$/,
  /^(please\s+)?(remove|delete|take)\s+me\b/,
  /\b(remove|delete|take)\s+me\s+(off|from)\s+(your|this|the)\s+(list|lists|texts?)(\s+please)?$/,
  /\bremove\s+me(\s+please)?$/,
  /^(please\s+)?(don'?t|do\s+not|never)\s+(text|contact|message|call)\s+me\b/,
  /\b(don'?t|do\s+not|never)\s+(text|contact|message)\s+me(\s+again)?(\s+please)?$/,
  /\blose\s+my\s+number$/,
  /^lose\s+my\s+number\b/,
  /^i\s+(want\s+to\s+)?opt[\s-]?out\b/,
  /\bopt\s+me\s+out$/,
  /^opt\s+me\s+out\b/,
  /^unsubscribe\s+me\b/,
  /\bunsubscribe\s+me$/,
  /^wrong\s+number[,.!\s]*(stop|remove)/,
];

/** Upper-case letters and digits only: "Stop!!", " stop 🛑", "opt-out" → STOP, STOP, OPTOUT. */
function bareWord(body: string): string {
  return body.normalize("NFKC").toUpperCase().replace(/[^A-Z0-9]/g, "");
}

/** Lower-case words with single spaces, apostrophes kept: for the phrase patterns. */
function words(body: string): string {
  return body
    .normalize("NFKC")
    .toLowerCase()
    .replace(/[’‘]/g, "'")
    .replace(/[^a-z0-9' -]+/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

export function classifyInbound(body: string): InboundIntent {
  const word = bareWord(body);
  // Only a short message can be a keyword; "STOP" buried in a paragraph is handled by phrases.
  if (word.length > 0 && word.length <= 12 && body.trim().split(/\s+/).length <= 3) {
    if (TWILIO_OPT_OUT.has(word)) return { kind: "opt_out", keyword: word, twilioConfirms: true };
    if (OUR_OPT_OUT.has(word)) return { kind: "opt_out", keyword: word, twilioConfirms: false };
    if (OPT_IN.has(word)) return { kind: "opt_in", keyword: word };
    if (HELP.has(word)) return { kind: "help" };
  }
  const text = words(body);
  if (OPT_OUT_PHRASES.some((pattern) => pattern.test(text))) return { kind: "opt_out", keyword: "phrase", twilioConfirms: false };
  return { kind: "message" };
}

export const OPT_OUT_CONFIRMATION = "You're unsubscribed and won't get more texts from us. Reply START to resubscribe.";
