import { volunteerName } from "../../campaigns/volunteers.ts";
import type { BlockButtonAction, RespondFn } from "@slack/bolt";
import { z } from "zod";
import { jsonValue } from "../json-value.ts";
import {
  lastInboundId,
  loadConversation,
  queueReply,
  recordOutcome,
  type ConversationDetail,
} from "../../campaigns/conversations/conversations.ts";
import { isOrganizer } from "../../campaigns/organizers.ts";
import { recordOptOut } from "../../campaigns/opt-outs/opt-outs.ts";
import { parseTemplate, renderTemplate } from "../../campaigns/scripts/template.ts";
import { mergeValues } from "../../campaigns/scripts/merge-values.ts";
import { recordCannedAnswers } from "../../campaigns/surveys/surveys.ts";
import type { SlackDeps } from "../deps.ts";
import { CONVERSATION_ACTIONS, conversationParent } from "../blocks/conversation.ts";
import { conversationView } from "../conversation-view.ts";
import type { SlackRouter } from "../router.ts";

const actionValue = jsonValue(
  z.object({
    c: z.number().int().positive(),
    i: z.number().int().nonnegative().optional(),
    t: z.number().int().nonnegative().optional(),
  }),
);

/**
 * The buttons on a conversation's thread parent: canned replies, outcome tags, Opt out.
 * Each checks that the presser has the conversation (or organizes), then acts; the parent is
 * redrawn through the click's response_url, which is not rate limited like chat.update.
 */
export function registerConversationActions(app: SlackRouter, services: SlackDeps): void {
  const guard = async (
    body: BlockButtonAction,
    value: string | undefined,
    respond: RespondFn,
  ): Promise<{ detail: ConversationDetail; index?: number; tag?: number } | undefined> => {
    const parsed = actionValue.safeParse(value);
    const tell = (text: string) =>
      respond({ response_type: "ephemeral", replace_original: false, text }).catch(() => undefined);
    if (!parsed.success) {
      await tell("That button is not one of ours; nothing happened.");
      return undefined;
    }
    const detail = await loadConversation(services.db, parsed.data.c);
    if (!detail) {
      await tell("That conversation no longer exists.");
      return undefined;
    }
    const user = body.user.id;
    if (
      detail.conversation.volunteer_id !== user &&
      !(await isOrganizer(services.db, services.settings.ORGANIZER_IDS, user))
    ) {
      await tell(
        `Only <@${detail.conversation.volunteer_id}> (who has this conversation) or an organizer can do that.`,
      );
      return undefined;
    }
    return { detail, index: parsed.data.i, tag: parsed.data.t };
  };
  const redraw = async (respond: RespondFn, conversationId: number) => {
    const fresh = await loadConversation(services.db, conversationId);
    if (fresh)
      await respond({ replace_original: true, ...conversationParent(conversationView(fresh)) }).catch(
        (error: unknown) => services.logger.warn("redraw failed", error),
      );
  };

  app.action<BlockButtonAction>(
    new RegExp(`^${CONVERSATION_ACTIONS.canned}:`),
    async ({ ack, body, action, respond }) => {
      await ack();
      const ok = await guard(body, action.value, respond);
      if (!ok || ok.index === undefined) return;
      const { detail } = ok;
      const reply = detail.campaign.canned_replies[ok.index];
      if (!reply)
        return void respond({
          response_type: "ephemeral",
          replace_original: false,
          text: "That canned reply was changed; nothing was sent.",
        });
      const parsed = parseTemplate(reply.text);
      const texterName = (await volunteerName(services.db, detail.campaign.id, body.user.id)) ?? "a volunteer";
      const text = parsed.ok
        ? renderTemplate(
            parsed.template,
            mergeValues(detail.contact, {
              campaignTitle: detail.campaign.title,
              texterName,
            }),
          )
        : reply.text;
      // Once per canned reply per thing they said: a double click sends one text.
      const key =
        `canned:${detail.conversation.id}:${ok.index}:` + `${await lastInboundId(services.db, detail.conversation.id)}`;
      const result = await queueReply(services.db, {
        conversationId: detail.conversation.id,
        body: text,
        kind: "canned",
        userId: body.user.id,
        idempotencyKey: key,
        fromPhone: services.texting.fromPhone,
      });
      if (result.ok) {
        void services.deliveries.deliver(result.messageId);
        await respond({
          response_type: "in_channel",
          replace_original: false,
          thread_ts: body.container.thread_ts ?? body.container.message_ts,
          text: `Sent “${reply.title}”: ${text}`,
        } as never).catch(() => undefined);
        // Only a reply that was sent records its survey answers (a double click records once).
        if (reply.answers?.length) {
          const changed = await recordCannedAnswers(services.db, {
            campaignId: detail.campaign.id,
            conversationId: detail.conversation.id,
            questions: detail.campaign.survey_questions ?? [],
            answers: reply.answers,
            userId: body.user.id,
          });
          if (changed) await redraw(respond, detail.conversation.id);
        }
      } else if (result.reason === "opted_out") {
        await respond({
          response_type: "ephemeral",
          replace_original: false,
          text: ":no_entry: This number has opted out; nothing was sent.",
        });
      }
    },
  );

  app.action<BlockButtonAction>(new RegExp(`^${CONVERSATION_ACTIONS.tag}:`), async ({ ack, body, action, respond }) => {
    await ack();
    const ok = await guard(body, action.value, respond);
    if (!ok || ok.tag === undefined) return;
    const tag = ok.detail.campaign.outcome_tags[ok.tag];
    if (!tag)
      return void respond({
        response_type: "ephemeral",
        replace_original: false,
        text: "That tag was removed from the campaign; nothing was recorded.",
      });
    await recordOutcome(services.db, { conversationId: ok.detail.conversation.id, tag, userId: body.user.id });
    await redraw(respond, ok.detail.conversation.id);
  });

  app.action<BlockButtonAction>(CONVERSATION_ACTIONS.optOut, async ({ ack, body, action, respond }) => {
    await ack();
    const ok = await guard(body, action.value, respond);
    if (!ok) return;
    await recordOptOut(services.db, {
      phone: ok.detail.contact.phone,
      source: `volunteer:${body.user.id}`,
      campaignId: ok.detail.campaign.id,
    });
    await redraw(respond, ok.detail.conversation.id);
  });
}
