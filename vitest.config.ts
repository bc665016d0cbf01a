import { defineConfig } from "vitest/config";

// One database per test file (PGlite in memory, or a fresh PostgreSQL database when
// DATABASE_URL is set); two workers match the two cores CI has.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ["default"],
  },
});
