import type { App } from "@slack/bolt";
import type { SlackDeps } from "./deps.ts";
import { ListenerRouter } from "./router.ts";
import { tellClickFailure } from "./failures.ts";
import { registerCommands } from "./commands/index.ts";
import { registerCardActions } from "./actions/card.ts";
import { registerConversationActions } from "./actions/conversation.ts";
import { registerSurveyActions } from "./actions/survey.ts";
import { registerThreadReplies } from "./events/thread-replies.ts";
import { registerHome } from "./events/home.ts";
import { registerCampaignButtons } from "./actions/campaign-buttons.ts";
import { registerUploadViews } from "./views/upload-modal.ts";
import { registerScriptViews } from "./views/script-modal.ts";
import { registerShiftButtons } from "./actions/shift-buttons.ts";
import { registerRenameViews } from "./views/rename-modal.ts";
import { registerOptOutActions } from "./actions/optouts.ts";
import { registerOptOutImportViews } from "./views/optouts-import.ts";
import { registerFollowupCardActions } from "./actions/followup-card.ts";
import { registerFollowupViews } from "./views/followup-modal.ts";
import { registerReviewViews } from "./views/review-modal.ts";
import { registerSupervisionActions } from "./actions/supervise.ts";

/**
 * Every Slack listener the app has, by surface. A feature adds its `register…` call here:
 * commands (slash), actions (buttons), views (modals), events (messages, App Home).
 */
export function registerListeners(app: App, services: SlackDeps): void {
  // A button that fails after its ack is told to the presser, never left silent.
  const router = new ListenerRouter((body, error) => tellClickFailure(services, body, error));
  const on = router.registry;
  registerCommands(on, services);
  registerCardActions(on, services);
  registerShiftButtons(on, services);
  registerRenameViews(on, services);
  registerFollowupCardActions(on, services);
  registerConversationActions(on, services);
  registerSurveyActions(on, services);
  registerThreadReplies(on, services);
  registerHome(on, services);
  registerCampaignButtons(on, services);
  registerUploadViews(on, services);
  registerScriptViews(on, services);
  registerOptOutActions(on, services);
  registerOptOutImportViews(on, services);
  registerFollowupViews(on, services);
  registerReviewViews(on, services);
  registerSupervisionActions(on, services);
  // Bolt gets one listener per kind of request (see router.ts).
  router.mount(app);
}
