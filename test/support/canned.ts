import { press, type CardButton } from "./cards.ts";
import type { Harness } from "./harness.ts";

export interface CannedModal {
  callback_id: string;
  private_metadata: string;
  blocks: { type: string; block_id?: string; element?: { initial_value?: string; max_length?: number } }[];
  submit?: { text: string };
}

/**
 * Presses a canned reply's button as Slack sends it and returns the modal it opened (found by
 * the click's response_url, which the modal carries), with the text it was prefilled with.
 */
export async function openCanned(h: Harness, user: string, button: CardButton) {
  const { responseUrl } = await press(h, user, button);
  const open = await h.slack.waitForCall(
    "views.open",
    (c) => (JSON.parse((c.args.view as CannedModal).private_metadata) as { r?: string }).r === responseUrl,
  );
  const view = open.args.view as CannedModal;
  const box = view.blocks.find((b) => b.block_id === "canned_text");
  return { view, responseUrl, text: box?.element?.initial_value ?? "" };
}

let views = 0;

/** The modal's Send, as Slack posts it: `text` in the box (null: emptied); the same `viewId` again is a double submit. */
export function submitCanned(
  h: Harness,
  user: string,
  view: CannedModal,
  text: string | null,
  viewId = `VCANNED${++views}`,
) {
  return h.interact({
    type: "view_submission",
    team: { id: "T0001", domain: "fake" },
    user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: "T0001" },
    api_app_id: "A0001",
    view: {
      id: viewId,
      team_id: "T0001",
      type: "modal",
      callback_id: view.callback_id,
      private_metadata: view.private_metadata,
      hash: "1700000000.cann",
      state: { values: { canned_text: { value: { type: "plain_text_input", value: text } } } },
    },
  });
}

/** Opens the modal and presses Send on the text as prefilled. */
export async function sendCanned(h: Harness, user: string, button: CardButton) {
  const opened = await openCanned(h, user, button);
  const res = await submitCanned(h, user, opened.view, opened.text);
  return { ...opened, res };
}
