import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { MAIN_ENTRY, MAIN_NODE_FLAGS, ROOT } from "../support/build.ts";

describe("npm start", () => {
  it("builds first and runs exactly what the process tests and benchmarks run", () => {
    const scripts = JSON.parse(readFileSync(`${ROOT}/package.json`, "utf8")).scripts as Record<string, string>;
    expect(scripts.prestart).toBe("npm run build --silent");
    expect(scripts.build).toBe("tsc -p tsconfig.build.json");
    expect(scripts.start).toBe(["node", ...MAIN_NODE_FLAGS, MAIN_ENTRY].join(" "));
  });
});
