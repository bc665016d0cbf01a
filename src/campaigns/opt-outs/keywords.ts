/**
 * What an inbound text asks for: to opt out, to opt back in, for help, or nothing special.
 * Pure: the caller decides what to do with it (and knows whether the number is opted out).
 *
 * Three tiers, from certain to careful:
 * 1. Keywords as the whole message (docs/user-guide.md, "What counts as an opt-out"): any case, with whitespace,
 *    punctuation or emoji around them, "OPT OUT"/"opt-out" as OPTOUT, and with politeness around an
 *    opt-out keyword ("STOP please", "please stop", "stop stop stop").
 * 2. A keyword or a plain request as a whole clause at the start or the end of a message
 *    ("Who is this? Remove me", "Stop, I already voted", "Wrong number. STOP").
 * 3. Unmistakable requests as the opening or closing words of an unpunctuated message
 *    ("stop texting me I already voted", "I moved please take me off your list").
 * FCC 47 CFR 64.1200(a)(10) counts any reasonable way of asking as revocation, but a false
 * positive silences a supporter for good, so ordinary sentences that merely contain a keyword
 * ("stopping by later", "we have to stop this bill", "END of the day works") stay messages.
 */
export type InboundIntent =
  | { kind: "opt_out"; keyword: string; twilioConfirms: boolean }
  | { kind: "opt_in"; keyword: string }
  | { kind: "help" }
  | { kind: "message" };

/**
 * Twilio's default STOP filtering blocks the number and answers these itself when they are the
 * whole message — REVOKE and OPTOUT too since 14 May 2025 (Twilio's FCC update). Twilio does not
 * match "OPT OUT" with a space, "STOP please" or other wordings: those we confirm ourselves.
 */
const TWILIO_OPT_OUT = new Set(["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"]);
/** Ours to confirm: ARRET is the French STOP that Canadian carriers honour; Twilio's default list lacks it. */
const OTHER_OPT_OUT = new Set([
  "ARRET",
  "STOP2QUIT",
  "STOP2END",
  "REMOVE",
  "REMOVEME",
  "UNSUB",
  "OPTMEOUT",
  "UNSUBSCRIBEME",
]);
/** Only as the whole message: "Yes" means opt back in only to someone who opted out (the caller checks). */
const OPT_IN = new Set(["START", "UNSTOP", "YES"]);
const HELP = new Set(["HELP", "INFO"]);

/** Words that may surround an opt-out keyword without changing what it asks for. */
const POLITENESS = new Set([
  "please",
  "pls",
  "plz",
  "now",
  "thanks",
  "thank",
  "you",
  "thx",
  "ty",
  "asap",
  "already",
  "just",
  "ok",
  "okay",
  "immediately",
]);

/** Keywords that are unambiguous even as one clause of a longer message; END/QUIT/CANCEL are everyday words. */
const CLAUSE_KEYWORD = String.raw`(?:stop|stop all|stopall|unsubscribe|unsub|opt ?out|revoke|stop2quit|stop2end)`;
const BEFORE = String.raw`(?:(?:please|pls|plz|just|ok|okay|so|hey|hi|hello|no|sorry|thanks|thank you) )*`;
const AFTER =
  String.raw`(?: (?:please|pls|plz|now|thanks|thank you|thx|ty|asap|immediately|already|again|anymore|any more|` +
  String.raw`ever again|for good|forever))*`;
const LIST =
  String.raw`(?:list|lists|texts|text list|texting list|contacts|contact list|` +
  String.raw`database|mailing list|messages)`;
const I_WANT = String.raw`i(?:'d like to| would like to| want to| wanna)?`;
const WHOSE = String.raw`(?:your|ur|this|the|that|these|those|all|all your|any|every)`;

/** Unmistakable requests: they may open or close a message that has no punctuation at all. */
const STRONG_REQUESTS = [
  String.raw`(?:stop|quit|cease) (?:texting|txting|messaging|msging|contacting|spamming|bothering|harassing) ` +
    String.raw`(?:me|this number|my number|my phone)`,
  String.raw`(?:stop|quit) sending (?:me )?(?:texts|messages|these texts|these messages|this stuff)`,
  String.raw`(?:remove|delete|take|drop|scratch) (?:me|my number|this number|my name) (?:off|from|out of) ` +
    String.raw`${WHOSE}(?: [a-z']+){0,2} ${LIST}`,
  String.raw`(?:don't|dont|do not|never) (?:text|txt|message|msg|contact) (?:me|this number|my number) ` +
    String.raw`(?:again|anymore|any more|ever again)`,
  String.raw`lose my number`,
  String.raw`opt me out`,
  String.raw`unsubscribe me`,
  String.raw`${I_WANT} (?:opt ?out|unsubscribe) (?:of|from) ${WHOSE}(?: [a-z']+){0,2} ${LIST}`,
];

/** Plain requests that count only when they are a whole clause ("don't text me after 9" is not one). */
const CLAUSE_REQUESTS = [
  ...STRONG_REQUESTS,
  CLAUSE_KEYWORD,
  String.raw`(?:stop|quit) (?:texting|txting|messaging|contacting)`,
  String.raw`(?:remove|delete|take) (?:me|my number|this number) off`,
  String.raw`(?:remove|delete) (?:me|my number|this number|my name)`,
  String.raw`(?:don't|dont|do not|never) (?:text|txt|message|msg|contact|call or text|text or call) ` +
    String.raw`(?:me|this number|my number)`,
  String.raw`${I_WANT} (?:opt ?out|unsubscribe)`,
  String.raw`no more (?:texts|texting|messages)`,
  String.raw`leave me alone`,
];

const WHOLE_CLAUSE = new RegExp(String.raw`^${BEFORE}(${CLAUSE_REQUESTS.join("|")})${AFTER}$`);
const OPENING_WORDS = new RegExp(String.raw`^${BEFORE}(${STRONG_REQUESTS.join("|")})\b`);
/** Closing words, unless negated: "please don't take me off your list" keeps them on it. */
const CLOSING_WORDS = new RegExp(
  String.raw`(?<!\b(?:don't|dont|not|never|won't|wont|didn't|didnt) )\b(${STRONG_REQUESTS.join("|")})${AFTER}$`,
);

export const OPT_OUT_CONFIRMATION = "You're unsubscribed and won't get more texts from us. Reply START to resubscribe.";
export const OPT_IN_CONFIRMATION = "You're resubscribed and may get texts from us again. Reply STOP to unsubscribe.";

export function classifyInbound(body: string): InboundIntent {
  const keyword = wholeMessageKeyword(body);
  if (keyword) return keyword;
  const phrase = optOutPhrase(body);
  if (phrase) return { kind: "opt_out", keyword: phrase, twilioConfirms: false };
  return { kind: "message" };
}

/**
 * A footer echoed back: "stop=quit", "Stop to quit", "Reply STOP to opt out". Whole message only,
 * so "we've got to STOP this bill" stays a message.
 */
const FOOTER_ECHO = /^(?:(?:reply|text|txt|send) )?stop (?:to |2 )?(quit|end|opt out|optout|unsubscribe|cancel)$/;

function wholeMessageKeyword(body: string): InboundIntent | undefined {
  const echo = FOOTER_ECHO.exec(words(body))?.[1];
  if (echo)
    return {
      kind: "opt_out",
      keyword: echo === "quit" || echo === "end" ? `STOP2${echo.toUpperCase()}` : "STOP",
      twilioConfirms: false,
    };
  const tokens = words(body).split(" ").filter(Boolean);
  if (tokens.length === 0 || tokens.length > 6) return undefined;
  const whole = tokens.join("").toUpperCase();
  if (TWILIO_OPT_OUT.has(whole)) return { kind: "opt_out", keyword: whole, twilioConfirms: twilioMatches(body, whole) };
  if (OTHER_OPT_OUT.has(whole)) return { kind: "opt_out", keyword: whole, twilioConfirms: false };
  if (OPT_IN.has(whole)) return { kind: "opt_in", keyword: whole };
  if (HELP.has(whole)) return { kind: "help" };
  // "STOP please", "please stop", "stop stop stop": an opt-out keyword with only politeness around it.
  const core = [...new Set(tokens.filter((token) => !POLITENESS.has(token)).map((token) => token.toUpperCase()))].join(
    "",
  );
  if (core !== whole && (TWILIO_OPT_OUT.has(core) || OTHER_OPT_OUT.has(core)))
    return { kind: "opt_out", keyword: core, twilioConfirms: false };
  return undefined;
}

/**
 * Twilio matches a single word, any case; " Stop. " counts as its STOP here (the end-to-end
 * replies test relies on it). An emoji, a second word or "OPT OUT" with a space is not Twilio's.
 */
function twilioMatches(body: string, keyword: string): boolean {
  return (
    body
      .normalize("NFKC")
      .replace(/^[\s\p{P}]+|[\s\p{P}]+$/gu, "")
      .toUpperCase() === keyword
  );
}

/** The first and the last clause as whole requests, then the opening and closing words. */
function optOutPhrase(body: string): string | undefined {
  const clauses = body
    .split(/[.!?;,:\n\r()]+|\s[-–—]+\s/u)
    .map(words)
    .filter(Boolean);
  const edges = clauses.length > 1 ? [clauses[0]!, clauses.at(-1)!] : clauses;
  for (const clause of edges) {
    const match = WHOLE_CLAUSE.exec(clause);
    if (match) return match[1];
  }
  const text = words(body);
  return OPENING_WORDS.exec(text)?.[1] ?? CLOSING_WORDS.exec(text)?.[1];
}

/** Lower-case words separated by single spaces; apostrophes kept, hyphens split, emoji and punctuation gone. */
function words(text: string): string {
  return (
    text
      .normalize("NFKD")
      // Accents go, not the letters: "Arrêt" is "arret", not "arr t".
      .replace(/\p{M}+/gu, "")
      .toLowerCase()
      .replace(/[’‘`]/g, "'")
      .replace(/[^a-z0-9' ]+/g, " ")
      .replace(/(^|\s)'+|'+(?=\s|$)/g, " ")
      .replace(/\s+/g, " ")
      .trim()
  );
}
