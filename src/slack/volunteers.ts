import { joinCampaign, volunteerName } from "../campaigns/volunteers.ts";
import type { SlackDeps } from "./deps.ts";
import { busyReason } from "./failures.ts";

/**
 * Names change rarely; remembering them keeps a database round trip off every card. A hint:
 * lost in a crash, and on another instance stale for at most NAME_TTL_MS after a rename.
 */
const knownNames = new Map<string, { name: string; until: number }>();
const NAME_TTL_MS = 60_000;

/**
 * Joins a volunteer to a campaign (idempotent) and remembers their Slack name for
 * {texter_name}; users.info is called once per volunteer and campaign, not per card.
 */
export async function ensureVolunteer(
  deps: Pick<SlackDeps, "db" | "slack" | "logger" | "instanceId">,
  campaignId: number,
  userId: string,
): Promise<{ displayName: string; joined: boolean }> {
  const existing = await joinedName(deps, campaignId, userId);
  if (existing) return { displayName: existing, joined: false };
  const displayName = await slackDisplayName(deps, userId);
  const { joined } = await joinCampaign(deps.db, { campaignId, userId, displayName });
  rememberName(`${deps.instanceId}:${campaignId}:${userId}`, displayName);
  return { displayName, joined };
}

/** The name a volunteer joined with, from memory when this instance has seen it; never joins anyone. */
export async function joinedName(
  deps: Pick<SlackDeps, "db" | "instanceId">,
  campaignId: number,
  userId: string,
): Promise<string | undefined> {
  const key = `${deps.instanceId}:${campaignId}:${userId}`;
  const known = knownNames.get(key);
  if (known && known.until > Date.now()) return known.name;
  const name = await volunteerName(deps.db, campaignId, userId);
  if (name) rememberName(key, name);
  return name;
}

function rememberName(key: string, name: string): void {
  if (knownNames.size > 50_000) knownNames.clear();
  knownNames.set(key, { name, until: Date.now() + NAME_TTL_MS });
}

/** After a rename on this instance: its next card and Send use the new name at once. */
export function forgetName(deps: Pick<SlackDeps, "instanceId">, campaignId: number, userId: string): void {
  knownNames.delete(`${deps.instanceId}:${campaignId}:${userId}`);
}

/**
 * The first name people know the volunteer by, for {texter_name}: the profile's first name, else
 * the first word of the full name, else of the display name (a handle such as "vera.k" is the
 * last resort); "a volunteer" if Slack won't say. The volunteer can change it when they join.
 */
export async function slackDisplayName(deps: Pick<SlackDeps, "slack" | "logger">, userId: string): Promise<string> {
  try {
    const info = await deps.slack.users.info({ user: userId });
    const profile = info.user?.profile;
    const first = (text: string | undefined) => (text ?? "").trim().split(/\s+/)[0] ?? "";
    return (
      first(profile?.first_name) ||
      first(profile?.real_name) ||
      first(info.user?.real_name) ||
      first(profile?.display_name) ||
      first(info.user?.name) ||
      "a volunteer"
    );
  } catch (error) {
    // The name is stored with the volunteer for good: a busy Slack fails the request instead.
    if (busyReason(error)) throw error;
    deps.logger.warn(`users.info failed for ${userId}`, error);
    return "a volunteer";
  }
}
