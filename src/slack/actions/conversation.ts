import type { BlockAction, BlockButtonAction, RespondFn, StaticSelectAction } from "@slack/bolt";
import { z } from "zod";
import { jsonValue } from "../json-value.ts";
import {
  loadConversation,
  recordOutcome,
  type ConversationDetail,
} from "../../campaigns/conversations/conversations.ts";
import { isOrganizer } from "../../campaigns/organizers.ts";
import { autoReplyText, optOutFromThread } from "../../campaigns/opt-outs/replies.ts";
import { postToResponseUrl } from "../../http/outbound.ts";
import type { SlackDeps } from "../deps.ts";
import {
  CONVERSATION_ACTIONS,
  conversationParent,
  OPT_OUT_ACTION,
  OPT_OUT_BLOCK,
  OPT_OUT_CALLBACK,
  OPT_OUT_SEND_REPLY,
  optOutModal,
} from "../blocks/conversation.ts";
import { conversationView } from "../conversation-view.ts";
import type { SlackRouter } from "../router.ts";
import { registerCannedReplies } from "./canned.ts";

const actionValue = jsonValue(
  z.object({
    c: z.number().int().positive(),
    i: z.number().int().nonnegative().optional(),
    t: z.number().int().nonnegative().optional(),
  }),
);

const optOutMetadata = jsonValue(z.object({ c: z.number().int().positive(), r: z.string().optional() }));
const optOutSubmission = z.object({
  user: z.object({ id: z.string() }),
  view: z.object({
    id: z.string(),
    private_metadata: z.string(),
    state: z.object({
      values: z.object({
        [OPT_OUT_BLOCK]: z.object({
          [OPT_OUT_ACTION]: z
            .object({ selected_options: z.array(z.object({ value: z.string() }).loose()).nullish() })
            .loose(),
        }),
      }),
    }),
  }),
});

/**
 * The buttons on a conversation's thread parent: canned replies (a modal: ./canned.ts), outcome tags, Opt out.
 * Each checks that the presser has the conversation (or organizes), then acts; the parent is
 * redrawn through the click's response_url, which is not rate limited like chat.update.
 */
export function registerConversationActions(app: SlackRouter, services: SlackDeps): void {
  const guard = async (
    body: Pick<BlockButtonAction, "user">,
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

  // A canned reply's button opens a modal to check (and edit) the text; only its Send texts it.
  registerCannedReplies(app, services);

  // An outcome tag: a button (`conv_tag:<i>`), or the menu that replaces them past four tags,
  // whose option carries the same value. One path for both.
  const tagIt = async (body: Pick<BlockButtonAction, "user">, value: string | undefined, respond: RespondFn) => {
    const ok = await guard(body, value, respond);
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
  };
  app.action<BlockButtonAction>(new RegExp(`^${CONVERSATION_ACTIONS.tag}:`), async ({ ack, body, action, respond }) => {
    await ack();
    await tagIt(body, action.value, respond);
  });
  app.action<BlockAction<StaticSelectAction>>(
    CONVERSATION_ACTIONS.tagSelect,
    async ({ ack, body, action, respond }) => {
      await ack();
      await tagIt(body, action.selected_option?.value, respond);
    },
  );

  // Opt out asks first: a modal with the opt-out reply this contact would get and a checkbox to
  // send it. Nothing changes until it is confirmed; Cancel just closes it.
  app.action<BlockButtonAction>(CONVERSATION_ACTIONS.optOut, async ({ ack, body, action, respond }) => {
    await ack();
    const ok = await guard(body, action.value, respond);
    if (!ok) return;
    const { conversation, contact, campaign } = ok.detail;
    if (ok.detail.optedOut) {
      await respond({
        response_type: "ephemeral",
        replace_original: false,
        text: ":no_entry: This number has already opted out; nothing more will be sent.",
      }).catch(() => undefined);
      await redraw(respond, conversation.id);
      return;
    }
    const reply = await autoReplyText(services.db, "opt_out", {
      campaignId: campaign.id,
      contactId: contact.id,
      volunteerId: conversation.volunteer_id,
    });
    const name = [contact.first_name, contact.last_name].filter(Boolean).join(" ");
    await services.slack.views.open({
      trigger_id: body.trigger_id,
      view: optOutModal(
        { c: conversation.id, r: body.response_url },
        { contactName: name, phone: contact.phone, reply },
      ),
    });
  });

  app.view(OPT_OUT_CALLBACK, async ({ ack, body }) => {
    const refuse = (text: string) => ack({ response_action: "errors", errors: { [OPT_OUT_BLOCK]: text } });
    const parsed = optOutSubmission.safeParse(body);
    const meta = parsed.success ? optOutMetadata.safeParse(parsed.data.view.private_metadata) : undefined;
    if (!parsed.success || !meta?.success)
      return void (await refuse("This form did not come through whole; close it and press Opt out again."));
    const { user, view } = parsed.data;
    const detail = await loadConversation(services.db, meta.data.c);
    if (!detail) return void (await refuse("That conversation no longer exists. Nothing was changed."));
    const owner = detail.conversation.volunteer_id;
    if (owner !== user.id && !(await isOrganizer(services.db, services.settings.ORGANIZER_IDS, user.id)))
      return void (await refuse(
        owner
          ? `Only <@${owner}> (who has this conversation) or an organizer can do that. Nothing was changed.`
          : "Only an organizer can do that: nobody has this conversation. Nothing was changed.",
      ));
    const selected = view.state.values[OPT_OUT_BLOCK][OPT_OUT_ACTION].selected_options ?? [];
    const result = await optOutFromThread(services.db, {
      conversationId: detail.conversation.id,
      userId: user.id,
      sendReply: selected.some((option) => option.value === OPT_OUT_SEND_REPLY),
      fromPhone: services.texting.fromPhone,
      requestKey: view.id,
    });
    if (!result.ok) return void (await refuse("That conversation no longer exists. Nothing was changed."));
    await ack();
    if (result.replyId !== undefined) void services.deliveries.deliver(result.replyId);
    // The parent shows the opt-out (and loses its canned replies), through the click's response_url.
    const fresh = meta.data.r ? await loadConversation(services.db, detail.conversation.id) : undefined;
    if (fresh && meta.data.r)
      await postToResponseUrl(meta.data.r, {
        replace_original: true,
        ...conversationParent(conversationView(fresh)),
      }).catch((error: unknown) => services.logger.warn("redraw after opt-out failed", error));
  });
}
