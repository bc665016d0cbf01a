// The fake Slack as a process of its own, for benchmarks whose load generator must not share
// an event loop with it: answering a few hundred posts a second on the driver's loop delays
// the driver's own clock and inflates the latencies it measures. Driven over IPC by
// slack-process.ts; counts the thread posts of each "reply N" text it accepts.
import { FakeSlack, type SlackCall } from "../../test/support/fake-slack.ts";

export type SlackProcessMessage =
  { type: "rateLimit"; method: string; fraction: number } | { type: "counts" } | { type: "stop" };

const slack = await new FakeSlack().start();
slack.recordResponses = false;
const replyPosts = new Map<string, number>();
slack.on("call", (call: SlackCall) => {
  slack.calls.length = 0; // counted below; keeping every call would only grow the heap
  // Only posts in a thread are the text itself: a conversation's parent shows its latest reply too.
  const match = /reply (\d+)/.exec(String(call.args.text ?? ""));
  if (call.method === "chat.postMessage" && call.status === 200 && call.args.thread_ts && match)
    replyPosts.set(match[1]!, (replyPosts.get(match[1]!) ?? 0) + 1);
});
process.on("message", (message: SlackProcessMessage) => {
  if (message.type === "rateLimit") slack.rateLimitFraction.set(message.method, message.fraction);
  else if (message.type === "counts") process.send!({ type: "counts", counts: [...replyPosts.values()] });
  else if (message.type === "stop") void slack.stop().then(() => process.exit(0));
});
process.send!({ type: "ready", url: slack.url, apiUrl: slack.apiUrl, botToken: slack.botToken });
