import { describe, it, expect } from "vitest";
import {
  isGsmCharacter,
  overSegmentBoundary,
  segmentInfo,
  ucs2Culprits,
} from "../../src/campaigns/scripts/segments.ts";

const digits = (n: number) => "1".repeat(n);
const emoji = "😀";

describe("segmentInfo known cases", () => {
  const cases: [label: string, text: string, encoding: "GSM-7" | "UCS-2", segments: number, units: number][] = [
    ["empty text is 0 segments", "", "GSM-7", 0, 0],
    ["plain GSM", "Hi Ana, this is Sam with the campaign.", "GSM-7", 1, 38],
    ["160 GSM digits", digits(160), "GSM-7", 1, 160],
    ["161 GSM digits", digits(161), "GSM-7", 2, 161],
    ["306 GSM digits", digits(306), "GSM-7", 2, 306],
    ["307 GSM digits", digits(307), "GSM-7", 3, 307],
    ["459 GSM digits", digits(459), "GSM-7", 3, 459],
    ["460 GSM digits", digits(460), "GSM-7", 4, 460],
    ["80 € are 160 septets", "€".repeat(80), "GSM-7", 1, 160],
    ["81 € are 162 septets", "€".repeat(81), "GSM-7", 2, 162],
    ["every extension char counts two", "^{}\\[~]|€", "GSM-7", 1, 18],
    ["159 digits + € overflow the single segment", digits(159) + "€", "GSM-7", 2, 161],
    // 152 + 2 + 152 = 306 septets would fit 2 × 153, but the escape pair cannot straddle.
    ["escape pair is not split across segments", digits(152) + "€" + digits(152), "GSM-7", 3, 306],
    ["70 × á", "á".repeat(70), "UCS-2", 1, 70],
    ["71 × á", "á".repeat(71), "UCS-2", 2, 71],
    ["134 × á", "á".repeat(134), "UCS-2", 2, 134],
    ["135 × á", "á".repeat(135), "UCS-2", 3, 135],
    ["emoji + 68 digits", emoji + digits(68), "UCS-2", 1, 70],
    ["emoji + 69 digits", emoji + digits(69), "UCS-2", 2, 71],
    // 66 + 2 + 66 = 134 units would fit 2 × 67, but the surrogate pair cannot straddle.
    ["surrogate pair is not split across segments", digits(66) + emoji + digits(66), "UCS-2", 3, 134],
    ["curly apostrophe forces UCS-2", "Don’t forget", "UCS-2", 1, 12],
    ["curly double quotes force UCS-2", "“vote”", "UCS-2", 1, 6],
    ["é is GSM", "café", "GSM-7", 1, 4],
    ["á is not GSM", "mamá", "UCS-2", 1, 4],
    ["newline, @, £, $ are GSM", "a\n@£$", "GSM-7", 1, 5],
    ["CRLF is two GSM septets", "a\r\nb", "GSM-7", 1, 4],
    ["Greek capitals in GSM", "ΔΦΓΛΩΠΨΣΘΞ", "GSM-7", 1, 10],
    ["ç is not GSM though Ç is", "Ç ç", "UCS-2", 1, 3],
    ["tab is not GSM", "a\tb", "UCS-2", 1, 3],
    ["decomposed é (e + combining accent) is UCS-2", "e\u0301", "UCS-2", 1, 2],
  ];

  it.each(cases)("%s", (_label, text, encoding, segments, units) => {
    const info = segmentInfo(text);
    expect(info.encoding).toBe(encoding);
    expect(info.segments).toBe(segments);
    expect(info.units).toBe(units);
  });
});

describe("segmentInfo ucs2Chars", () => {
  it("is empty for GSM-7", () => {
    expect(segmentInfo("Reply STOP to opt out {ok} €").ucs2Chars).toEqual([]);
  });

  it("lists distinct culprits in order of appearance", () => {
    expect(segmentInfo("It’s “great” – it’s 😀").ucs2Chars).toEqual(["’", "“", "”", "–", "😀"]);
  });

  it("keeps an emoji sequence whole, as the organizer sees it", () => {
    expect(segmentInfo("Hi 👩‍👩‍👧 and 🇺🇸").ucs2Chars).toEqual(["👩‍👩‍👧", "🇺🇸"]);
  });
});

describe("isGsmCharacter", () => {
  it("accepts basic and extension characters, rejects others", () => {
    for (const char of ["A", "z", "0", "@", "£", "$", "¥", "\n", "\r", " ", "ß", "Ñ", "€", "^", "|"]) {
      expect(isGsmCharacter(char), char).toBe(true);
    }
    for (const char of ["á", "ç", "’", "–", "…", "\t", "`", "😀", "\u00a0"]) {
      expect(isGsmCharacter(char), char).toBe(false);
    }
  });
});

describe("ucs2Culprits", () => {
  it("names curly quotes, dashes and ellipsis with GSM replacements", () => {
    const culprits = ucs2Culprits("It’s “on” — see you… ");
    expect(culprits.map((c) => c.label)).toEqual([
      "’ (curly apostrophe, use ')",
      '“ (curly double quote, use ")',
      '” (curly double quote, use ")',
      "— (em dash, use -)",
      "… (ellipsis, use ...)",
    ]);
    expect(culprits.map((c) => c.replacement)).toEqual(["'", '"', '"', "-", "..."]);
  });

  it("names emoji and accented letters without inventing a replacement", () => {
    const culprits = ucs2Culprits("Hola mamá 😀");
    expect(culprits.map((c) => c.label)).toEqual(["á (accented letter)", "😀 (emoji)"]);
    expect(culprits.every((c) => c.replacement === undefined)).toBe(true);
  });

  it("explains invisible characters", () => {
    expect(ucs2Culprits("a\u00a0b\u200b").map((c) => c.name)).toEqual(["non-breaking space", "zero-width space"]);
    expect(ucs2Culprits("\u200b")[0]?.label).toBe("\u200b (zero-width space, delete it)");
    expect(ucs2Culprits("\u00a0")[0]?.label).toBe("\u00a0 (non-breaking space, use a plain space)");
  });

  it("falls back to the code point for anything else", () => {
    expect(ucs2Culprits("→")[0]?.name).toBe("non-GSM character U+2192");
  });

  it("is empty for GSM-7 text", () => {
    expect(ucs2Culprits("Reply STOP to opt out. €5 [ok]")).toEqual([]);
  });
});

describe("overSegmentBoundary", () => {
  it.each([
    ["a".repeat(160), undefined],
    ["a".repeat(161), { over: 1, fewerSegments: 1 }],
    ["a".repeat(180), { over: 20, fewerSegments: 1 }],
    ["a".repeat(181), undefined],
    ["a".repeat(310), { over: 4, fewerSegments: 2 }],
    ["{".repeat(81), { over: 2, fewerSegments: 1 }],
    ["é".repeat(100) + "😀", undefined],
    ["😀".repeat(36), { over: 2, fewerSegments: 1 }],
  ])("%#", (text, expected) => {
    expect(overSegmentBoundary(segmentInfo(text))).toEqual(expected);
  });
});
