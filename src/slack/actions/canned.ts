import type { BlockButtonAction } from "@slack/bolt";
import { z } from "zod";
import {
  lastInboundId,
  loadConversation,
  queuedBody,
  type ConversationDetail,
} from "../../campaigns/conversations/conversations.ts";
import { isOrganizer } from "../../campaigns/organizers.ts";
import { mergeValues } from "../../campaigns/scripts/merge-values.ts";
import { parseTemplate, renderTemplate } from "../../campaigns/scripts/template.ts";
import { recordCannedAnswers } from "../../campaigns/surveys/surveys.ts";
import { volunteerName } from "../../campaigns/volunteers.ts";
import { postToResponseUrl } from "../../http/outbound.ts";
import { enqueuePost } from "../../outbox/outbox.ts";
import {
  CANNED_ACTION,
  CANNED_BLOCK,
  CANNED_CALLBACK,
  cannedModal,
  cannedSentPost,
  cannedTextProblem,
  type CannedModalMetadata,
} from "../blocks/canned.ts";
import { CONVERSATION_ACTIONS, conversationParent } from "../blocks/conversation.ts";
import { conversationView } from "../conversation-view.ts";
import type { SlackDeps } from "../deps.ts";
import { jsonValue } from "../json-value.ts";
import type { SlackRouter } from "../router.ts";
import { queueReplyEverywhere } from "../supervision.ts";

const buttonValue = jsonValue(z.object({ c: z.number().int().positive(), i: z.number().int().nonnegative() }));
const cannedMetadata = jsonValue(
  z.object({
    c: z.number().int().positive(),
    i: z.number().int().nonnegative(),
    t: z.string(),
    k: z.string().min(1),
    ch: z.string().optional(),
    ts: z.string().optional(),
    r: z.string().optional(),
  }),
);
const cannedSubmission = z.object({
  user: z.object({ id: z.string() }),
  view: z.object({
    id: z.string(),
    private_metadata: z.string(),
    state: z.object({
      values: z.object({
        [CANNED_BLOCK]: z.object({ [CANNED_ACTION]: z.object({ value: z.string().nullish() }).loose() }),
      }),
    }),
  }),
});

/**
 * Why this user cannot text this conversation now, or undefined: it is gone, it belongs to
 * someone else, its campaign is archived, or the number opted out. Checked when the modal opens
 * and again at Send, against the database.
 */
async function refusal(
  services: SlackDeps,
  detail: ConversationDetail | undefined,
  userId: string,
): Promise<string | undefined> {
  if (!detail) return "That conversation no longer exists; nothing was sent.";
  const owner = detail.conversation.volunteer_id;
  if (owner !== userId && !(await isOrganizer(services.db, services.settings.ORGANIZER_IDS, userId)))
    return owner
      ? `This conversation is <@${owner}>'s now: only they (or an organizer) can text this contact. Nothing was sent.`
      : "Only an organizer can text this contact: nobody has this conversation. Nothing was sent.";
  if (detail.campaign.state === "archived")
    return `*${detail.campaign.title}* was archived, so nothing more is texted from it. Nothing was sent.`;
  if (detail.optedOut) return ":no_entry: This number has opted out; nothing was sent.";
  return undefined;
}

/** The canned reply as this contact would get it from `userId`: merge fields filled. */
async function renderCanned(services: SlackDeps, detail: ConversationDetail, text: string, userId: string) {
  const parsed = parseTemplate(text);
  if (!parsed.ok) return text;
  const texterName = (await volunteerName(services.db, detail.campaign.id, userId)) ?? "a volunteer";
  return renderTemplate(
    parsed.template,
    mergeValues(detail.contact, { campaignTitle: detail.campaign.title, texterName }),
  );
}

/**
 * A canned reply's button opens a modal with the reply as it will be texted (merge fields
 * filled), which the volunteer may edit; only Send texts it, once, by the same path as a reply
 * written in the thread. Cancel sends nothing. A refusal at Send (opted out meanwhile, the
 * conversation moved, the campaign archived, the reply changed) is shown in the modal.
 */
export function registerCannedReplies(app: SlackRouter, services: SlackDeps): void {
  app.action<BlockButtonAction>(
    new RegExp(`^${CONVERSATION_ACTIONS.canned}:`),
    async ({ ack, body, action, respond }) => {
      await ack();
      const tell = (text: string) =>
        respond({ response_type: "ephemeral", replace_original: false, text }).catch(() => undefined);
      const parsed = buttonValue.safeParse(action.value);
      if (!parsed.success) return void (await tell("That button is not one of ours; nothing happened."));
      const detail = await loadConversation(services.db, parsed.data.c);
      const refused = await refusal(services, detail, body.user.id);
      if (refused || !detail) return void (await tell(refused ?? "That conversation no longer exists."));
      const reply = detail.campaign.canned_replies[parsed.data.i];
      if (!reply) return void (await tell("That canned reply was changed; nothing was sent."));
      const [text, lastIn] = await Promise.all([
        renderCanned(services, detail, reply.text, body.user.id),
        lastInboundId(services.db, detail.conversation.id),
      ]);
      const meta: CannedModalMetadata = {
        c: detail.conversation.id,
        i: parsed.data.i,
        t: reply.title,
        // Once per canned reply per thing they said: two modals, or a double Send, text it once.
        k: `canned:${detail.conversation.id}:${parsed.data.i}:${lastIn}`,
        ch: body.container.channel_id,
        ts: body.container.thread_ts ?? body.container.message_ts,
        r: body.response_url,
      };
      const { contact } = detail;
      await services.slack.views.open({
        trigger_id: body.trigger_id,
        view: cannedModal(meta, {
          title: reply.title,
          text,
          contactName: [contact.first_name, contact.last_name].filter(Boolean).join(" "),
          phone: contact.phone,
        }),
      });
    },
  );

  app.view(CANNED_CALLBACK, async ({ ack, body }) => {
    const refuse = (text: string) => ack({ response_action: "errors", errors: { [CANNED_BLOCK]: text } });
    const parsed = cannedSubmission.safeParse(body);
    const meta = parsed.success ? cannedMetadata.safeParse(parsed.data.view.private_metadata) : undefined;
    if (!parsed.success || !meta?.success)
      return void (await refuse("This form did not come through whole; close it and press the reply again."));
    const userId = parsed.data.user.id;
    const text = parsed.data.view.state.values[CANNED_BLOCK][CANNED_ACTION].value ?? "";
    const problem = cannedTextProblem(text);
    if (problem) return void (await refuse(problem));
    const detail = await loadConversation(services.db, meta.data.c);
    const refused = await refusal(services, detail, userId);
    if (refused || !detail) return void (await refuse(refused ?? "That conversation no longer exists."));
    const reply = detail.campaign.canned_replies[meta.data.i];
    if (!reply || reply.title !== meta.data.t)
      return void (await refuse(
        "That canned reply was changed meanwhile; nothing was sent. Close this and look again.",
      ));
    // Shown in the conversation's other threads too (the volunteer's, organizers'): see supervision.ts.
    const result = await queueReplyEverywhere(services.db, {
      conversationId: detail.conversation.id,
      body: text,
      kind: "canned",
      userId,
      idempotencyKey: meta.data.k,
      fromPhone: services.texting.fromPhone,
    });
    if (!result.ok) {
      if (result.reason === "opted_out")
        return void (await refuse(":no_entry: This number has opted out; nothing was sent."));
      if (result.reason === "empty") return void (await refuse("Write the text first: an empty text cannot be sent."));
      // The same Send twice (a double click, a retry) was texted once: close quietly.
      if ((await queuedBody(services.db, meta.data.k)) === text) return void (await ack());
      return void (await refuse(`“${reply.title}” was already sent since their last message; nothing more was sent.`));
    }
    await ack();
    services.outbox.kick();
    void services.deliveries.deliver(result.messageId);
    const { ch, ts, r } = meta.data;
    if (ch && ts) {
      await enqueuePost(services.db, {
        dedupeKey: `canned-sent:${result.messageId}`,
        channel: ch,
        payload: { ...cannedSentPost({ title: reply.title, text }), thread_ts: ts },
      }).catch((error: unknown) => services.logger.warn("posting a sent canned reply failed", error));
      services.outbox.kick();
    }
    // Only a reply that was sent records its survey answers (a double Send records once).
    if (reply.answers?.length) {
      const changed = await recordCannedAnswers(services.db, {
        campaignId: detail.campaign.id,
        conversationId: detail.conversation.id,
        questions: detail.campaign.survey_questions ?? [],
        answers: reply.answers,
        userId,
      });
      const fresh = changed && r ? await loadConversation(services.db, detail.conversation.id) : undefined;
      if (fresh && r)
        await postToResponseUrl(r, { replace_original: true, ...conversationParent(conversationView(fresh)) }).catch(
          (error: unknown) => services.logger.warn("redraw after a canned reply failed", error),
        );
    }
  });
}
