import {
  handoffCandidates,
  moveConversation,
  reassignConversations,
  staleConversations,
  type MovedThread,
} from "../campaigns/conversations/reassign.ts";
import type { SlackDeps } from "./deps.ts";
import { movedNote, moveIntroText } from "./blocks/moves.ts";
import { postMovedThreads } from "./moves.ts";

export const REASSIGNED_WHY = "Reassigned to you by an organizer.";

/**
 * `/campaign reassign`: every conversation of `from` in the campaign goes to `to` (numbers that
 * opted out stay), newest activity first. `to` gets one introduction, then each thread with its
 * history in their DM; each of `from`'s old thread parents is edited to say where it went.
 */
export async function reassignVolunteer(
  services: SlackDeps,
  input: { campaign: { id: number; title: string }; from: string; to: string; by: string },
): Promise<{ moved: number; optedOut: number }> {
  const { campaign, from, to, by } = input;
  const { moved, optedOut } = await reassignConversations(services.db, { campaignId: campaign.id, from, to });
  if (moved.length) {
    const key = `r${Date.now().toString(36)}`;
    await services.db.transaction().execute((tx) =>
      postMovedThreads(tx, {
        campaignId: campaign.id,
        to,
        moved,
        key,
        why: REASSIGNED_WHY,
        note: () => movedNote({ to, by }),
        intro: {
          dedupeKey: `move-intro:${campaign.id}:${to}:${key}`,
          text: moveIntroText({
            count: moved.length,
            from: [from],
            campaignTitle: campaign.title,
            by,
            order: "newest activity first",
          }),
        },
      }),
    );
    services.outbox.kick();
  }
  return { moved: moved.length, optedOut };
}

/**
 * Conversations left waiting longer than the campaign's limit go to volunteers on shift (the
 * least loaded first, never back to their owner; a number that opted out is not handed on).
 * Each volunteer who gets some gets one introduction before their threads; each old parent says
 * where its conversation went. `by`: the organizer who ran `/campaign release`. Returns how many moved.
 */
export async function releaseStaleReplies(
  services: SlackDeps,
  campaign: { id: number; title: string; stale_reply_minutes: number },
  volunteerId?: string,
  by?: string,
): Promise<number> {
  const stale = await staleConversations(services.db, {
    campaignId: campaign.id,
    minutes: campaign.stale_reply_minutes,
    volunteerId,
  });
  // First every move (the least loaded changes as conversations arrive), then the posts, so each
  // new volunteer's introduction can say how many came and be posted before their threads.
  const byTarget = new Map<string, MovedThread[]>();
  for (const conversation of stale) {
    const [target] = await handoffCandidates(
      services.db,
      campaign.id,
      conversation.volunteerId ? [conversation.volunteerId] : [],
    );
    if (!target) continue;
    const moved = await moveConversation(services.db, conversation.id, target);
    if (!moved) continue;
    byTarget.set(target, [...(byTarget.get(target) ?? []), moved]);
  }
  const key = `r${Date.now().toString(36)}`;
  const minutes = campaign.stale_reply_minutes;
  let count = 0;
  for (const [to, moved] of byTarget) {
    count += moved.length;
    await services.db.transaction().execute((tx) =>
      postMovedThreads(tx, {
        campaignId: campaign.id,
        to,
        moved,
        key,
        why: `This reply waited over ${minutes} minutes, so it came to you.`,
        note: () => movedNote({ to, by, staleMinutes: minutes }),
        intro: {
          dedupeKey: `move-intro:${campaign.id}:${to}:${key}`,
          text: moveIntroText({
            count: moved.length,
            from: [...new Set(moved.map((m) => m.from))],
            campaignTitle: campaign.title,
            by,
            staleMinutes: minutes,
            order: "longest waiting first",
          }),
        },
      }),
    );
  }
  if (count) services.outbox.kick();
  return count;
}
