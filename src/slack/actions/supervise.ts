import type { BlockButtonAction } from "@slack/bolt";
import { z } from "zod";
import { loadConversation, type ConversationDetail } from "../../campaigns/conversations/conversations.ts";
import { conversationHistory } from "../../campaigns/conversations/reassign.ts";
import { isOrganizer, listOrganizers } from "../../campaigns/organizers.ts";
import {
  escalateConversation,
  MAX_ESCALATION_REASON,
  takeEscalation,
  type TakeResult,
} from "../../campaigns/supervision/escalations.ts";
import type { AddWatcherResult } from "../../campaigns/supervision/watchers.ts";
import { postToResponseUrl } from "../../http/outbound.ts";
import { enqueuePost } from "../../outbox/outbox.ts";
import {
  ESCALATE_ACTION,
  ESCALATE_BLOCK,
  ESCALATE_CALLBACK,
  escalateModal,
  escalationPost,
  SUPERVISION_ACTIONS,
  takenPost,
} from "../blocks/supervision.ts";
import { escapeText, truncate } from "../blocks/text.ts";
import type { SlackDeps } from "../deps.ts";
import { jsonValue } from "../json-value.ts";
import type { SlackRouter } from "../router.ts";
import { openWatcherThread, postToVolunteerThread, postToWatchers } from "../supervision.ts";

const conversationValue = jsonValue(z.object({ c: z.number().int().positive() }));
const escalateSubmission = z.object({
  user: z.object({ id: z.string() }),
  view: z.object({
    private_metadata: z.string(),
    state: z.object({
      values: z.object({
        [ESCALATE_BLOCK]: z.object({ [ESCALATE_ACTION]: z.object({ value: z.string().nullish() }).loose() }),
      }),
    }),
  }),
});

/** A click's message, when the button sits in one (Take it): to redraw it through response_url. */
type Click = BlockButtonAction & { message?: { text?: string; blocks?: unknown[] } };

/**
 * Supervision: an organizer opens a conversation from the review (Open), a volunteer asks for
 * help from the thread (Escalate, with a reason), and the first organizer to press Take it on
 * the escalation gets the conversation as with Open. Opening gives the organizer a thread of
 * their own (src/slack/supervision.ts); who may act is checked against the database at the click.
 *
 * Only organizers may Open or Take it, wherever the button is: anyone in an escalation channel
 * can see the post, but texting a contact someone else has is an organizer's call.
 */
export function registerSupervisionActions(app: SlackRouter, services: SlackDeps): void {
  /** Tells the presser alone: through the click's response_url, or (a button in a modal has none) their DM. */
  const teller = (body: Click) => async (text: string) => {
    try {
      if (body.response_url)
        await postToResponseUrl(body.response_url, { response_type: "ephemeral", replace_original: false, text });
      else await services.slack.chat.postMessage({ channel: body.user.id, text });
    } catch (error) {
      services.logger.warn("could not answer a supervision click", error);
    }
  };
  const organizer = (user: string) => isOrganizer(services.db, services.settings.ORGANIZER_IDS, user);
  /** Where an organizer's existing thread is, as a link when Slack gives one. */
  const whereIs = async (watcher: { channel: string | null; threadTs: string | null }) => {
    if (watcher.channel && watcher.threadTs) {
      const link = await services.slack.chat
        .getPermalink({ channel: watcher.channel, message_ts: watcher.threadTs })
        .catch(() => undefined);
      if (link?.permalink) return `<${link.permalink}|its thread in your DM with Textbank>`;
    }
    return "its thread in your DM with Textbank";
  };

  app.action<BlockButtonAction>(SUPERVISION_ACTIONS.open, async ({ ack, body, action }) => {
    await ack();
    const tell = teller(body);
    const parsed = conversationValue.safeParse(action.value);
    if (!parsed.success) return void (await tell("That button is not one of ours; nothing was opened."));
    if (!(await organizer(body.user.id)))
      return void (await tell("Only organizers can open someone's conversation; nothing was opened."));
    const opened = await services.db.transaction().execute((tx) =>
      openWatcherThread(tx, {
        conversationId: parsed.data.c,
        userId: body.user.id,
        reason: "open",
        why: "You opened this conversation: what you write in this thread is texted to them.",
      }),
    );
    await tell(await openedAnswer(opened));
  });

  const openedAnswer = async (opened: AddWatcherResult): Promise<string> => {
    switch (opened.kind) {
      case "gone":
        return "That conversation no longer exists; nothing was opened.";
      case "owner":
        return "That conversation is yours already: its thread is in your DM with Textbank.";
      case "already":
        return `You already have this conversation open: ${await whereIs(opened.watcher)}.`;
      case "added":
        services.outbox.kick();
        return (
          "Opened: the conversation is in your DM with Textbank, with its history. What you write in that " +
          "thread is texted to them and shown to their volunteer."
        );
    }
  };

  const whoMayEscalate = (detail: ConversationDetail) =>
    detail.conversation.volunteer_id
      ? `Only <@${detail.conversation.volunteer_id}> (who has this conversation) or an organizer can escalate it.`
      : "Only an organizer can escalate it: nobody has this conversation.";
  /** The volunteer who has it, or an organizer: who may escalate. */
  const mayEscalate = async (detail: ConversationDetail, user: string) =>
    detail.conversation.volunteer_id === user || (await organizer(user));

  app.action<BlockButtonAction>(SUPERVISION_ACTIONS.escalate, async ({ ack, body, action }) => {
    await ack();
    const tell = teller(body);
    const parsed = conversationValue.safeParse(action.value);
    if (!parsed.success) return void (await tell("That button is not one of ours; nothing happened."));
    const detail = await loadConversation(services.db, parsed.data.c);
    if (!detail) return void (await tell("That conversation no longer exists."));
    if (!(await mayEscalate(detail, body.user.id))) return void (await tell(whoMayEscalate(detail)));
    const { contact, campaign } = detail;
    await services.slack.views.open({
      trigger_id: body.trigger_id,
      view: escalateModal(
        { c: detail.conversation.id },
        {
          contactName: [contact.first_name, contact.last_name].filter(Boolean).join(" "),
          phone: contact.phone,
          where: campaign.escalation_channel ? `<#${campaign.escalation_channel}>` : "the organizers",
          maxReason: MAX_ESCALATION_REASON,
        },
      ),
    });
  });

  app.view(ESCALATE_CALLBACK, async ({ ack, body }) => {
    const refuse = (text: string) => ack({ response_action: "errors", errors: { [ESCALATE_BLOCK]: text } });
    const parsed = escalateSubmission.safeParse(body);
    const meta = parsed.success ? conversationValue.safeParse(parsed.data.view.private_metadata) : undefined;
    if (!parsed.success || !meta?.success)
      return void (await refuse("This form did not come through whole; close it and press Escalate again."));
    const user = parsed.data.user.id;
    const reason = (parsed.data.view.state.values[ESCALATE_BLOCK][ESCALATE_ACTION].value ?? "").trim();
    if (!reason) return void (await refuse("Say why: an organizer reads this before stepping in."));
    if (reason.length > MAX_ESCALATION_REASON)
      return void (await refuse(`At most ${MAX_ESCALATION_REASON} characters (this is ${reason.length}).`));
    const detail = await loadConversation(services.db, meta.data.c);
    if (!detail) return void (await refuse("That conversation no longer exists. Nothing was sent."));
    if (!(await mayEscalate(detail, user))) return void (await refuse(whoMayEscalate(detail)));
    const escalated = await services.db.transaction().execute(async (tx) => {
      const escalation = await escalateConversation(tx, {
        conversationId: detail.conversation.id,
        userId: user,
        reason,
      });
      if (!escalation) return false;
      const stamp = escalation.escalatedAt.getTime();
      const recent = await conversationHistory(tx, detail.conversation.id, 5);
      const post = escalationPost({
        conversationId: detail.conversation.id,
        campaignTitle: detail.campaign.title,
        contactName: [detail.contact.first_name, detail.contact.last_name].filter(Boolean).join(" "),
        phone: detail.contact.phone,
        volunteerId: detail.conversation.volunteer_id,
        escalatedBy: user,
        reason,
        recent,
      });
      // To the campaign's channel, or to every organizer's DM when it has none.
      const targets = escalation.channel
        ? [escalation.channel]
        : await listOrganizers(tx, services.settings.ORGANIZER_IDS);
      for (const target of targets)
        await enqueuePost(tx, {
          dedupeKey: `escalation:${escalation.conversationId}:${stamp}:${target}`,
          channel: target,
          payload: post,
        });
      const note = {
        key: `escalated:${escalation.conversationId}:${stamp}`,
        payload: {
          text: truncate(
            `:rotating_light: <@${user}> escalated this conversation to ` +
              `${escalation.channel ? `<#${escalation.channel}>` : "the organizers"}: ${escapeText(reason)}`,
            3900,
          ),
        },
      };
      await postToVolunteerThread(tx, escalation.conversationId, note);
      await postToWatchers(tx, escalation.conversationId, [note]);
      return true;
    });
    if (!escalated) return void (await refuse("That conversation no longer exists. Nothing was sent."));
    await ack();
    services.outbox.kick();
  });

  app.action<BlockButtonAction>(SUPERVISION_ACTIONS.take, async ({ ack, body, action }) => {
    await ack();
    const click = body as Click;
    const tell = teller(click);
    const parsed = conversationValue.safeParse(action.value);
    if (!parsed.success) return void (await tell("That button is not one of ours; nothing happened."));
    const user = body.user.id;
    if (!(await organizer(user)))
      return void (await tell("Only organizers can take an escalated conversation; nothing changed."));
    const conversationId = parsed.data.c;
    const taken: TakeResult = await services.db.transaction().execute(async (tx) => {
      const result = await takeEscalation(tx, { conversationId, userId: user });
      if (result.kind !== "taken") return result;
      await openWatcherThread(tx, {
        conversationId,
        userId: user,
        reason: "take",
        why:
          `You took this escalated conversation` +
          (result.reason ? ` (${truncate(result.reason, 500)})` : "") +
          `: what you write in this thread is texted to them.`,
      });
      const note = {
        key: `taken:${conversationId}:${result.escalatedAt.getTime()}`,
        payload: {
          text:
            `:raised_hand: <@${user}> took this escalated conversation. What they write in their thread is ` +
            `texted to the contact and shows here; what you and the contact write shows in theirs.`,
        },
      };
      await postToVolunteerThread(tx, conversationId, note);
      await postToWatchers(tx, conversationId, [note], { userId: user });
      return result;
    });
    const redraw = async (by: string) => {
      if (!click.response_url || !click.message) return;
      await postToResponseUrl(click.response_url, { replace_original: true, ...takenPost(click.message, by) }).catch(
        (error: unknown) => services.logger.warn("could not redraw an escalation post", error),
      );
    };
    switch (taken.kind) {
      case "taken":
        services.outbox.kick();
        await redraw(user);
        return void (await tell(
          "It's yours: the conversation is in your DM with Textbank, with its history. " +
            "What you write in that thread is texted to them and shown to their volunteer.",
        ));
      case "held":
        await redraw(taken.by);
        return void (await tell(
          taken.by === user ? "You took this one already: it's in your DM with Textbank." : `<@${taken.by}> has it.`,
        ));
      case "not_escalated":
        return void (await tell("That conversation is not escalated any more; nothing changed."));
      case "gone":
        return void (await tell("That conversation no longer exists; nothing changed."));
    }
  });
}
