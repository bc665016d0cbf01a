import { normalizeZip as usZip } from "../hours/zips.ts";
import {
  PhoneNumber,
  getCountryCallingCode,
  parsePhoneNumberFromString,
  validatePhoneNumberLength,
  type CountryCode,
} from "libphonenumber-js/core";
import metadata from "libphonenumber-js/metadata.max.json";

/*
 * The core API with the metadata passed explicitly, so one set is used everywhere (the
 * CommonJS build of "libphonenumber-js/max" exports a PhoneNumber without its metadata bound).
 * The "max" metadata checks each number against the numbering plan's real number ranges, not
 * just its length: about 1 in 40 random ten-digit US-looking numbers that pass "min" (unassigned
 * area codes, exchanges) are refused, which is a text that would have failed anyway. Its cost is
 * the same as "min" (both spend their time in parsing, ~65,000 numbers/s), so the NANP fast
 * path below carries the speed for big imports.
 */

export type PhoneResult = { ok: true; e164: string } | { ok: false; reason: string };

const LENGTH_REASONS: Record<string, string> = {
  TOO_SHORT: "too short",
  TOO_LONG: "too long",
  INVALID_LENGTH: "wrong number of digits",
  INVALID_COUNTRY: "unknown country code",
  NOT_A_NUMBER: "not a phone number",
};

/** Excel turns long numbers into "2.02555E+09", losing digits for good. */
const SCIENTIFIC = /^\d(?:\.\d+)?e\+?\d+$/i;
/** A number column exported from a spreadsheet as "2025550123.0". */
const TRAILING_DECIMAL = /^(\+?\d+)\.0+$/;

/**
 * The E.164 form of a phone number typed the way organizers type them, or why it can't be texted.
 * Reasons are short and read after "Row 12: ", e.g. "too short", "not a valid US number".
 */
export function normalizePhone(raw: string, defaultCountry: CountryCode): PhoneResult {
  // An export written before phone numbers were left bare put an apostrophe in front ('+1202…).
  let text = raw.trim().replace(/^'(?=\+?\d)/, "");
  if (!text) return { ok: false, reason: "missing phone" };
  if (SCIENTIFIC.test(text)) {
    return { ok: false, reason: `"${text}" lost its digits in Excel's scientific notation: format the column as text` };
  }
  text = text.replace(TRAILING_DECIMAL, "$1");
  const fast = nanpFastPath(text, defaultCountry);
  if (fast) return { ok: true, e164: fast };

  const parsed = parsePhoneNumberFromString(text, defaultCountry, metadata);
  if (parsed?.isValid()) return { ok: true, e164: parsed.number };
  if (!/\d/.test(text)) return { ok: false, reason: "not a phone number" };
  const lengthProblem = validatePhoneNumberLength(text, defaultCountry, metadata);
  if (lengthProblem) return { ok: false, reason: LENGTH_REASONS[lengthProblem] ?? "not a phone number" };
  // An invalid number has no country of its own: name the one its calling code stands for.
  const callingCode = parsed?.countryCallingCode;
  const region =
    parsed?.country ??
    (!callingCode || callingCode === getCountryCallingCode(defaultCountry, metadata)
      ? defaultCountry
      : (metadata.country_calling_codes[callingCode]?.[0] ?? `+${callingCode}`));
  return { ok: false, reason: `not a valid ${region} number` };
}

const nanpCountries = new Map<CountryCode, boolean>();

/**
 * Most rows of a US list are ten digits with punctuation: "(202) 555-0123", "+1 202-555-0123".
 * Full parsing (text extraction, national prefixes, carrier codes) costs ~15 µs a number; building
 * the PhoneNumber from the digits and asking the same metadata whether it is valid costs ~4 µs.
 * Only a "valid" answer is trusted here: anything else (Canada and the Caribbean share +1 but are
 * not the calling code's main country, extensions, letters) goes through full parsing, which
 * also produces the reason. The test suite checks both paths agree on random numbers.
 */
function nanpFastPath(text: string, defaultCountry: CountryCode): string | undefined {
  let digits = "";
  let plus = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 48 && code <= 57) digits += text[i];
    else if (code === 43 && i === 0) plus = true;
    // space ( ) - . are the only punctuation the fast path accepts
    else if (code !== 32 && code !== 40 && code !== 41 && code !== 45 && code !== 46) return undefined;
  }
  let national: string | undefined;
  if (digits.length === 11 && digits[0] === "1") national = digits.slice(1);
  if (digits.length === 10 && !plus) national = digits;
  if (!national || (!plus && !isNanp(defaultCountry))) return undefined;
  const phone = new PhoneNumber(`+1${national}`, metadata);
  return phone.isValid() ? phone.number : undefined;
}

function isNanp(country: CountryCode): boolean {
  let nanp = nanpCountries.get(country);
  if (nanp === undefined) nanpCountries.set(country, (nanp = getCountryCallingCode(country, metadata) === "1"));
  return nanp;
}

/** Places that use US ZIP codes. */
const US_ZIP_COUNTRIES = new Set<CountryCode>(["US", "PR", "VI", "GU", "AS", "MP"]);
/**
 * The 5-digit ZIP for US lists (ZIP+4 cut, leading zeros Excel dropped put back); other
 * countries' postal codes and anything unrecognized are kept as typed, since the organizer's
 * data is theirs and the time-zone lookup ignores what it can't read.
 */
export function normalizeZip(raw: string, defaultCountry: CountryCode): string | null {
  const text = raw.trim();
  if (!text) return null;
  if (!US_ZIP_COUNTRIES.has(defaultCountry)) return text;
  return usZip(text) ?? text;
}

/** The value as the summary shows it: as typed when it is short of a full number, else masked like any number. */
function shownPhone(text: string): string {
  const digits = text.replace(/\D/g, "");
  if (digits.length >= 10) return `•••${digits.slice(-4)}`;
  const value = text.length > 30 ? `${text.slice(0, 29)}…` : text;
  return /^[+\d ().-]+$/.test(value) ? value : `"${value}"`;
}

/**
 * Why a contact's phone cell can't be texted, naming the value and what to do, for the upload
 * summary: "phone 555-1234 is too short — add the area code". The value is shown as typed while
 * it is short of a full number, and masked to its last four digits (•••0123) once it could be one.
 */
export function invalidPhoneText(raw: string, defaultCountry: CountryCode): string {
  const text = raw.trim().replace(/^'(?=\+?\d)/, "");
  if (!text) return "phone is empty — fill in the number, or delete the row";
  const shown = shownPhone(text);
  if (SCIENTIFIC.test(text)) {
    return (
      `phone ${shown} lost its digits in Excel's scientific notation — ` +
      `format the phone column as text in your spreadsheet and export again`
    );
  }
  const cleaned = text.replace(TRAILING_DECIMAL, "$1");
  if (!/\d/.test(cleaned)) return `phone ${shown} is not a phone number — put only the number in the phone column`;
  const digits = cleaned.replace(/\D/g, "").length;
  const national = !cleaned.startsWith("+") && isNanp(defaultCountry);
  switch (validatePhoneNumberLength(cleaned, defaultCountry, metadata)) {
    case "TOO_SHORT":
      return (
        `phone ${shown} is too short — ` +
        (national && digits === 7
          ? "add the area code"
          : national
            ? `a ${defaultCountry} number has 10 digits, area code first`
            : "check for missing digits")
      );
    case "TOO_LONG":
      return `phone ${shown} is too long (${digits} digits) — keep one number per cell, without an extension`;
    case "INVALID_COUNTRY":
      return cleaned.startsWith("+")
        ? `phone ${shown} starts with a country code that does not exist — check the digits after the +`
        : `phone ${shown} has no country code we know — write it with + and its country code, like +44 20 7946 0958`;
    case "INVALID_LENGTH":
      return `phone ${shown} has the wrong number of digits — check for a missing or extra digit`;
    case "NOT_A_NUMBER":
      return `phone ${shown} is not a phone number — put only the number in the phone column`;
  }
  const result = normalizePhone(raw, defaultCountry);
  const reason = result.ok ? "not a phone number we can text" : result.reason;
  return `phone ${shown} is ${reason} — check it for a typo (its area code may not exist)`;
}
