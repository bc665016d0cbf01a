import type { Campaign } from "../../db/schema.ts";
import type { SlackDeps } from "../deps.ts";
import { scriptModal, type ScriptModalMetadata } from "../blocks/script.ts";
import { countsFor, previewFor } from "./script-preview.ts";

interface Keystroke {
  text: string;
  hash: string | undefined;
  campaign: Campaign;
  meta: ScriptModalMetadata;
}

interface OpenView {
  next?: Keystroke;
  /** Slack's action_ts of the newest keystroke seen: handlers finish out of order, keystrokes do not. */
  newest: number;
  /** The drawing loop while it runs. */
  drawing?: Promise<void>;
  /** The hash our own last update got back: newer than one sent with an earlier keystroke. */
  hash?: string;
  meta?: ScriptModalMetadata;
  touched: number;
}

const IDLE_MS = 30 * 60_000;

/**
 * The preview under the opening message, following the typing. Keystrokes arrive faster
 * than previews are drawn, so each view draws one at a time, always the latest text, and
 * passes Slack the newest hash it knows: an update based on a stale view is refused by
 * Slack instead of overwriting a newer preview. The promise `request` returns settles when
 * the view shows the latest keystroke.
 */
export class LivePreviews {
  private readonly views = new Map<string, OpenView>();

  constructor(private readonly services: SlackDeps) {}

  request(
    viewId: string,
    hash: string | undefined,
    text: string,
    typedAt: number,
    access: { campaign: Campaign; meta: ScriptModalMetadata },
  ): Promise<void> {
    let view = this.views.get(viewId);
    if (!view) {
      this.forgetIdle();
      view = { touched: Date.now(), newest: 0 };
      this.views.set(viewId, view);
    }
    // An earlier keystroke whose handler finished late would put back text already typed over.
    if (typedAt < view.newest) return view.drawing ?? Promise.resolve();
    view.newest = typedAt;
    view.next = { text, hash, ...access };
    view.touched = Date.now();
    view.drawing ??= this.draw(viewId, view);
    return view.drawing;
  }

  /** Draws until the latest keystroke is shown; never rejects. */
  private async draw(viewId: string, view: OpenView): Promise<void> {
    try {
      while (view.next) {
        const keystroke = view.next;
        view.next = undefined;
        // Counts already made for this modal carry over, so a field is counted once per modal.
        const meta = await countsFor(this.services, keystroke.campaign.id, keystroke.text, {
          ...keystroke.meta,
          ...view.meta,
        });
        view.meta = meta;
        const preview = await previewFor(this.services, keystroke.campaign, keystroke.text, meta);
        const hash = view.hash ?? keystroke.hash;
        try {
          const updated = await this.services.slack.views.update({
            view_id: viewId,
            ...(hash ? { hash } : {}),
            view: scriptModal(keystroke.campaign, preview, meta, "Preview as you type"),
          });
          view.hash = updated.view?.hash;
        } catch (error) {
          view.hash = undefined; // the next keystroke brings the hash Slack has now
          if ((error as { data?: { error?: string } }).data?.error !== "hash_conflict") throw error;
        }
      }
    } catch (error) {
      this.services.logger.warn("live script preview failed", error);
    } finally {
      view.drawing = undefined;
    }
  }

  private forgetIdle(): void {
    if (this.views.size < 200) return;
    const cutoff = Date.now() - IDLE_MS;
    for (const [id, view] of this.views) if (!view.drawing && view.touched < cutoff) this.views.delete(id);
  }
}
