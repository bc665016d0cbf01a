import { campaignById } from "../../campaigns/campaigns.ts";
import type { BlockButtonAction } from "@slack/bolt";
import { campaignSummaries, volunteerHome } from "../../campaigns/dashboard.ts";
import { isOrganizer } from "../../campaigns/organizers.ts";
import type { SlackDeps } from "../deps.ts";
import { HOME_ACTIONS, organizerHome, volunteerHomeView } from "../blocks/home.ts";
import { nextCardMessage } from "../cards.ts";
import { mayShowCampaign, touchVolunteer } from "../../campaigns/volunteers.ts";
import { SHIFT_JOIN_ACTION } from "../shift-posts.ts";
import type { SlackRouter } from "../router.ts";

/** Publishes the App Home: every campaign for organizers, their own texting for volunteers. */
export async function publishHome(services: SlackDeps, userId: string): Promise<void> {
  const organizer = await isOrganizer(services.db, services.settings.ORGANIZER_IDS, userId);
  const now = services.now();
  const view = organizer
    ? (({ rows, total }) => organizerHome(rows, total))(await campaignSummaries(services.db, 48))
    : volunteerHomeView(await volunteerHome(services.db, userId, new Date(now.getTime() - 24 * 3600 * 1000)));
  await services.slack.views.publish({ user_id: userId, view });
}

export function registerHome(app: SlackRouter, services: SlackDeps): void {
  app.event("app_home_opened", async ({ event }) => {
    if (event.tab !== "home") return;
    await publishHome(services, event.user).catch((error: unknown) =>
      services.logger.warn("views.publish failed", error),
    );
  });

  // Start shift on the App Home and Join shift on a scheduled shift's kickoff do the same.
  app.action<BlockButtonAction>(
    new RegExp(`^(${HOME_ACTIONS.startShift}|${SHIFT_JOIN_ACTION})$`),
    async ({ ack, body, action }) => {
      await ack();
      const campaign = await campaignById(services.db, Number(action.value) || 0);
      if (!campaign) return;
      if (campaign.state !== "active") {
        // Only active campaigns are shown to someone who is neither an organizer nor one of its volunteers.
        const known = await mayShowCampaign(services.db, services.settings.ORGANIZER_IDS, campaign, body.user.id);
        await services.slack.chat.postMessage({
          channel: body.user.id,
          text: known
            ? `*${campaign.title}* is ${campaign.state}; nothing to text right now.`
            : "That campaign is not open for texting. See `/campaign list` for the ones that are.",
        });
        return;
      }
      const card = await nextCardMessage(services, campaign, body.user.id);
      const posted = await services.slack.chat.postMessage({
        channel: body.user.id,
        text: card.text,
        blocks: card.blocks,
      });
      await touchVolunteer(services.db, campaign.id, body.user.id, { onShift: true, dmChannel: posted.channel });
    },
  );

  // The organizer's campaign buttons (Upload, Script, Launch, Pause, Stats, Export): actions/campaign-buttons.ts.
}
