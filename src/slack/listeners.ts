import type { App } from "@slack/bolt";
import type { Services } from "../services.ts";
import { registerCommands } from "./commands/index.ts";
import { registerCardActions } from "./actions/card.ts";
import { registerConversationActions } from "./actions/conversation.ts";
import { registerThreadReplies } from "./events/thread-replies.ts";
import { registerHome } from "./events/home.ts";
import { registerUploadViews } from "./views/upload-modal.ts";
import { registerScriptViews } from "./views/script-modal.ts";

/**
 * Every Slack listener the app has, by surface. A feature adds its `register…` call here:
 * commands (slash), actions (buttons), views (modals), events (messages, App Home).
 */
export function registerListeners(app: App, services: Services): void {
  registerCommands(app, services);
  registerCardActions(app, services);
  registerConversationActions(app, services);
  registerThreadReplies(app, services);
  registerHome(app, services);
  registerUploadViews(app, services);
  registerScriptViews(app, services);
}
