import type { IncomingMessage } from "node:http";

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Parses a form or JSON body into plain values; nested JSON strings (blocks, view) are decoded. */
export function parseArgs(body: Buffer, contentType: string | undefined): Record<string, unknown> {
  const text = body.toString("utf8");
  if (!text) return {};
  if (contentType?.includes("application/json")) return JSON.parse(text) as Record<string, unknown>;
  const args: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(text)) {
    args[key] = /^[[{]/.test(value) ? tryJson(value) : value;
  }
  return args;
}

function tryJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/**
 * How long a wait gives a condition by default: far more than it takes on an idle machine, so
 * that a loaded one (CI, two workers, a CPU hog beside them) fails only when the condition is
 * really never met. Well under the 30 s test timeout.
 */
export const WAIT_MS = 20_000;

/** Polls `probe` until it returns something truthy (returned), or throws after `timeoutMs`. */
export async function waitFor<T>(
  probe: () => T | undefined | false | null | Promise<T | undefined | false | null>,
  { timeoutMs = WAIT_MS, intervalMs = 20, what = "condition" } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
