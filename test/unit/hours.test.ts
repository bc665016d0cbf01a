import { describe, expect, it } from "vitest";
import { ALL_US_ZONES, isValidTimeZone, nanpAreaCode, resolveTimezones } from "../../src/campaigns/hours/timezones.ts";
import { normalizeZip, zipZones } from "../../src/campaigns/hours/zips.ts";
import {
  HOURS_HELP,
  isValidWindow,
  isWithinWindow,
  localHour,
  nextWindowOpening,
  parseHoursArgument,
  windowOpenZones,
  type TextingWindow,
} from "../../src/campaigns/hours/window.ts";

const NINE_TO_EIGHT: TextingWindow = { start: 9, end: 20 };
const utc = (iso: string) => new Date(`${iso}Z`);
const NYC_PHONE = "+12125550100";

describe("isValidTimeZone", () => {
  it.each([
    "America/Phoenix",
    "Pacific/Honolulu",
    "America/Puerto_Rico",
    "America/Indiana/Indianapolis",
    "US/Eastern",
    "america/new_york",
    " America/Chicago ",
  ])("accepts %j", (name) => expect(isValidTimeZone(name)).toBe(true));

  // Bare abbreviations are refused: ICU reads "EST" as Panama (no DST) and "MST" as Phoenix.
  it.each([
    "EST",
    "MST",
    "CST",
    "PST",
    "HST",
    "UTC",
    "EST5EDT",
    "Eastern",
    "Foo/Bar",
    "America/Springfield",
    "",
    "   ",
  ])("refuses %j", (name) => expect(isValidTimeZone(name)).toBe(false));

  it("refuses null and undefined", () => {
    expect(isValidTimeZone(null)).toBe(false);
    expect(isValidTimeZone(undefined)).toBe(false);
  });
});

describe("resolveTimezones: the timezone column", () => {
  it("wins over ZIP and area code", () => {
    expect(resolveTimezones({ timezone: "America/Phoenix", zip: "10001", phone: NYC_PHONE })).toEqual({
      zones: ["America/Phoenix"],
      source: "column",
    });
  });

  it("is spelled one way whatever the case", () => {
    expect(resolveTimezones({ timezone: "america/chicago", phone: NYC_PHONE }).zones).toEqual(["America/Chicago"]);
  });

  it("falls back to the ZIP when the column is not a real zone", () => {
    expect(resolveTimezones({ timezone: "Mars/Olympus_Mons", zip: "85001", phone: NYC_PHONE })).toEqual({
      zones: ["America/Phoenix"],
      source: "zip",
    });
  });

  it("falls back to the ZIP for an abbreviation", () => {
    expect(resolveTimezones({ timezone: "EST", zip: "60601", phone: NYC_PHONE }).source).toBe("zip");
  });

  it("falls back to the area code when column and ZIP are empty", () => {
    expect(resolveTimezones({ timezone: "", zip: "", phone: "+16025550100" })).toEqual({
      zones: ["America/Phoenix"],
      source: "area_code",
    });
  });
});

describe("ZIP → zones", () => {
  it.each([
    ["85001", "America/Phoenix"],
    ["96813", "Pacific/Honolulu"],
    ["00901", "America/Puerto_Rico"],
    ["10001", "America/New_York"],
    ["60601", "America/Chicago"],
    ["99501", "America/Anchorage"],
    ["46204", "America/Indiana/Indianapolis"],
    ["80202", "America/Denver"],
    ["90012", "America/Los_Angeles"],
    ["47708", "America/Chicago"], // Evansville, Indiana keeps Central time
    ["57701", "America/Denver"], // Rapid City, western South Dakota
    ["58501", "America/Chicago"], // Bismarck
    ["83702", "America/Boise"],
    ["00802", "America/St_Thomas"],
    ["96910", "Pacific/Guam"],
  ])("%s → %s", (zip, zone) => {
    expect(resolveTimezones({ zip, phone: "+18005550100" })).toEqual({ zones: [zone], source: "zip" });
  });

  it("gives the Navajo Nation Mountain time with DST, and Arizona's clock too", () => {
    // Window Rock, Chinle, Tuba City (with Hopi Moenkopi), Page (with Navajo LeChee).
    for (const zip of ["86515", "86503", "86045", "86040"]) {
      expect(zipZones(zip)).toEqual(["America/Denver", "America/Phoenix"]);
    }
  });

  it("gives ZIPs near a zone line both clocks", () => {
    expect(zipZones("86442")).toEqual(["America/Los_Angeles", "America/Phoenix"]); // Bullhead City AZ
    expect(zipZones("89029")).toEqual(["America/Los_Angeles", "America/Phoenix"]); // Laughlin NV
    expect(zipZones("37402")).toEqual(["America/Chicago", "America/New_York"]); // Chattanooga
    expect(zipZones("36867")).toEqual(["America/Chicago", "America/New_York"]); // Phenix City AL
  });

  it("gives an unknown ZIP every zone under its three-digit prefix", () => {
    expect(zipZones("32400")).toEqual(["America/Chicago", "America/New_York"]); // Florida panhandle
    expect(zipZones("86000")).toEqual(["America/Denver", "America/Phoenix"]);
  });

  it("reads ZIP+4 and restores leading zeros spreadsheets drop", () => {
    expect(normalizeZip("85001-1234")).toBe("85001");
    expect(normalizeZip("850011234")).toBe("85001");
    expect(normalizeZip(" 2108 ")).toBe("02108");
    expect(normalizeZip("901")).toBe("00901");
    expect(zipZones("901")).toEqual(["America/Puerto_Rico"]);
    expect(normalizeZip("12345-abcd")).toBe("12345");
    expect(normalizeZip("85001 - n/a")).toBe("85001");
    expect(zipZones("85001-????")).toEqual(["America/Phoenix"]);
    expect(normalizeZip("8500A")).toBeNull();
    expect(normalizeZip("12")).toBeNull();
    expect(normalizeZip(null)).toBeNull();
  });

  it("falls back to the area code when the ZIP says nothing", () => {
    for (const zip of ["ABCDE", "00000", "12", null]) {
      expect(resolveTimezones({ zip, phone: "+18085550100" })).toEqual({
        zones: ["Pacific/Honolulu"],
        source: "area_code",
      });
    }
  });

  it("every ZIP's zones are real zones, sorted, and lookups are fast", () => {
    // CPU time rather than time on the clock, which grows with whatever else the machine runs.
    const cpuMs = (since: NodeJS.CpuUsage) => {
      const used = process.cpuUsage(since);
      return (used.user + used.system) / 1000;
    };
    const started = process.cpuUsage();
    let found = 0;
    for (let n = 0; n < 100_000; n++) {
      const zones = zipZones(String(n).padStart(5, "0"));
      if (!zones) continue;
      found++;
      expect([...zones].sort()).toEqual(zones);
      for (const zone of zones) expect(isValidTimeZone(zone), zone).toBe(true);
    }
    expect(found).toBeGreaterThan(40_000);
    expect(cpuMs(started)).toBeLessThan(20_000);
    const timed = process.cpuUsage();
    for (let i = 0; i < 200_000; i++) resolveTimezones({ zip: String(10_000 + (i % 89_999)), phone: NYC_PHONE });
    expect(cpuMs(timed)).toBeLessThan(2_000);
  });
});

describe("area code → zones", () => {
  it.each([
    ["+16025550100", ["America/Phoenix"]],
    ["+14805550100", ["America/Phoenix"]],
    ["+18085550100", ["Pacific/Honolulu"]],
    ["+17875550100", ["America/Puerto_Rico"]],
    ["+19395550100", ["America/Puerto_Rico"]],
    ["+12125550100", ["America/New_York"]],
    ["+13125550100", ["America/Chicago"]],
    ["+19155550100", ["America/Denver"]], // El Paso
    ["+18505550100", ["America/Chicago", "America/New_York"]], // Florida panhandle
    ["+14485550100", ["America/Chicago", "America/New_York"]], // its overlay
    ["+12705550100", ["America/Chicago", "America/New_York"]],
    ["+14235550100", ["America/Chicago", "America/New_York"]],
    ["+18125550100", ["America/Chicago", "America/New_York"]],
    ["+19285550100", ["America/Denver", "America/Phoenix"]], // northern Arizona, Navajo Nation
    ["+15415550100", ["America/Denver", "America/Los_Angeles"]],
    ["+14585550100", ["America/Denver", "America/Los_Angeles"]],
    ["+13345550100", ["America/Chicago", "America/New_York"]],
    ["+14165550100", ["America/Toronto"]],
    ["+13065550100", ["America/Regina"]],
  ])("%s → %j", (phone, zones) => {
    expect(resolveTimezones({ phone })).toEqual({ zones, source: "area_code" });
  });

  it("lists every zone of a code that spans several", () => {
    expect(resolveTimezones({ phone: "+12085550100" }).zones).toEqual([
      "America/Boise",
      "America/Denver",
      "America/Los_Angeles",
    ]);
    expect(resolveTimezones({ phone: "+16055550100" }).zones).toEqual(
      expect.arrayContaining(["America/Chicago", "America/Denver"]),
    );
  });

  it("every listed zone is real and the lists are sorted", () => {
    let found = 0;
    for (let code = 200; code <= 999; code++) {
      const { zones, source } = resolveTimezones({ phone: `+1${code}5550100` });
      if (source !== "area_code") continue;
      found++;
      expect([...zones].sort()).toEqual(zones);
      for (const zone of zones) expect(isValidTimeZone(zone), `${code}: ${zone}`).toBe(true);
    }
    expect(found).toBeGreaterThan(400);
  });

  it("reads only NANP numbers in E.164", () => {
    expect(nanpAreaCode("+16025550100")).toBe("602");
    expect(nanpAreaCode("16025550100")).toBeNull();
    expect(nanpAreaCode("+1602555010")).toBeNull();
    expect(nanpAreaCode("+11025550100")).toBeNull(); // area codes never start with 0 or 1
    expect(nanpAreaCode("+16021550100")).toBeNull(); // nor exchanges
    expect(nanpAreaCode("+442071234567")).toBeNull();
  });
});

describe("unknown contacts", () => {
  it.each(["+18005550100", "+18885550100", "+442071234567", "not a phone"])("%s → every US zone", (phone) => {
    expect(resolveTimezones({ phone })).toEqual({ zones: [...ALL_US_ZONES], source: "unknown" });
  });

  it("every US zone covers the states and Puerto Rico", () => {
    expect(ALL_US_ZONES).toEqual(
      expect.arrayContaining([
        "America/New_York",
        "America/Chicago",
        "America/Denver",
        "America/Phoenix",
        "America/Los_Angeles",
        "America/Anchorage",
        "Pacific/Honolulu",
        "America/Puerto_Rico",
      ]),
    );
  });
});

describe("localHour", () => {
  it("uses each zone's own DST", () => {
    const julyMorning = utc("2026-07-15T15:30:00");
    expect(localHour("America/Phoenix", julyMorning)).toEqual({ hour: 8, minute: 30 });
    expect(localHour("America/Denver", julyMorning)).toEqual({ hour: 9, minute: 30 });
    const januaryMorning = utc("2026-01-15T16:30:00");
    expect(localHour("America/Phoenix", januaryMorning)).toEqual({ hour: 9, minute: 30 });
    expect(localHour("America/Denver", januaryMorning)).toEqual({ hour: 9, minute: 30 });
  });

  it("reads midnight as 0", () => {
    expect(localHour("America/New_York", utc("2026-07-15T04:00:00"))).toEqual({ hour: 0, minute: 0 });
  });

  it("follows the 2026 US transitions", () => {
    expect(localHour("America/New_York", utc("2026-03-08T06:59:00"))).toEqual({ hour: 1, minute: 59 });
    expect(localHour("America/New_York", utc("2026-03-08T07:00:00"))).toEqual({ hour: 3, minute: 0 });
    expect(localHour("America/New_York", utc("2026-11-01T05:30:00"))).toEqual({ hour: 1, minute: 30 });
    expect(localHour("America/New_York", utc("2026-11-01T06:30:00"))).toEqual({ hour: 1, minute: 30 });
  });

  it("reads each instant afresh across a minute edge, asked back to back (the window stays half-open)", () => {
    expect(isWithinWindow(["America/Chicago"], NINE_TO_EIGHT, utc("2026-07-15T00:59:59.999"))).toBe(true);
    expect(isWithinWindow(["America/Chicago"], NINE_TO_EIGHT, utc("2026-07-15T01:00:00.000"))).toBe(false);
    expect(localHour("Asia/Kathmandu", utc("2026-07-15T03:14:59.999"))).toEqual({ hour: 8, minute: 59 });
    expect(localHour("Asia/Kathmandu", utc("2026-07-15T03:15:00.000"))).toEqual({ hour: 9, minute: 0 });
    expect(localHour("Asia/Kathmandu", utc("2026-07-15T03:15:59.000"))).toEqual({ hour: 9, minute: 0 });
  });
});

describe("isWithinWindow", () => {
  it("Phoenix keeps no DST: 08:30 there in July is closed while Denver (09:30) is open", () => {
    const at = utc("2026-07-15T15:30:00");
    expect(isWithinWindow(["America/Phoenix"], NINE_TO_EIGHT, at)).toBe(false);
    expect(isWithinWindow(["America/Denver"], NINE_TO_EIGHT, at)).toBe(true);
    expect(isWithinWindow(["America/Denver", "America/Phoenix"], NINE_TO_EIGHT, at)).toBe(false);
  });

  it("Honolulu (UTC−10 all year)", () => {
    expect(isWithinWindow(["Pacific/Honolulu"], NINE_TO_EIGHT, utc("2026-07-15T18:59:00"))).toBe(false);
    expect(isWithinWindow(["Pacific/Honolulu"], NINE_TO_EIGHT, utc("2026-07-15T19:00:00"))).toBe(true);
    expect(isWithinWindow(["Pacific/Honolulu"], NINE_TO_EIGHT, utc("2026-01-15T19:00:00"))).toBe(true);
  });

  it("Puerto Rico keeps no DST: an hour ahead of New York in winter, level in summer", () => {
    const winter = utc("2026-01-15T13:00:00"); // PR 09:00, NY 08:00
    expect(isWithinWindow(["America/Puerto_Rico"], NINE_TO_EIGHT, winter)).toBe(true);
    expect(isWithinWindow(["America/New_York"], NINE_TO_EIGHT, winter)).toBe(false);
    const summerEvening = utc("2026-07-15T23:59:00"); // both 19:59
    expect(isWithinWindow(["America/Puerto_Rico", "America/New_York"], NINE_TO_EIGHT, summerEvening)).toBe(true);
    expect(isWithinWindow(["America/Puerto_Rico"], NINE_TO_EIGHT, utc("2026-01-16T00:00:00"))).toBe(false);
  });

  it("Indianapolis observes DST", () => {
    expect(isWithinWindow(["America/Indiana/Indianapolis"], NINE_TO_EIGHT, utc("2026-07-15T13:00:00"))).toBe(true);
    expect(isWithinWindow(["America/Indiana/Indianapolis"], NINE_TO_EIGHT, utc("2026-01-15T13:00:00"))).toBe(false);
  });

  it("is half-open: 08:59 closed, 09:00 open, 19:59 open, 20:00 closed", () => {
    const ny = ["America/New_York"];
    expect(isWithinWindow(ny, NINE_TO_EIGHT, utc("2026-07-15T12:59:59"))).toBe(false);
    expect(isWithinWindow(ny, NINE_TO_EIGHT, utc("2026-07-15T13:00:00"))).toBe(true);
    expect(isWithinWindow(ny, NINE_TO_EIGHT, utc("2026-07-15T23:59:59"))).toBe(true);
    expect(isWithinWindow(ny, NINE_TO_EIGHT, utc("2026-07-16T00:00:00"))).toBe(false);
  });

  it("on DST transition days", () => {
    const ny = ["America/New_York"];
    // 2026-03-08: 09:00 EDT is 13:00Z; the day before, 09:00 EST was 14:00Z.
    expect(isWithinWindow(ny, NINE_TO_EIGHT, utc("2026-03-08T12:59:00"))).toBe(false);
    expect(isWithinWindow(ny, NINE_TO_EIGHT, utc("2026-03-08T13:00:00"))).toBe(true);
    expect(isWithinWindow(ny, NINE_TO_EIGHT, utc("2026-03-07T13:30:00"))).toBe(false);
    // 2026-11-01: 09:00 EST is 14:00Z; 20:00 EST is 01:00Z next day.
    expect(isWithinWindow(ny, NINE_TO_EIGHT, utc("2026-11-01T13:30:00"))).toBe(false);
    expect(isWithinWindow(ny, NINE_TO_EIGHT, utc("2026-11-02T00:30:00"))).toBe(true);
    // 01:00–02:00 happens twice that night, and is open both times.
    expect(isWithinWindow(ny, { start: 1, end: 2 }, utc("2026-11-01T05:30:00"))).toBe(true);
    expect(isWithinWindow(ny, { start: 1, end: 2 }, utc("2026-11-01T06:30:00"))).toBe(true);
  });

  it("a multi-zone area code needs both zones open", () => {
    const panhandle = resolveTimezones({ phone: "+18505550100" }).zones;
    expect(isWithinWindow(panhandle, NINE_TO_EIGHT, utc("2026-07-15T13:30:00"))).toBe(false); // Central 08:30
    expect(isWithinWindow(panhandle, NINE_TO_EIGHT, utc("2026-07-15T14:00:00"))).toBe(true);
    expect(isWithinWindow(panhandle, NINE_TO_EIGHT, utc("2026-07-15T23:59:00"))).toBe(true);
    expect(isWithinWindow(panhandle, NINE_TO_EIGHT, utc("2026-07-16T00:00:00"))).toBe(false); // Eastern 20:00
  });

  it("an unknown contact needs every US zone open", () => {
    const unknown = resolveTimezones({ phone: "+18005550100" }).zones;
    // Summer: Honolulu opens at 19:00Z (NY 15:00); NY and Puerto Rico close at 00:00Z.
    expect(isWithinWindow(unknown, NINE_TO_EIGHT, utc("2026-07-15T18:59:00"))).toBe(false);
    expect(isWithinWindow(unknown, NINE_TO_EIGHT, utc("2026-07-15T19:00:00"))).toBe(true);
    expect(isWithinWindow(unknown, NINE_TO_EIGHT, utc("2026-07-15T23:59:00"))).toBe(true);
    expect(isWithinWindow(unknown, NINE_TO_EIGHT, utc("2026-07-16T00:00:00"))).toBe(false);
    // Winter: Puerto Rico (NY + 1) closes at 00:00Z, when New York is only at 19:00.
    expect(isWithinWindow(unknown, NINE_TO_EIGHT, utc("2026-01-15T19:00:00"))).toBe(true);
    expect(isWithinWindow(unknown, NINE_TO_EIGHT, utc("2026-01-15T23:59:00"))).toBe(true);
    expect(isWithinWindow(unknown, NINE_TO_EIGHT, utc("2026-01-16T00:00:00"))).toBe(false);
  });

  it("treats an empty zone list (never placed) as every US zone", () => {
    expect(isWithinWindow([], NINE_TO_EIGHT, utc("2026-07-15T18:00:00"))).toBe(false); // NY 14:00, Honolulu 08:00
    expect(isWithinWindow([], NINE_TO_EIGHT, utc("2026-07-15T20:00:00"))).toBe(true);
  });

  it("0–24 is always open", () => {
    for (const iso of ["2026-07-15T04:00:00", "2026-03-08T07:00:00", "2026-11-01T06:30:00"]) {
      expect(isWithinWindow(["Pacific/Honolulu", "America/New_York"], { start: 0, end: 24 }, utc(iso))).toBe(true);
    }
  });

  it.each([
    { start: 9, end: 9 },
    { start: 20, end: 9 },
    { start: -1, end: 5 },
    { start: 0, end: 25 },
    { start: 8.5, end: 20 },
    { start: Number.NaN, end: 20 },
  ])("throws for the invalid window %j", (window) => {
    expect(isValidWindow(window)).toBe(false);
    expect(() => isWithinWindow(["America/New_York"], window, new Date())).toThrow(RangeError);
    expect(() => nextWindowOpening(["America/New_York"], window, new Date())).toThrow(RangeError);
  });
});

describe("windowOpenZones", () => {
  it("returns the zones open now, in the order given", () => {
    const zones = ["America/Phoenix", "America/Denver", "America/New_York", "Pacific/Honolulu"];
    expect(windowOpenZones(NINE_TO_EIGHT, utc("2026-07-15T15:30:00"), zones)).toEqual([
      "America/Denver",
      "America/New_York",
    ]);
    expect(windowOpenZones(NINE_TO_EIGHT, utc("2026-07-15T08:00:00"), zones)).toEqual([]);
  });
});

describe("nextWindowOpening", () => {
  it("returns `from` itself when already open", () => {
    const from = utc("2026-07-15T17:12:34.567");
    expect(nextWindowOpening(["America/New_York"], NINE_TO_EIGHT, from)).toEqual(from);
  });

  it("finds Phoenix's 09:00 in July, an hour after Denver's", () => {
    const from = utc("2026-07-15T14:00:00");
    expect(nextWindowOpening(["America/Denver"], NINE_TO_EIGHT, from)).toEqual(utc("2026-07-15T15:00:00"));
    expect(nextWindowOpening(["America/Phoenix"], NINE_TO_EIGHT, from)).toEqual(utc("2026-07-15T16:00:00"));
    expect(nextWindowOpening(["America/Denver", "America/Phoenix"], NINE_TO_EIGHT, from)).toEqual(
      utc("2026-07-15T16:00:00"),
    );
  });

  it("lands exactly on the hour from mid-minute", () => {
    expect(nextWindowOpening(["America/Phoenix"], NINE_TO_EIGHT, utc("2026-07-15T15:59:30.500"))).toEqual(
      utc("2026-07-15T16:00:00"),
    );
  });

  it("after closing, waits for the next morning", () => {
    expect(nextWindowOpening(["America/New_York"], NINE_TO_EIGHT, utc("2026-07-16T00:00:00"))).toEqual(
      utc("2026-07-16T13:00:00"),
    );
  });

  it("handles the spring-forward day", () => {
    const ny = ["America/New_York"];
    expect(nextWindowOpening(ny, NINE_TO_EIGHT, utc("2026-03-08T01:00:00"))).toEqual(utc("2026-03-08T13:00:00"));
    // 02:00–03:00 does not exist on 2026-03-08 in New York: the next one is on the 9th.
    expect(nextWindowOpening(ny, { start: 2, end: 3 }, utc("2026-03-08T05:00:00"))).toEqual(utc("2026-03-09T06:00:00"));
  });

  it("handles the fall-back day", () => {
    const ny = ["America/New_York"];
    expect(nextWindowOpening(ny, NINE_TO_EIGHT, utc("2026-11-01T01:00:00"))).toEqual(utc("2026-11-01T14:00:00"));
    expect(
      nextWindowOpening(["America/Chicago", "America/New_York"], NINE_TO_EIGHT, utc("2026-11-01T06:00:00")),
    ).toEqual(utc("2026-11-01T15:00:00"));
  });

  it("finds the shared window of an unknown contact", () => {
    expect(nextWindowOpening([...ALL_US_ZONES], NINE_TO_EIGHT, utc("2026-01-15T00:00:00"))).toEqual(
      utc("2026-01-15T19:00:00"),
    );
    expect(nextWindowOpening([], NINE_TO_EIGHT, utc("2026-07-16T00:00:00"))).toEqual(utc("2026-07-16T19:00:00"));
  });

  it("handles half-hour offsets", () => {
    // St John's, Newfoundland: UTC−2:30 in summer.
    expect(nextWindowOpening(["America/St_Johns"], NINE_TO_EIGHT, utc("2026-07-15T00:00:00"))).toEqual(
      utc("2026-07-15T11:30:00"),
    );
  });

  it("returns null when the zones never share an open hour", () => {
    expect(
      nextWindowOpening(["Pacific/Honolulu", "America/New_York"], { start: 9, end: 10 }, utc("2026-07-15T00:00:00")),
    ).toBeNull();
    // New York and Shanghai are 12–13 hours apart: an 11-hour window never overlaps.
    expect(
      nextWindowOpening(["America/New_York", "Asia/Shanghai"], NINE_TO_EIGHT, utc("2026-01-15T00:00:00")),
    ).toBeNull();
    expect(
      nextWindowOpening(["America/New_York", "Asia/Shanghai"], NINE_TO_EIGHT, utc("2026-07-15T00:00:00")),
    ).toBeNull();
  });

  it("agrees with a minute-by-minute scan around DST changes", () => {
    const zonePool = [
      "America/New_York",
      "America/Chicago",
      "America/Denver",
      "America/Phoenix",
      "America/Los_Angeles",
      "America/Anchorage",
      "Pacific/Honolulu",
      "America/Puerto_Rico",
      "America/St_Johns",
      "Europe/London",
      "Asia/Kolkata",
      "Asia/Kathmandu",
      "Australia/Lord_Howe",
      "Australia/Adelaide",
    ];
    const days = ["2026-03-07", "2026-03-08", "2026-03-28", "2026-04-04", "2026-10-31", "2026-11-01", "2026-07-15"];
    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    let compared = 0;
    for (let round = 0; round < 60; round++) {
      const zones = [...new Set([zonePool[random(zonePool.length)]!, zonePool[random(zonePool.length)]!])];
      const start = random(23);
      const window = { start, end: start + 1 + random(24 - start) };
      const from = new Date(utc(`${days[random(days.length)]}T00:00:00`).getTime() + random(24 * 60) * 60_000);
      let expected: Date | null = null;
      for (let t = from.getTime(); t <= from.getTime() + 3 * 24 * 3_600_000; t += 60_000) {
        if (isWithinWindow(zones, window, new Date(t))) {
          expected = new Date(t);
          break;
        }
      }
      const found = nextWindowOpening(zones, window, from);
      const label = `${zones.join("+")} ${window.start}-${window.end} from ${from.toISOString()}`;
      if (expected) {
        compared++;
        expect(found, label).toEqual(expected);
      } else {
        expect(found === null || found.getTime() > from.getTime() + 3 * 24 * 3_600_000, label).toBe(true);
      }
    }
    expect(compared).toBeGreaterThan(30);
  });
});

describe("parseHoursArgument", () => {
  it.each([
    ["9-20", { start: 9, end: 20 }],
    [" 9 - 20 ", { start: 9, end: 20 }],
    ["09–20", { start: 9, end: 20 }],
    ["8-21", { start: 8, end: 21 }],
    ["0-24", { start: 0, end: 24 }],
  ])("reads %j", (text, window) => {
    expect(parseHoursArgument(text)).toEqual({ ok: true, window });
  });

  it.each(["20-9", "10-10", "9-25", "25-26", "9", "9am-8pm", "9:30-20", "9.5-20", "", "-1-20", "nine-twenty"])(
    "refuses %j and says what is allowed",
    (text) => {
      const parsed = parseHoursArgument(text);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.error).toContain(HOURS_HELP);
    },
  );

  it("says which end is wrong", () => {
    const backwards = parseHoursArgument("20-9");
    expect(!backwards.ok && backwards.error).toMatch(/start \(20\) must be before the end \(9\)/);
    const tooLate = parseHoursArgument("9-25");
    expect(!tooLate.ok && tooLate.error).toMatch(/0 to 24/);
  });
});
