import type { Database } from "../../db/database.ts";
import type { Campaign, Contact } from "../../db/schema.ts";
import { isWithinWindow, nextWindowOpening } from "../hours/window.ts";
import { parseTemplate, renderTemplate } from "../scripts/template.ts";
import { mergeValues } from "../scripts/merge-values.ts";
import { cachedPoolZoneSets, claimNextContact, poolZoneSets } from "./assignment.ts";

export type NextCard =
  | { kind: "contact"; contact: Contact; body: string }
  | { kind: "empty" }
  /** Everyone left is outside their texting window; `resumesAt` is when the first one opens. */
  | { kind: "closed"; resumesAt: Date | null; waiting: number };

export function windowOf(campaign: Pick<Campaign, "hours_start" | "hours_end">) {
  return { start: campaign.hours_start, end: campaign.hours_end };
}

export function contactWindowOpen(contact: Pick<Contact, "tz_zones">, campaign: Campaign, at: Date): boolean {
  return isWithinWindow(contact.tz_zones, windowOf(campaign), at);
}

/** The opening message exactly as it will be sent to this contact. */
export function renderOpening(campaign: Campaign, contact: Contact, texterName: string): string {
  const parsed = parseTemplate(campaign.opening_message ?? "");
  if (!parsed.ok) return "";
  return renderTemplate(parsed.template, mergeValues(contact, { campaignTitle: campaign.title, texterName }));
}

/**
 * What the volunteer sees next: their held contact, a newly claimed one whose window is open
 * (checked when handed out, and again at send), or why there is none and when that changes.
 */
export async function nextCard(
  db: Database,
  input: { campaign: Campaign; userId: string; texterName: string; now: Date; holdsNothing?: boolean },
): Promise<NextCard> {
  const { campaign, now } = input;
  const cached = await cachedPoolZoneSets(db, campaign.id);
  const openCached = cached.filter((zones) => isWithinWindow(zones, windowOf(campaign), now));
  const fast = await claimNextContact(db, {
    campaignId: campaign.id,
    userId: input.userId,
    openZoneSets: openCached,
    holdsNothing: input.holdsNothing,
  });
  if (fast) return { kind: "contact", contact: fast, body: renderOpening(campaign, fast, input.texterName) };
  // Nothing from the remembered sets: look again at what the pool really holds.
  const sets = await poolZoneSets(db, campaign.id);
  const open = sets.filter((zones) => isWithinWindow(zones, windowOf(campaign), now));
  const contact = await claimNextContact(db, {
    campaignId: campaign.id,
    userId: input.userId,
    openZoneSets: open,
    holdsNothing: true,
  });
  if (contact) return { kind: "contact", contact, body: renderOpening(campaign, contact, input.texterName) };
  const closed = sets.filter((zones) => !open.includes(zones));
  if (closed.length === 0) return { kind: "empty" };
  const openings = closed
    .map((zones) => nextWindowOpening(zones, windowOf(campaign), now))
    .filter((at): at is Date => at !== null)
    .sort((a, b) => a.getTime() - b.getTime());
  const waiting = await db
    .selectFrom("contacts")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("campaign_id", "=", campaign.id)
    .where("status", "=", "pool")
    .executeTakeFirstOrThrow();
  return { kind: "closed", resumesAt: openings[0] ?? null, waiting: waiting.n };
}
