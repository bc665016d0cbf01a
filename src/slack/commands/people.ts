import { conversationHistory, reassignConversations } from "../../campaigns/conversations/reassign.ts";
import { loadConversation } from "../../campaigns/conversations/conversations.ts";
import { releaseHeld } from "../../campaigns/sending/assignment.ts";
import { conversationParent } from "../blocks/conversation.ts";
import { escapeText, truncate } from "../blocks/text.ts";
import { conversationView } from "../conversation-view.ts";
import { enqueuePost } from "../outbox.ts";
import { ensureVolunteer } from "../volunteers.ts";
import { campaignFromArgs, parseUserMention, reply, usageReply, type CommandSpec } from "./types.ts";

export const reassign: CommandSpec = {
  name: "reassign",
  usage: "reassign <slug> @from @to",
  summary: "move @from's open conversations to @to",
  audience: "organizer",
  async run(ctx) {
    const { services, args } = ctx;
    const [slug, fromWord, toWord] = args;
    const from = parseUserMention(fromWord);
    const to = parseUserMention(toWord);
    if (!slug || !from || !to) return usageReply(reassign, "Name the campaign and two people with @-mentions.");
    if (from === to) return reply("Those are the same person; nothing to move.");
    const { campaign, problem } = await campaignFromArgs(ctx, reassign);
    if (!campaign) return problem;
    await ensureVolunteer(services, campaign.id, to);
    const moved = await reassignConversations(services.db, { campaignId: campaign.id, from, to });
    const volunteer = await services.db.selectFrom("volunteers").select("dm_channel").where("campaign_id", "=", campaign.id).where("user_id", "=", to).executeTakeFirst();
    const channel = volunteer?.dm_channel ?? to;
    const stamp = Date.now().toString(36);
    for (const id of moved) {
      const detail = await loadConversation(services.db, id);
      if (!detail) continue;
      const parentKey = `conv-parent:${id}:r${stamp}`;
      await enqueuePost(services.db, { dedupeKey: parentKey, channel, payload: { ...conversationParent(conversationView(detail)) } });
      const history = await conversationHistory(services.db, id);
      const lines = history.map((m) => `${m.direction === "in" ? "*Them:*" : "*Us:*"} ${escapeText(m.body)}`);
      await enqueuePost(services.db, {
        dedupeKey: `history:${id}:r${stamp}`,
        channel,
        payload: { text: truncate(`Reassigned to you by an organizer. The conversation so far:\n${lines.join("\n")}`, 3900), thread_ts: { fromOutbox: parentKey } },
      });
    }
    services.outbox.kick();
    return reply(
      moved.length
        ? `Moved ${moved.length} conversation${moved.length === 1 ? "" : "s"} in *${campaign.title}* from <@${from}> to <@${to}>; they continue in <@${to}>'s DM with their history.`
        : `<@${from}> has no conversations in *${campaign.title}*; their held contact, if any, went back to the pool.`,
    );
  },
};

export const release: CommandSpec = {
  name: "release",
  usage: "release <slug> @user",
  summary: "return @user's unsent contacts to the pool",
  audience: "organizer",
  async run(ctx) {
    const { services, args } = ctx;
    const [slug, who] = args;
    const user = parseUserMention(who);
    if (!slug || !user) return usageReply(release, "Name the campaign and the person with an @-mention.");
    const { campaign, problem } = await campaignFromArgs(ctx, release);
    if (!campaign) return problem;
    const released = await releaseHeld(services.db, user, campaign.id);
    return reply(
      released
        ? `Returned ${released} unsent contact${released === 1 ? "" : "s"} held by <@${user}> in *${campaign.title}* to the pool.`
        : `<@${user}> holds no unsent contacts in *${campaign.title}*.`,
    );
  },
};
