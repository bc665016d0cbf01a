import type { BlockAction, RespondFn } from "@slack/bolt";
import { z } from "zod";
import { loadConversation, type ConversationDetail } from "../../campaigns/conversations/conversations.ts";
import { isOrganizer } from "../../campaigns/organizers.ts";
import { answerProblem, noteProblem } from "../../campaigns/surveys/survey-input.ts";
import { addNote, recordAnswer } from "../../campaigns/surveys/surveys.ts";
import { enqueuePost } from "../../outbox/outbox.ts";
import { conversationParent } from "../blocks/conversation.ts";
import {
  NOTE_ACTION,
  NOTE_BLOCK,
  NOTE_CALLBACK,
  noteModal,
  notePost,
  SURVEY_ACTIONS,
  type AnswerValue,
} from "../blocks/survey.ts";
import { conversationView } from "../conversation-view.ts";
import type { SlackDeps } from "../deps.ts";
import { jsonValue } from "../json-value.ts";
import type { SlackRouter } from "../router.ts";

const answerValue = jsonValue(
  z.object({
    c: z.number().int().positive(),
    k: z.number().int().positive(),
    q: z.number().int().positive(),
    a: z.string().min(1),
  }) satisfies z.ZodType<AnswerValue>,
);
const conversationValue = jsonValue(z.object({ c: z.number().int().positive() }));
const noteMetadata = jsonValue(
  z.object({ c: z.number().int().positive(), ch: z.string().optional(), ts: z.string().optional() }),
);

/** A button's value, or a menu's chosen option's: both carry the same JSON. */
const pressed = z
  .object({ value: z.string().optional(), selected_option: z.object({ value: z.string() }).nullish() })
  .loose();

const noteSubmission = z.object({
  user: z.object({ id: z.string() }),
  view: z.object({
    private_metadata: z.string(),
    state: z.object({
      values: z.object({
        [NOTE_BLOCK]: z.object({ [NOTE_ACTION]: z.object({ value: z.string().nullish() }).loose() }),
      }),
    }),
  }),
});

type Access = { detail: ConversationDetail } | { problem: string };

/**
 * The conversation a survey button or note names, if this user may act on it: the volunteer who
 * has it, or an organizer. Anyone else is told who can, and nothing changes.
 */
async function access(services: SlackDeps, conversationId: number, userId: string, doing: string): Promise<Access> {
  const detail = await loadConversation(services.db, conversationId);
  if (!detail) return { problem: "That conversation no longer exists." };
  const owner = detail.conversation.volunteer_id;
  if (owner !== userId && !(await isOrganizer(services.db, services.settings.ORGANIZER_IDS, userId)))
    return {
      problem: owner
        ? `Only <@${owner}> (who has this conversation) or an organizer can ${doing}.`
        : `Only an organizer can ${doing}: nobody has this conversation.`,
    };
  return { detail };
}

/**
 * Survey answers and notes on a conversation's thread parent. An answer is checked against the
 * survey as it is now (campaign, question still asked, answer still offered) and recorded with
 * its history; the parent is then redrawn through the click's response_url, as outcome tags are,
 * which Slack does not rate limit the way it does chat.update. A refusal is told to the presser
 * alone and changes nothing.
 */
export function registerSurveyActions(app: SlackRouter, services: SlackDeps): void {
  const tell = (respond: RespondFn, text: string) =>
    respond({ response_type: "ephemeral", replace_original: false, text }).catch((error: unknown) =>
      services.logger.warn("survey notice failed", error),
    );

  app.action<BlockAction>(
    new RegExp(`^(${SURVEY_ACTIONS.answer}|${SURVEY_ACTIONS.select}):`),
    async ({ ack, body, action, respond }) => {
      await ack();
      const raw = pressed.safeParse(action);
      const parsed = answerValue.safeParse(
        raw.success ? (raw.data.selected_option?.value ?? raw.data.value) : undefined,
      );
      if (!parsed.success) return void (await tell(respond, "That button is not one of ours; nothing was recorded."));
      const { c, k, q, a } = parsed.data;
      const allowed = await access(services, c, body.user.id, "answer its survey");
      if ("problem" in allowed) return void (await tell(respond, `${allowed.problem} Nothing was recorded.`));
      const { campaign } = allowed.detail;
      if (campaign.id !== k)
        return void (await tell(respond, "That answer belongs to another campaign's survey; nothing was recorded."));
      const check = answerProblem(campaign.survey_questions ?? [], q, a);
      if ("problem" in check) return void (await tell(respond, check.problem));
      await recordAnswer(services.db, {
        campaignId: campaign.id,
        conversationId: c,
        questionId: q,
        answer: a,
        userId: body.user.id,
        source: "button",
      });
      const fresh = await loadConversation(services.db, c);
      if (fresh)
        await respond({ replace_original: true, ...conversationParent(conversationView(fresh)) }).catch(
          (error: unknown) => services.logger.warn("redraw failed", error),
        );
    },
  );

  app.action<BlockAction>(SURVEY_ACTIONS.addNote, async ({ ack, body, action, respond }) => {
    await ack();
    const raw = pressed.safeParse(action);
    const parsed = conversationValue.safeParse(raw.success ? raw.data.value : undefined);
    if (!parsed.success) return void (await tell(respond, "That button is not one of ours; nothing happened."));
    const allowed = await access(services, parsed.data.c, body.user.id, "add a note to it");
    if ("problem" in allowed) return void (await tell(respond, allowed.problem));
    const { contact } = allowed.detail;
    const container = body.container as { channel_id?: unknown; message_ts?: unknown };
    const meta = {
      c: parsed.data.c,
      ...(typeof container.channel_id === "string" ? { ch: container.channel_id } : {}),
      ...(typeof container.message_ts === "string" ? { ts: container.message_ts } : {}),
    };
    const name = [contact.first_name, contact.last_name].filter(Boolean).join(" ");
    await services.slack.views.open({ trigger_id: body.trigger_id, view: noteModal(meta, name) });
  });

  app.view(NOTE_CALLBACK, async ({ ack, body }) => {
    const refuse = (text: string) => ack({ response_action: "errors", errors: { [NOTE_BLOCK]: text } });
    const parsed = noteSubmission.safeParse(body);
    const meta = parsed.success ? noteMetadata.safeParse(parsed.data.view.private_metadata) : undefined;
    if (!parsed.success || !meta?.success)
      return void (await refuse("This form did not come through whole; close it and press Add note again."));
    const text = parsed.data.view.state.values[NOTE_BLOCK][NOTE_ACTION].value ?? "";
    const problem = noteProblem(text);
    if (problem) return void (await refuse(problem));
    const userId = parsed.data.user.id;
    const allowed = await access(services, meta.data.c, userId, "add a note to it");
    if ("problem" in allowed) return void (await refuse(`${allowed.problem} Nothing was saved.`));
    const { conversation } = allowed.detail;
    const note = await addNote(services.db, { conversationId: conversation.id, userId, body: text });
    // The thread as stored (it moves with a reassignment), else where Add note was pressed.
    const channel = conversation.slack_channel ?? meta.data.ch;
    const threadTs = conversation.slack_thread_ts ?? meta.data.ts;
    if (channel && threadTs) {
      await enqueuePost(services.db, {
        dedupeKey: `conv-note:${note.id}`,
        channel,
        payload: { ...notePost({ userId, body: text.trim() }), thread_ts: threadTs },
      });
      services.outbox.kick();
    }
    await ack();
  });
}
