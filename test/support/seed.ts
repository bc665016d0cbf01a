import type { Kysely } from "kysely";
import type { DB } from "../../src/db/schema.ts";

export interface SeedContact {
  phone: string;
  first_name?: string;
  last_name?: string;
  zip?: string;
  tz_zones?: string[];
  custom_fields?: Record<string, string>;
}

/** Nine to five in New York; a window open in every US zone needs hours like 0-24. */
export const NEW_YORK = ["America/New_York"];

/**
 * A campaign ready to text, written straight to the database: for tests of features that
 * come after import and scripts (which have their own end-to-end tests).
 */
export async function seedCampaign(
  db: Kysely<DB>,
  input: {
    slug: string;
    title?: string;
    opening?: string;
    state?: "draft" | "active" | "paused" | "archived";
    hours?: [number, number];
    contacts: SeedContact[];
  },
): Promise<{ campaignId: number; contactIds: number[] }> {
  const campaign = await db
    .insertInto("campaigns")
    .values({
      slug: input.slug,
      title: input.title ?? `Campaign ${input.slug}`,
      state: input.state ?? "active",
      opening_message:
        input.opening ?? "Hi {first_name}, this is {texter_name} with {campaign}. Reply STOP to opt out.",
      hours_start: input.hours?.[0] ?? 0,
      hours_end: input.hours?.[1] ?? 24,
      created_by: "UORGANIZER",
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  const contactIds: number[] = [];
  for (let i = 0; i < input.contacts.length; i += 500) {
    const rows = await db
      .insertInto("contacts")
      .values(
        input.contacts.slice(i, i + 500).map((c) => ({
          campaign_id: campaign.id,
          phone: c.phone,
          first_name: c.first_name ?? null,
          last_name: c.last_name ?? null,
          zip: c.zip ?? null,
          timezone: null,
          tz_zones: c.tz_zones ?? NEW_YORK,
          tz_source: "zip",
          external_id: null,
          custom_fields: JSON.stringify(c.custom_fields ?? {}),
          import_id: null,
          row_number: null,
        })),
      )
      .returning("id")
      .execute();
    contactIds.push(...rows.map((r) => r.id));
  }
  return { campaignId: campaign.id, contactIds };
}

export function phones(count: number, start = 2025550100): string[] {
  return Array.from({ length: count }, (_, i) => `+1${start + i}`);
}
