import { sql } from "kysely";
import type { Services } from "../services.ts";

/**
 * Joins a volunteer to a campaign (idempotent) and remembers their Slack name for
 * {texter_name}; users.info is called once per volunteer and campaign, not per card.
 */
const knownNames = new Map<string, string>();

export async function ensureVolunteer(
  services: Services,
  campaignId: number,
  userId: string,
): Promise<{ displayName: string; joined: boolean }> {
  // Names change rarely; remembering them keeps a database round trip off every card.
  const known = knownNames.get(`${services.instanceId}:${campaignId}:${userId}`);
  if (known) return { displayName: known, joined: false };
  const existing = await services.db
    .selectFrom("volunteers")
    .select(["display_name"])
    .where("campaign_id", "=", campaignId)
    .where("user_id", "=", userId)
    .executeTakeFirst();
  if (existing?.display_name) {
    rememberName(`${services.instanceId}:${campaignId}:${userId}`, existing.display_name);
    return { displayName: existing.display_name, joined: false };
  }
  const displayName = await slackDisplayName(services, userId);
  await services.db
    .insertInto("volunteers")
    .values({ campaign_id: campaignId, user_id: userId, display_name: displayName })
    .onConflict((oc) => oc.columns(["campaign_id", "user_id"]).doUpdateSet({ display_name: displayName }))
    .execute();
  rememberName(`${services.instanceId}:${campaignId}:${userId}`, displayName);
  return { displayName, joined: existing === undefined };
}

function rememberName(key: string, name: string): void {
  if (knownNames.size > 50_000) knownNames.clear();
  knownNames.set(key, name);
}

/** The first name people know the volunteer by; falls back to "a volunteer" if Slack won't say. */
export async function slackDisplayName(services: Services, userId: string): Promise<string> {
  try {
    const info = await services.slack.users.info({ user: userId });
    const profile = info.user?.profile;
    const name = profile?.display_name || profile?.real_name || info.user?.real_name || info.user?.name;
    return (name ?? "").split(/\s+/)[0] || "a volunteer";
  } catch (error) {
    services.logger.warn(`users.info failed for ${userId}`, error);
    return "a volunteer";
  }
}

export async function touchVolunteer(
  services: Services,
  campaignId: number,
  userId: string,
  changes: { onShift?: boolean; dmChannel?: string } = {},
): Promise<void> {
  await services.db
    .updateTable("volunteers")
    .set({
      last_active_at: sql`now()`,
      ...(changes.onShift !== undefined ? { on_shift: changes.onShift } : {}),
      ...(changes.dmChannel ? { dm_channel: changes.dmChannel } : {}),
    })
    .where("campaign_id", "=", campaignId)
    .where("user_id", "=", userId)
    .execute();
}
