/**
 * A set of E.164 numbers in flat memory, for de-duplicating an upload of millions of rows.
 * An E.164 number is at most 15 digits, so its digits are an exact integer in a double
 * (< 2^53): the set is an open-addressing hash table over a Float64Array, 8 bytes a slot at
 * most half full — about 16 MB for a million numbers, where a Set of strings costs ~80 MB and
 * keeps the garbage collector busy. 0 marks an empty slot (no E.164 number is 0).
 */
export class PhoneSet {
  private slots: Float64Array;
  private mask: number;
  size = 0;

  constructor(expected = 1024) {
    let capacity = 1024;
    while (capacity < expected * 2) capacity *= 2;
    this.slots = new Float64Array(capacity);
    this.mask = capacity - 1;
  }

  /** Adds the number; false when it was there already. */
  add(e164: string): boolean {
    return this.insert(PhoneSet.key(e164));
  }

  has(e164: string): boolean {
    const key = PhoneSet.key(e164);
    for (let i = PhoneSet.hash(key) & this.mask; ; i = (i + 1) & this.mask) {
      const slot = this.slots[i]!;
      if (slot === key) return true;
      if (slot === 0) return false;
    }
  }

  /** "+12025550123" → 12025550123. Anything that is not "+" and 1–15 digits is a caller's bug. */
  static key(e164: string): number {
    if (!/^\+[1-9]\d{0,14}$/.test(e164)) throw new Error(`not an E.164 number: ${e164.length} characters`);
    return Number(e164.slice(1));
  }

  private insert(key: number): boolean {
    for (let i = PhoneSet.hash(key) & this.mask; ; i = (i + 1) & this.mask) {
      const slot = this.slots[i]!;
      if (slot === key) return false;
      if (slot === 0) {
        this.slots[i] = key;
        if (++this.size * 2 > this.slots.length) this.grow();
        return true;
      }
    }
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Float64Array(old.length * 2);
    this.mask = this.slots.length - 1;
    this.size = 0;
    for (const key of old) if (key !== 0) this.insert(key);
  }

  /** Mixes the high and low halves of the number (neighbouring numbers land far apart). */
  private static hash(key: number): number {
    const low = key % 0x100000000;
    const high = Math.floor(key / 0x100000000);
    let h = low ^ Math.imul(high, 0x9e3779b1);
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return h ^ (h >>> 16);
  }
}
