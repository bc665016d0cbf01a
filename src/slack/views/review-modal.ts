import { randomBytes } from "node:crypto";
import type { BlockAction } from "@slack/bolt";
import type { View } from "@slack/types";
import { z } from "zod";
import { campaignById } from "../../campaigns/campaigns.ts";
import { isOrganizer } from "../../campaigns/organizers.ts";
import { MAX_FILTER_LENGTH, parseReviewFilter } from "../../campaigns/review/filter.ts";
import {
  createReviewJob,
  resolveReviewFilter,
  reviewPage,
  type ResolvedReviewFilter,
  type ReviewKey,
} from "../../campaigns/review/review.ts";
import type { Campaign } from "../../db/schema.ts";
import {
  REVIEW_ACTIONS,
  REVIEW_ALL_CALLBACK,
  REVIEW_BLOCKS,
  reviewAllView,
  reviewModal,
  type ReviewMetadata,
} from "../blocks/review.ts";
import type { SlackDeps } from "../deps.ts";
import { failureNotice } from "../failures.ts";
import { jsonValue } from "../json-value.ts";
import { moveOne, runReviewJobs } from "../review-jobs.ts";
import type { SlackRouter } from "../router.ts";

const key = z.object({
  t: z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/),
  i: z.number().int().positive(),
});
const metadataSchema = jsonValue(
  z.object({
    c: z.number().int().positive(),
    f: z.string().max(MAX_FILTER_LENGTH),
    p: z.number().int().positive().optional(),
    a: key.optional(),
  }),
);
const nextValue = jsonValue(z.object({ a: key }));
const previousValue = jsonValue(z.object({ b: key }));

/** Builds the modal for one page of the review. */
async function pageView(
  services: SlackDeps,
  input: {
    campaign: Campaign;
    filter: ResolvedReviewFilter;
    page: number;
    place: { after?: ReviewKey; before?: ReviewKey };
    notice?: string;
  },
): Promise<View> {
  const found = await reviewPage(services.db, input.campaign.id, input.filter, input.place);
  const page = found.restarted ? 1 : input.page;
  const meta: ReviewMetadata = {
    c: input.campaign.id,
    f: input.filter.label,
    p: page,
    ...(found.after ? { a: found.after } : {}),
  };
  return reviewModal({
    campaignTitle: input.campaign.title,
    label: input.filter.label,
    meta,
    rows: found.rows,
    more: found.more,
    now: services.now(),
    notice: input.notice,
  });
}

/** `/campaign review <slug> [filter…]`, checked already: the first page, in a modal. */
export async function openReviewModal(
  services: SlackDeps,
  input: { triggerId: string; campaign: Campaign; filter: ResolvedReviewFilter },
): Promise<void> {
  const view = await pageView(services, { campaign: input.campaign, filter: input.filter, page: 1, place: {} });
  await services.slack.views.open({ trigger_id: input.triggerId, view });
}

type Access = { campaign: Campaign; filter: ResolvedReviewFilter; meta: ReviewMetadata } | { problem: string };

/** The campaign and filter a review modal carries, if the user organizes and the filter still resolves. */
async function authorize(
  services: SlackDeps,
  userId: string,
  privateMetadata: unknown,
  doing: string,
): Promise<Access> {
  if (!(await isOrganizer(services.db, services.settings.ORGANIZER_IDS, userId)))
    return { problem: `Only organizers can ${doing}; nothing changed.` };
  const meta = metadataSchema.safeParse(privateMetadata);
  if (!meta.success) return { problem: "This review did not come through whole; run `/campaign review` again." };
  const campaign = await campaignById(services.db, meta.data.c);
  if (!campaign) return { problem: "This campaign no longer exists; see `/campaign list`." };
  const parsed = parseReviewFilter(meta.data.f);
  const resolved = parsed.ok ? await resolveReviewFilter(services.db, campaign, parsed.filter) : parsed;
  if (!resolved.ok) return { problem: resolved.problem };
  return { campaign, filter: resolved.filter, meta: { ...meta.data, p: meta.data.p ?? 1 } };
}

const viewAction = z.object({
  user: z.object({ id: z.string() }),
  trigger_id: z.string().optional(),
  view: z.object({ id: z.string(), private_metadata: z.string() }),
  actions: z
    .array(
      z
        .object({
          block_id: z.string().optional(),
          value: z.string().nullish(),
          selected_user: z.string().nullish(),
        })
        .loose(),
    )
    .min(1),
});

const allSubmission = z.object({
  user: z.object({ id: z.string() }),
  view: z.object({
    private_metadata: z.string(),
    state: z.object({
      values: z.object({
        [REVIEW_BLOCKS.allTarget]: z.object({
          [REVIEW_ACTIONS.allTarget]: z.object({ selected_user: z.string().nullish() }).loose(),
        }),
      }),
    }),
  }),
});

/** A modal with only a line saying why: the review itself could not be drawn. */
const noticeView = (text: string): View => ({
  type: "modal",
  title: { type: "plain_text", text: "Review" },
  close: { type: "plain_text", text: "Close" },
  blocks: [{ type: "section", text: { type: "mrkdwn", text } }],
});

/**
 * Paging, a row's Reassign, and "Reassign all matching" in the review modal. Every click is
 * checked against the database (an organizer, the campaign, the filter, the conversation's own
 * campaign), so a forged or stale one changes nothing and the modal says why. The Open button is
 * another feature's.
 */
export function registerReviewViews(app: SlackRouter, services: SlackDeps): void {
  const update = async (viewId: string, view: View) => {
    await services.slack.views.update({ view_id: viewId, view });
  };

  /** Redraws the page this modal shows (from where it starts), with a notice on top. */
  const redraw = async (viewId: string, access: Extract<Access, { campaign: Campaign }>, notice: string) =>
    update(
      viewId,
      await pageView(services, {
        campaign: access.campaign,
        filter: access.filter,
        page: access.meta.p,
        place: access.meta.a ? { after: access.meta.a } : {},
        notice,
      }),
    );

  const paging = (direction: "next" | "previous") =>
    app.action<BlockAction>(REVIEW_ACTIONS[direction], async ({ ack, body }) => {
      await ack();
      const parsed = viewAction.safeParse(body);
      if (!parsed.success) return;
      const { user, view, actions } = parsed.data;
      const access = await authorize(services, user.id, view.private_metadata, "review conversations");
      if ("problem" in access) return update(view.id, noticeView(access.problem));
      const value = actions[0]!.value ?? undefined;
      if (direction === "next") {
        const next = nextValue.safeParse(value);
        if (!next.success) return redraw(view.id, access, "That button is not one of ours; nothing changed.");
        return update(
          view.id,
          await pageView(services, { ...access, page: access.meta.p + 1, place: { after: next.data.a } }),
        );
      }
      const previous = previousValue.safeParse(value);
      if (!previous.success) return redraw(view.id, access, "That button is not one of ours; nothing changed.");
      const page = Math.max(1, access.meta.p - 1);
      return update(
        view.id,
        await pageView(services, { ...access, page, place: page === 1 ? {} : { before: previous.data.b } }),
      );
    });
  paging("next");
  paging("previous");

  app.action<BlockAction>(REVIEW_ACTIONS.reassign, async ({ ack, body }) => {
    await ack();
    const parsed = viewAction.safeParse(body);
    if (!parsed.success) return;
    const { user, view, actions } = parsed.data;
    const access = await authorize(services, user.id, view.private_metadata, "move conversations");
    if ("problem" in access) return update(view.id, noticeView(access.problem));
    const action = actions[0]!;
    const conversationId = Number(
      action.block_id?.startsWith(REVIEW_BLOCKS.rowPrefix)
        ? action.block_id.slice(REVIEW_BLOCKS.rowPrefix.length)
        : NaN,
    );
    const to = action.selected_user ?? undefined;
    if (!Number.isSafeInteger(conversationId) || conversationId <= 0 || !to || !/^[UW][A-Z0-9]+$/.test(to))
      return redraw(view.id, access, "⚠️ That choice is not one of ours; nothing changed.");
    let notice: string;
    try {
      const result = await moveOne(services, {
        organizer: user.id,
        campaignId: access.campaign.id,
        campaignTitle: access.campaign.title,
        conversationId,
        to,
      });
      notice =
        result.kind === "moved"
          ? `✅ Moved that conversation to <@${to}>: it continues in their DM with its history` +
            (result.from ? `, and <@${result.from}> was told.` : ".")
          : result.kind === "already"
            ? `<@${to}> already has that conversation; nothing changed.`
            : result.kind === "gone"
              ? "⚠️ That conversation no longer exists; nothing changed."
              : result.kind === "opted_out"
                ? "⛔ That number opted out, so the conversation stays where it is; nothing changed."
                : "⚠️ That conversation belongs to another campaign; nothing changed.";
    } catch (error) {
      notice = `⚠️ That did not go through. ${failureNotice(services.logger, "review reassign", error)}`;
    }
    await redraw(view.id, access, notice);
  });

  app.action<BlockAction>(REVIEW_ACTIONS.all, async ({ ack, body }) => {
    await ack();
    const parsed = viewAction.safeParse(body);
    if (!parsed.success || !parsed.data.trigger_id) return;
    const { user, view, trigger_id } = parsed.data;
    const access = await authorize(services, user.id, view.private_metadata, "move conversations");
    if ("problem" in access) return update(view.id, noticeView(access.problem));
    await services.slack.views.push({
      trigger_id,
      view: reviewAllView({ campaignTitle: access.campaign.title, label: access.filter.label, meta: access.meta }),
    });
  });

  app.view(REVIEW_ALL_CALLBACK, async ({ ack, body }) => {
    const error = (text: string) => ack({ response_action: "errors", errors: { [REVIEW_BLOCKS.allTarget]: text } });
    const parsed = allSubmission.safeParse(body);
    if (!parsed.success) return error("This form did not come through whole; close it and try again.");
    const { user, view } = parsed.data;
    const access = await authorize(services, user.id, view.private_metadata, "move conversations");
    if ("problem" in access) return error(access.problem);
    const to = view.state.values[REVIEW_BLOCKS.allTarget][REVIEW_ACTIONS.allTarget].selected_user;
    if (!to || !/^[UW][A-Z0-9]+$/.test(to)) return error("Pick who gets the conversations.");
    const token = randomBytes(8).toString("hex");
    const jobId = await createReviewJob(services.db, {
      campaignId: access.campaign.id,
      requestedBy: user.id,
      target: to,
      filter: access.filter.label,
      token,
    });
    // Every view of the review closes; the work goes on after, and a summary comes by DM.
    await ack({ response_action: "clear" });
    void runReviewJobs(services, { jobId, token }).catch((failure: unknown) =>
      services.logger.error(`reassign all matching (job ${jobId}) stopped; it carries on later`, failure),
    );
  });
}
