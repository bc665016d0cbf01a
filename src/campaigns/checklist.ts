import { createHash } from "node:crypto";
import { sql } from "kysely";
import type { Database } from "../db/database.ts";
import type { Campaign, CampaignState } from "../db/schema.ts";
import { launchProblems } from "./lifecycle.ts";

/**
 * The organizer's setup checklist (posted in their DM after `create` or `copy`): what it shows,
 * and when it must be shown again. The Slack side draws it and posts or updates it.
 */
export interface ChecklistState {
  campaignId: number;
  slug: string;
  title: string;
  state: CampaignState;
  /** Every contact of the campaign (opted-out ones too), as the summary of an upload counts them. */
  contacts: number;
  scriptWritten: boolean;
  hours: { start: number; end: number };
  /** Why it cannot launch now (empty when it can); only meaningful for a draft or paused campaign. */
  problems: string[];
}

export async function checklistState(db: Database, campaign: Campaign): Promise<ChecklistState> {
  const { n } = await db
    .selectFrom("contacts")
    .select(sql<number>`count(*)::int`.as("n"))
    .where("campaign_id", "=", campaign.id)
    .executeTakeFirstOrThrow();
  const launchable = campaign.state === "draft" || campaign.state === "paused";
  return {
    campaignId: campaign.id,
    slug: campaign.slug,
    title: campaign.title,
    state: campaign.state,
    contacts: n,
    scriptWritten: Boolean(campaign.opening_message?.trim()),
    hours: { start: campaign.hours_start, end: campaign.hours_end },
    problems: launchable ? await launchProblems(db, campaign) : [],
  };
}

/** A short fingerprint of what the checklist shows: equal fingerprints draw the same message. */
export function checklistFingerprint(state: ChecklistState): string {
  return createHash("sha256").update(JSON.stringify(state)).digest("hex").slice(0, 16);
}

/** Where the checklist was posted and what it showed then. */
export async function rememberChecklist(
  db: Database,
  campaignId: number,
  posted: { channel: string; ts: string; fingerprint: string },
): Promise<void> {
  await db
    .updateTable("campaigns")
    .set({ checklist_channel: posted.channel, checklist_ts: posted.ts, checklist_state: posted.fingerprint })
    .where("id", "=", campaignId)
    .execute();
}

export interface ChecklistUpdate {
  state: ChecklistState;
  channel: string;
  ts: string;
  rev: number;
  fingerprint: string;
}

/**
 * In the caller's transaction: the campaign's checklist as it should look now, when that differs
 * from what it shows (else undefined, also when it has no checklist). The campaign row is locked
 * (FOR NO KEY UPDATE, which contact inserts do not wait on) while the state is read and the new
 * revision recorded, so two changes at once enqueue their updates in the order they were counted
 * and the last one enqueued shows the latest state.
 */
export async function nextChecklistUpdate(tx: Database, campaignId: number): Promise<ChecklistUpdate | undefined> {
  const campaign = await tx
    .selectFrom("campaigns")
    .selectAll()
    .where("id", "=", campaignId)
    .forNoKeyUpdate()
    .executeTakeFirst();
  if (!campaign?.checklist_channel || !campaign.checklist_ts) return undefined;
  const state = await checklistState(tx, campaign);
  const fingerprint = checklistFingerprint(state);
  if (fingerprint === campaign.checklist_state) return undefined;
  const { checklist_rev: rev } = await tx
    .updateTable("campaigns")
    .set((eb) => ({ checklist_state: fingerprint, checklist_rev: eb("checklist_rev", "+", 1) }))
    .where("id", "=", campaignId)
    .returning("checklist_rev")
    .executeTakeFirstOrThrow();
  return { state, channel: campaign.checklist_channel, ts: campaign.checklist_ts, rev, fingerprint };
}
