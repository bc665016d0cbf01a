import { describe, expect, it } from "vitest";
import { PhoneSet } from "../../src/campaigns/contacts/phone-set.ts";

describe("PhoneSet (an upload's de-duplication)", () => {
  it("says whether a number was new, across growth well past its first capacity", () => {
    const set = new PhoneSet(4);
    const numbers = Array.from({ length: 50_000 }, (_, i) => `+1202${String(2_000_000 + i * 7).padStart(7, "0")}`);
    for (const n of numbers) expect(set.add(n)).toBe(true);
    for (const n of numbers) expect(set.add(n)).toBe(false);
    expect(set.size).toBe(numbers.length);
    expect(set.has("+12021999999")).toBe(false);
    expect(set.has(numbers[12_345]!)).toBe(true);
  });

  it("keeps numbers of every length E.164 allows apart, including 15 digits", () => {
    const set = new PhoneSet();
    for (const n of ["+1", "+12", "+441234567890", "+999999999999999", "+999999999999998", "+12025550123"])
      expect(set.add(n)).toBe(true);
    expect(set.has("+999999999999999")).toBe(true);
    expect(set.has("+99999999999999")).toBe(false);
    expect(set.has("+120255501230")).toBe(false);
  });

  it("refuses what is not E.164 rather than guessing", () => {
    const set = new PhoneSet();
    expect(() => set.add("2025550123")).toThrow(/not an E.164 number/);
    expect(() => set.add("+0123")).toThrow(/not an E.164 number/);
    expect(() => set.add("+1234567890123456")).toThrow(/not an E.164 number/);
  });
});
