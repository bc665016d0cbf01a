import type { Harness } from "./harness.ts";

export interface CardButton {
  action_id: string;
  value: string;
  block_id: string;
}

type Block = {
  type: string;
  block_id?: string;
  text?: { text?: string };
  elements?: { action_id?: string; value?: string; text?: unknown }[];
  accessory?: { type?: string; action_id?: string; value?: string };
};

/** The buttons of a message (in actions blocks, or beside a section's text), by action_id; the first of each. */
export function buttonsOf(blocks: unknown): Record<string, CardButton> {
  const out: Record<string, CardButton> = {};
  for (const block of (blocks as Block[] | undefined) ?? []) {
    const side = block.accessory;
    if (block.type === "section" && side?.type === "button" && side.action_id && !out[side.action_id])
      out[side.action_id] = { action_id: side.action_id, value: side.value ?? "", block_id: block.block_id ?? "" };
    if (block.type !== "actions") continue;
    for (const element of block.elements ?? []) {
      if (element.action_id)
        out[element.action_id] = {
          action_id: element.action_id,
          value: element.value ?? "",
          block_id: block.block_id ?? "",
        };
    }
  }
  return out;
}

export function textOf(blocks: unknown): string {
  return JSON.stringify(blocks ?? []);
}

/** Presses a button as Slack sends it: a signed block_actions payload with a fresh response_url. */
export async function press(
  h: Harness,
  user: string,
  button: CardButton,
  { port, responseUrl }: { port?: number; responseUrl?: string } = {},
) {
  const url = responseUrl ?? h.slack.responseUrl();
  const res = await h.interact(
    {
      type: "block_actions",
      user: { id: user, username: user.toLowerCase(), team_id: "T0001" },
      api_app_id: "A0001",
      token: "unused",
      team: { id: "T0001", domain: "fake" },
      container: {
        type: "message",
        message_ts: "1700000000.000100",
        channel_id: `D${user.slice(1)}`,
        is_ephemeral: false,
      },
      channel: { id: `D${user.slice(1)}`, name: "directmessage" },
      trigger_id: `trigger.${Math.random().toString(36).slice(2)}`,
      response_url: url,
      actions: [
        {
          type: "button",
          action_id: button.action_id,
          block_id: button.block_id,
          value: button.value,
          text: { type: "plain_text", text: "x" },
          action_ts: String(Date.now() / 1000),
        },
      ],
    },
    { port },
  );
  return { status: res.status, responseUrl: url };
}

/** Starts a shift and returns the first card as posted to the volunteer's DM. */
export async function startShift(h: Harness, user: string, slug: string) {
  const before = h.slack.callsTo("chat.postMessage").length;
  const answer = await h.commandText(user, `shift ${slug}`);
  const call = await h.slack.waitForCall(
    "chat.postMessage",
    (c) => c.args.channel === user && h.slack.callsTo("chat.postMessage").indexOf(c) >= before,
  );
  return { answer, blocks: call.args.blocks, text: String(call.args.text ?? "") };
}

/** Presses a card button and waits for the card that replaces it. */
export async function pressAndWait(h: Harness, user: string, button: CardButton) {
  const { responseUrl } = await press(h, user, button);
  const post = await h.slack.waitForResponse(responseUrl);
  return { blocks: post.body.blocks, text: String(post.body.text ?? ""), body: post.body };
}
