/**
 * Script templates: text with merge fields in braces, `{first_name}` or `{first_name|friend}`.
 * `{{` and `}}` stand for literal braces. Field names normalize like CSV headers, so
 * `{First Name}`, `{firstName}` and `{first_name}` are one field.
 */
import { BUILTIN_MERGE_FIELDS, normalizeFieldName } from "../fields.ts";

export type TemplatePart =
  | { readonly kind: "text"; readonly text: string }
  | {
      readonly kind: "field";
      /** Normalized name, the key into the values given to renderTemplate. */
      readonly name: string;
      /** As the organizer typed it, for messages. */
      readonly raw: string;
      /** Undefined when there is no `|`; `{x|}` is an explicit empty fallback. */
      readonly fallback?: string;
    };

export interface ParsedTemplate {
  readonly parts: readonly TemplatePart[];
}

export type ParseResult = { ok: true; template: ParsedTemplate; fields: string[] } | { ok: false; error: string };

/** Positions in errors are 1-based characters, as an organizer would count them. */
export function parseTemplate(text: string): ParseResult {
  const parts: TemplatePart[] = [];
  let literal = "";
  let i = 0;
  while (i < text.length) {
    const char = text[i];
    const next = text[i + 1];
    if (char === "{" && next === "{") {
      literal += "{";
      i += 2;
    } else if (char === "}" && next === "}") {
      literal += "}";
      i += 2;
    } else if (char === "}") {
      return { ok: false, error: `Stray "}" at character ${i + 1}; write "}}" for a literal brace` };
    } else if (char === "{") {
      const field = readField(text, i);
      if (!field.ok) return field;
      if (literal) parts.push({ kind: "text", text: literal });
      literal = "";
      parts.push(field.part);
      i = field.end;
    } else {
      literal += char;
      i += 1;
    }
  }
  if (literal) parts.push({ kind: "text", text: literal });
  const template: ParsedTemplate = { parts };
  return { ok: true, template, fields: uniqueFields(template, () => true) };
}

/** Reads the field opening at `start`; `end` is the index just after its closing brace. */
function readField(
  text: string,
  start: number,
): { ok: true; part: TemplatePart; end: number } | { ok: false; error: string } {
  for (let j = start + 1; j < text.length; j += 1) {
    const char = text[j];
    if (char === "{") {
      return { ok: false, error: `Nested "{" at character ${j + 1} inside the field opened at character ${start + 1}` };
    }
    // A field never spans lines; a line break here almost always means a forgotten "}".
    if (char === "\n" || char === "\r") break;
    if (char !== "}") continue;

    const raw = text.slice(start + 1, j);
    const bar = raw.indexOf("|");
    const rawName = (bar === -1 ? raw : raw.slice(0, bar)).trim();
    const name = normalizeFieldName(rawName);
    if (!name) {
      return { ok: false, error: `Empty field name "{${raw}}" at character ${start + 1}` };
    }
    const part: TemplatePart =
      bar === -1
        ? { kind: "field", name, raw: rawName }
        : { kind: "field", name, raw: rawName, fallback: raw.slice(bar + 1).trim() };
    return { ok: true, part, end: j + 1 };
  }
  return { ok: false, error: `Unclosed "{" at character ${start + 1}` };
}

function uniqueFields(
  template: ParsedTemplate,
  include: (part: TemplatePart & { kind: "field" }) => boolean,
): string[] {
  const seen = new Set<string>();
  for (const part of template.parts) {
    if (part.kind === "field" && include(part)) seen.add(part.name);
  }
  return [...seen];
}

/**
 * Normalized fields used at least once without a fallback, in order: the caller counts the
 * contacts lacking them. `{x|}` counts as having a fallback (the organizer chose empty).
 */
export function fieldsWithoutFallback(template: ParsedTemplate): string[] {
  return uniqueFields(template, (part) => part.fallback === undefined);
}

/** Fields that neither an uploaded column nor a builtin provides, in the order given. */
export function unknownFields(fields: string[], available: string[]): string[] {
  const known = new Set([...BUILTIN_MERGE_FIELDS, ...available.map(normalizeFieldName)]);
  const unknown = new Set<string>();
  for (const field of fields) {
    if (!known.has(normalizeFieldName(field))) unknown.add(field);
  }
  return [...unknown];
}

const HORIZONTAL_SPACE_AT_END = /[ \t]+$/;
const HORIZONTAL_SPACE_AT_START = /^[ \t]+/;
/** Punctuation that hugs the previous word, so a space before it is the empty value's doing. */
const CLOSING_PUNCTUATION = /^[,.!?;:]/;

/**
 * Renders with values keyed by normalized field name. A missing or blank value falls back, or
 * renders empty; the spacing around an empty value is tidied ("Hi {first_name}, ..." becomes
 * "Hi, ..."), and text away from empty values is left exactly as written.
 */
export function renderTemplate(template: ParsedTemplate, values: Record<string, string | null | undefined>): string {
  let out = "";
  // True right after a field rendered empty, until real text follows it.
  let afterGap = false;
  for (const part of template.parts) {
    if (part.kind === "field") {
      // Object.hasOwn: a field named {constructor} must not pick up Object.prototype.
      const value = Object.hasOwn(values, part.name) ? (values[part.name] ?? "").trim() : "";
      const rendered = value || (part.fallback ?? "");
      if (rendered) {
        out += rendered;
        afterGap = false;
      } else {
        afterGap = true;
      }
      continue;
    }
    let text = part.text;
    if (afterGap) {
      const atLineStart = out === "" || out.endsWith("\n");
      if (atLineStart || HORIZONTAL_SPACE_AT_END.test(out)) text = text.replace(HORIZONTAL_SPACE_AT_START, "");
      if (text === "") continue; // still inside the gap, e.g. the space between two empty fields
      if (CLOSING_PUNCTUATION.test(text) || text.startsWith("\n") || text.startsWith("\r")) {
        out = out.replace(HORIZONTAL_SPACE_AT_END, "");
      }
      afterGap = false;
    }
    out += text;
  }
  if (afterGap) out = out.replace(HORIZONTAL_SPACE_AT_END, "");
  return out;
}
