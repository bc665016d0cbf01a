/**
 * Field names match the way organizers type them: case, spaces, `_` and `-` do not matter,
 * so the CSV header "First Name", the merge field {firstName} and {first_name} are one field.
 */
export function normalizeFieldName(name: string): string {
  return name
    .normalize("NFKC")
    .toLowerCase()
    .replace(/[\s_-]+/g, "");
}

/** Column aliases (docs/user-guide.md, "Columns"), keyed by the normalized header. */
export const KNOWN_COLUMNS = {
  phone: ["phone", "cell", "cellphone", "mobile", "phonenumber", "number"],
  first_name: ["firstname", "first"],
  last_name: ["lastname", "last"],
  zip: ["zip", "zip5", "postalcode"],
  timezone: ["timezone"],
  external_id: ["externalid", "vanid"],
} as const;

export type KnownColumn = keyof typeof KNOWN_COLUMNS;

const aliasToColumn = new Map<string, KnownColumn>(
  (Object.entries(KNOWN_COLUMNS) as [KnownColumn, readonly string[]][]).flatMap(([column, aliases]) =>
    aliases.map((alias) => [alias, column] as const),
  ),
);

/** The known column a header stands for, or undefined for a custom column. */
export function knownColumnFor(header: string): KnownColumn | undefined {
  return aliasToColumn.get(normalizeFieldName(header));
}

/** Merge fields every script may use whatever was uploaded. */
export const BUILTIN_MERGE_FIELDS = ["firstname", "lastname", "texter_name", "campaign", "zip", "externalid"].map(
  normalizeFieldName,
);
