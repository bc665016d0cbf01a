import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

// The layers of docs/architecture.md, held by reading the source: a request comes in through
// Slack or SMS, the domain (campaigns) decides and writes, and each side effect leaves through
// one door. An import that points the wrong way fails here, naming the file.
const SRC = resolve(import.meta.dirname, "../../src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith(".ts")
        ? [join(dir, entry.name)]
        : [],
  );
}

const files = sourceFiles(SRC).map((path) => ({
  path: relative(SRC, path),
  text: readFileSync(path, "utf8"),
}));

/** Everything a file imports: packages by name, our own modules as src-relative paths. */
function importsOf(file: { path: string; text: string }): string[] {
  const specs = [...file.text.matchAll(/(?:from\s+|import\(\s*)["']([^"']+)["']/g)].map((m) => m[1]!);
  return specs.map((spec) => (spec.startsWith(".") ? relative(SRC, resolve(SRC, dirname(file.path), spec)) : spec));
}

function violations(layer: string, forbidden: RegExp): string[] {
  return files
    .filter((f) => f.path.startsWith(`${layer}/`))
    .flatMap((f) =>
      importsOf(f)
        .filter((spec) => forbidden.test(spec))
        .map((spec) => `${f.path} imports ${spec}`),
    );
}

describe("layers point one way", () => {
  it("the domain (campaigns/) knows nothing of Slack, Twilio, HTTP or the layers above it", () => {
    expect(
      violations(
        "campaigns",
        /^(@slack\/|twilio|undici|node:http|(slack|sms|relay|outbox|http|background|jobs)\/|app\.ts|main\.ts|schedule\.ts|logger\.ts)/,
      ),
    ).toEqual([]);
  });

  it("the SMS layer (sms/) knows nothing of Slack or of the flows that join the two", () => {
    expect(violations("sms", /^(@slack\/web-api|(slack|relay|outbox|jobs)\/|app\.ts|schedule\.ts)/)).toEqual([]);
  });

  it("the Slack layer (slack/) knows nothing of Twilio or the SMS layer, and holds no SQL", () => {
    expect(violations("slack", /^(twilio|(sms|relay|background|jobs)\/|app\.ts|schedule\.ts)/)).toEqual([]);
    const sql = files
      .filter((f) => f.path.startsWith("slack/"))
      .filter((f) => /\b(selectFrom|updateTable|insertInto|deleteFrom)\(|\bsql`/.test(f.text))
      .map((f) => f.path);
    expect(sql).toEqual([]);
  });

  it("the scheduler (jobs/) and the outbox (outbox/) know nothing of Slack listeners, SMS or the flows", () => {
    expect(violations("jobs", /^(@slack\/|twilio|(slack|sms|relay|campaigns)\/)/)).toEqual([]);
    expect(violations("outbox", /^(twilio|(slack|sms|relay|jobs|campaigns)\/)/)).toEqual([]);
  });

  it("one module holds the write that turns a held contact into a sent opening", () => {
    const writers = files.filter((f) => /INSERT INTO messages[\s\S]{0,400}'opening'/.test(f.text)).map((f) => f.path);
    expect(writers).toEqual(["campaigns/sending/send-opening.ts"]);
  });

  it("no line of src/ is over 120 characters", () => {
    const long = files.flatMap((f) =>
      f.text
        .split("\n")
        .map((line, i) => ({ line, at: `${f.path}:${i + 1}` }))
        .filter(({ line }) => line.length > 120)
        .map(({ at, line }) => `${at} (${line.length})`),
    );
    expect(long).toEqual([]);
  });
});
