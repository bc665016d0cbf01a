// The floor for the send benchmark: a bare Bolt app with the same receiver that acks the
// same signed block_actions request and posts a static card to the response_url.
import { App, HTTPReceiver, LogLevel } from "@slack/bolt";

const receiver = new HTTPReceiver({
  signingSecret: process.env.SLACK_SIGNING_SECRET!,
  endpoints: "/slack/events",
  logLevel: LogLevel.ERROR,
});
const app = new App({
  receiver,
  token: process.env.SLACK_BOT_TOKEN,
  clientOptions: { slackApiUrl: process.env.SLACK_API_URL },
  logLevel: LogLevel.ERROR,
  deferInitialization: true,
});
await app.init();
const card = {
  text: "Next contact",
  blocks: [
    { type: "header", text: { type: "plain_text", text: "Static card" } },
    { type: "section", text: { type: "mrkdwn", text: "*Someone* •••0000\n>Hi there, this is a static card." } },
    {
      type: "actions",
      elements: [
        { type: "button", action_id: "card_send", text: { type: "plain_text", text: "Send" }, value: '{"k":1,"t":0}' },
      ],
    },
  ],
};
app.action("card_send", async ({ ack, respond }) => {
  await ack();
  await respond({ replace_original: true, ...card });
});
await app.start(Number(process.env.PORT));
console.log("floor listening");
