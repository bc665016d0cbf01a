/**
 * SMS encoding and segment counting (3GPP TS 23.038 / 23.040), as carriers bill it.
 *
 * Written here rather than using Twilio's `sms-segments-calculator`: that package agrees on
 * counts but is CommonJS with a dependency, reports graphemes rather than code units, and has
 * no API for the distinct characters that force UCS-2, which the script modal needs to name.
 */

export type SmsEncoding = "GSM-7" | "UCS-2";

export interface SegmentInfo {
  encoding: SmsEncoding;
  /** 0 for empty text (Twilio would say 1; nothing is sent for an empty text, so we say 0). */
  segments: number;
  /** GSM-7 septets (extension characters count 2) or UCS-2 / UTF-16 code units (emoji count 2). */
  units: number;
  /** Distinct user-visible characters (graphemes) that force UCS-2, in order of appearance. */
  ucs2Chars: string[];
}

/** GSM 03.38 default alphabet, one septet each. */
const GSM_BASIC =
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
  "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

/** Extension table: sent as ESC + char, so two septets that must travel in one segment. */
const GSM_EXTENSION = "\f^{}\\[~]|€";

const basicSet = new Set(GSM_BASIC);
const extensionSet = new Set(GSM_EXTENSION);

const GSM_SINGLE = 160;
const GSM_PART = 153; // 7 septets go to the concatenation header
const UCS2_SINGLE = 70;
const UCS2_PART = 67; // 3 code units go to the concatenation header

/** Septets for one code point in GSM-7, or undefined when it needs UCS-2. */
function gsmSeptets(codePoint: string): 1 | 2 | undefined {
  if (basicSet.has(codePoint)) return 1;
  if (extensionSet.has(codePoint)) return 2;
  return undefined;
}

export function isGsmCharacter(codePoint: string): boolean {
  return gsmSeptets(codePoint) !== undefined;
}

/**
 * Packs indivisible units (an escape pair, a surrogate pair) into segments of `perPart`,
 * moving a unit that would straddle a boundary to the next segment, as carriers do.
 */
function countParts(sizes: number[], total: number, single: number, perPart: number): number {
  if (total === 0) return 0;
  if (total <= single) return 1;
  let parts = 1;
  let used = 0;
  for (const size of sizes) {
    if (used + size > perPart) {
      parts += 1;
      used = 0;
    }
    used += size;
  }
  return parts;
}

const graphemeSegmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** Distinct graphemes containing a non-GSM code point; a grapheme is what the organizer sees. */
function nonGsmGraphemes(text: string): string[] {
  const seen = new Set<string>();
  for (const { segment } of graphemeSegmenter.segment(text)) {
    if ([...segment].some((codePoint) => !isGsmCharacter(codePoint))) seen.add(segment);
  }
  return [...seen];
}

export function segmentInfo(text: string): SegmentInfo {
  const codePoints = [...text];
  const septets = codePoints.map(gsmSeptets);
  if (septets.every((size) => size !== undefined)) {
    const sizes = septets as number[];
    const units = sizes.reduce((sum, size) => sum + size, 0);
    return { encoding: "GSM-7", segments: countParts(sizes, units, GSM_SINGLE, GSM_PART), units, ucs2Chars: [] };
  }
  // In UCS-2 a code point outside the BMP is a surrogate pair: two code units, never split.
  const sizes = codePoints.map((codePoint) => codePoint.length);
  const units = text.length;
  return {
    encoding: "UCS-2",
    segments: countParts(sizes, units, UCS2_SINGLE, UCS2_PART),
    units,
    ucs2Chars: nonGsmGraphemes(text),
  };
}

/**
 * How far a text of two or more segments is over fitting in one segment fewer, when that is at
 * most `within` (20) characters: a cut that small saves a segment on every text. Characters as
 * the encoding counts them (an extension character such as "{" counts two in GSM-7).
 */
export function overSegmentBoundary(
  info: SegmentInfo,
  within = 20,
): { over: number; fewerSegments: number } | undefined {
  if (info.segments < 2) return undefined;
  const fewerSegments = info.segments - 1;
  const [single, perPart] = info.encoding === "GSM-7" ? [GSM_SINGLE, GSM_PART] : [UCS2_SINGLE, UCS2_PART];
  const room = fewerSegments === 1 ? single : fewerSegments * perPart;
  // A pair that may not be split can push a text over with room to spare: it is still 1 over.
  const over = Math.max(1, info.units - room);
  return over <= within ? { over, fewerSegments } : undefined;
}

export interface Ucs2Culprit {
  /** The grapheme as it appears in the text. */
  char: string;
  /** What it is, in words an organizer recognizes. */
  name: string;
  /** A GSM-7 stand-in when there is an obvious one ("" means just delete it). */
  replacement?: string;
  /** Ready for a warning, e.g. `’ (curly apostrophe, use ')`. */
  label: string;
}

/** Look-alikes that usually arrive by pasting from a word processor, with GSM stand-ins. */
const KNOWN_CULPRITS: Record<string, { name: string; replacement?: string }> = {
  "\u2018": { name: "curly quote", replacement: "'" },
  "\u2019": { name: "curly apostrophe", replacement: "'" },
  "\u201A": { name: "low curly quote", replacement: "'" },
  "\u201C": { name: "curly double quote", replacement: '"' },
  "\u201D": { name: "curly double quote", replacement: '"' },
  "\u201E": { name: "low curly double quote", replacement: '"' },
  "\u00AB": { name: "guillemet", replacement: '"' },
  "\u00BB": { name: "guillemet", replacement: '"' },
  "\u2032": { name: "prime", replacement: "'" },
  "\u2033": { name: "double prime", replacement: '"' },
  "`": { name: "backtick", replacement: "'" },
  "\u00B4": { name: "acute accent", replacement: "'" },
  "\u2013": { name: "en dash", replacement: "-" },
  "\u2014": { name: "em dash", replacement: "-" },
  "\u2012": { name: "figure dash", replacement: "-" },
  "\u2010": { name: "hyphen", replacement: "-" },
  "\u2011": { name: "non-breaking hyphen", replacement: "-" },
  "\u2212": { name: "minus sign", replacement: "-" },
  "\u2026": { name: "ellipsis", replacement: "..." },
  "\u2022": { name: "bullet", replacement: "-" },
  "\u00A0": { name: "non-breaking space", replacement: " " },
  "\u2009": { name: "thin space", replacement: " " },
  "\u202F": { name: "narrow non-breaking space", replacement: " " },
  "\t": { name: "tab", replacement: " " },
  "\u200B": { name: "zero-width space", replacement: "" },
  "\u200D": { name: "zero-width joiner", replacement: "" },
  "\uFEFF": { name: "invisible byte-order mark", replacement: "" },
};

function describe(grapheme: string): { name: string; replacement?: string } {
  const known = KNOWN_CULPRITS[grapheme];
  if (known) return known;
  if (/\p{Extended_Pictographic}|\p{Regional_Indicator}/u.test(grapheme)) return { name: "emoji" };
  if (/^\p{L}\p{M}+$/u.test(grapheme)) return { name: "letter with a combining accent" };
  if (/^\p{M}/u.test(grapheme)) return { name: "combining accent" };
  if (/^\p{L}$/u.test(grapheme) && /\p{M}/u.test(grapheme.normalize("NFD"))) return { name: "accented letter" };
  if (/^\p{L}$/u.test(grapheme)) return { name: "non-GSM letter" };
  const codePoint = grapheme.codePointAt(0) ?? 0;
  return { name: `non-GSM character U+${codePoint.toString(16).toUpperCase().padStart(4, "0")}` };
}

/** The characters forcing UCS-2, named, with GSM replacements where one is obvious. */
export function ucs2Culprits(text: string): Ucs2Culprit[] {
  return nonGsmGraphemes(text).map((char) => {
    const { name, replacement } = describe(char);
    let advice = "";
    if (replacement === "") advice = ", delete it";
    else if (replacement !== undefined) advice = `, use ${replacement === " " ? "a plain space" : replacement}`;
    const culprit: Ucs2Culprit = { char, name, label: `${char} (${name}${advice})` };
    if (replacement !== undefined) culprit.replacement = replacement;
    return culprit;
  });
}
