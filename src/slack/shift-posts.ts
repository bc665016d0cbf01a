import type { KnownBlock } from "@slack/types";
import { campaignById, campaignsReleasingStale } from "../campaigns/campaigns.ts";
import { claimDueKickoffs, claimDueRecaps, closeShift, waitingAfterShifts } from "../campaigns/shifts.ts";
import type { SlackDeps } from "./deps.ts";
import { escapeText } from "./blocks/text.ts";
import { enqueuePost } from "../outbox/outbox.ts";
import { releaseStaleReplies } from "./handoff.ts";

export const SHIFT_JOIN_ACTION = "shift_join";

/** Kickoffs for shifts that have started: claimed once, posted through the outbox. */
export async function postKickoffs(services: SlackDeps): Promise<number> {
  const due = await claimDueKickoffs(services.db, services.now());
  for (const shift of due) {
    const campaign = (await campaignById(services.db, shift.campaign_id))!;
    const minutes = Math.round((shift.ends_at.getTime() - shift.starts_at.getTime()) / 60_000);
    const blocks: KnownBlock[] = [
      {
        type: "section",
        text: {
          type: "mrkdwn",
          text:
            `:rocket: *${escapeText(campaign.title)}* texting shift starts now, for ${minutes} minutes. ` +
            `Press *Join shift* and your first contact appears in your DM with Textbank.`,
        },
      },
      {
        type: "actions",
        elements: [
          {
            type: "button",
            style: "primary",
            action_id: SHIFT_JOIN_ACTION,
            text: { type: "plain_text", text: "Join shift" },
            value: String(campaign.id),
          },
        ],
      },
    ];
    await enqueuePost(services.db, {
      dedupeKey: `kickoff:${shift.id}`,
      channel: shift.channel_id,
      payload: { text: `${campaign.title} texting shift starts now`, blocks },
    });
  }
  if (due.length) services.outbox.kick();
  return due.length;
}

/** Recaps for shifts that have ended: held contacts released, figures posted, once. */
export async function postRecaps(services: SlackDeps): Promise<number> {
  const due = await claimDueRecaps(services.db, services.now());
  for (const shift of due) {
    const campaign = (await campaignById(services.db, shift.campaign_id))!;
    const recap = await closeShift(services.db, shift);
    const top = recap.top.map((t, i) => `${i + 1}. <@${t.userId}> — ${t.sent}`).join("\n");
    const text =
      `:checkered_flag: *${escapeText(campaign.title)}* shift is over: ` +
      `${recap.sent} texts sent, ${recap.replies} replies, ${recap.optOuts} opt-outs.` +
      (top ? `\n*Top volunteers*\n${top}` : "") +
      `\nReplies keep coming to each volunteer's DM; thank you all!`;
    await enqueuePost(services.db, { dedupeKey: `recap:${shift.id}`, channel: shift.channel_id, payload: { text } });
  }
  if (due.length) services.outbox.kick();
  return due.length;
}

/**
 * One reminder per volunteer per shift: an hour after a shift ended, whoever still has replies
 * waiting over 60 minutes gets a DM (the outbox key makes it once, whatever the runs).
 */
export async function postReminders(services: SlackDeps): Promise<number> {
  let sent = 0;
  for (const row of await waitingAfterShifts(services.db, services.now())) {
    const created = await enqueuePost(services.db, {
      dedupeKey: `reminder:${row.shiftId}:${row.volunteerId}`,
      channel: row.volunteerId,
      payload: {
        text:
          `:wave: ${row.waiting} ${row.waiting === 1 ? "person is" : "people are"} ` +
          `still waiting for your answer from today's shift; their threads are here in your DM.`,
      },
    });
    if (created.created) sent += 1;
  }
  if (sent) services.outbox.kick();
  return sent;
}

/** Campaigns that hand stale replies on by themselves. */
export async function autoReleaseStale(services: SlackDeps): Promise<number> {
  const campaigns = await campaignsReleasingStale(services.db);
  let moved = 0;
  for (const campaign of campaigns) moved += await releaseStaleReplies(services, campaign);
  return moved;
}
