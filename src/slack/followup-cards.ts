import { loadConversation } from "../campaigns/conversations/conversations.ts";
import { nextFollowup, renderFollowup, type FollowupCard } from "../campaigns/followups/hand-out.ts";
import { volunteerDm } from "../campaigns/volunteers.ts";
import type { Campaign } from "../db/schema.ts";
import { enqueuePost } from "../outbox/outbox.ts";
import { conversationParent } from "./blocks/conversation.ts";
import { followupCard, followupThreadPost, noReplyYet } from "./blocks/followup.ts";
import type { CardMessage } from "./blocks/card.ts";
import { conversationView } from "./conversation-view.ts";
import type { SlackDeps } from "./deps.ts";

/** The card for a follow-up this volunteer holds. */
export function renderFollowupCard(
  services: Pick<SlackDeps, "texting">,
  campaign: Campaign,
  card: FollowupCard,
  texterName: string,
  notice?: string,
): CardMessage {
  return followupCard({
    campaign,
    contact: card.contact,
    followup: card.followup,
    round: card.round.round,
    body: renderFollowup(card.round, campaign, card.contact, texterName),
    sandbox: services.texting.sandbox,
    notice,
  });
}

/**
 * The volunteer's next card if it is a follow-up (see nextFollowup: the one they hold, else a
 * new one before the openings); undefined when the next card is an opening's.
 */
export async function nextFollowupCard(
  services: SlackDeps,
  campaign: Campaign,
  userId: string,
  texterName: string,
  notice?: string,
  options: { holdsNothing?: boolean } = {},
): Promise<CardMessage | undefined> {
  const card = await nextFollowup(services.db, {
    campaign,
    userId,
    now: services.now(),
    holdsNothing: options.holdsNothing,
  });
  return card ? renderFollowupCard(services, campaign, card, texterName, notice) : undefined;
}

/**
 * Adds a sent follow-up to its conversation's thread, through the outbox. A conversation nobody
 * replied to has no thread yet: its parent is posted first, in the DM of the volunteer who has the
 * conversation (who also gets the replies), and the follow-up goes under it.
 */
export async function postFollowupInThread(
  services: Pick<SlackDeps, "db" | "outbox">,
  input: { conversationId: number; messageId: number; round: number; userId: string; body: string },
): Promise<void> {
  const detail = await loadConversation(services.db, input.conversationId);
  if (!detail) return;
  const { conversation } = detail;
  const post = followupThreadPost(input);
  if (conversation.slack_channel && conversation.slack_thread_ts) {
    await enqueuePost(services.db, {
      dedupeKey: `followup:${input.messageId}`,
      channel: conversation.slack_channel,
      payload: { ...post, thread_ts: conversation.slack_thread_ts },
    });
  } else {
    const owner = conversation.volunteer_id ?? input.userId;
    const channel = (await volunteerDm(services.db, conversation.campaign_id, owner)) ?? owner;
    const parentKey = `conv-parent:${conversation.id}`;
    const parent = conversationParent(conversationView(detail));
    await enqueuePost(services.db, {
      dedupeKey: parentKey,
      channel,
      payload: { ...(conversation.last_inbound_at ? parent : noReplyYet(parent)) },
    });
    await enqueuePost(services.db, {
      dedupeKey: `followup:${input.messageId}`,
      channel,
      payload: { ...post, thread_ts: { fromOutbox: parentKey } },
    });
  }
  services.outbox.kick();
}
