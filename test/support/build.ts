import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** What `npm start` runs: the compiled entry point (see the "build" script). */
export const MAIN_ENTRY = "dist/src/main.js";

/** Compiles src/ and migrations/ to dist/ exactly as `npm start` does before it runs. */
export function buildApp(): void {
  execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], { cwd: ROOT, stdio: "inherit" });
}
