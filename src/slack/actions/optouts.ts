import type { BlockButtonAction } from "@slack/bolt";
import { z } from "zod";
import { isOrganizer } from "../../campaigns/organizers.ts";
import { findOptOut, removeOptOut } from "../../campaigns/opt-outs/manage.ts";
import type { SlackDeps } from "../deps.ts";
import { OPTOUT_ACTIONS, optOutLine } from "../blocks/optouts.ts";
import { maskPhone } from "../blocks/text.ts";
import { jsonValue } from "../json-value.ts";
import type { SlackRouter } from "../router.ts";

const E164 = z.string().regex(/^\+[1-9]\d{1,14}$/);
/** Remove carries the opt-out it asked about (its time), so it never removes a newer one. */
const removeValue = jsonValue(z.object({ p: E164, s: z.number().int() }));
const cancelValue = jsonValue(z.object({ p: E164 }));

/** The Remove and Cancel buttons of `/campaign optouts remove`: the answer replaces the question. */
export function registerOptOutActions(app: SlackRouter, services: SlackDeps): void {
  const answer = (respond: (message: Record<string, unknown>) => Promise<unknown>, text: string) =>
    respond({ response_type: "ephemeral", replace_original: true, text });
  const organizer = (userId: string) => isOrganizer(services.db, services.settings.ORGANIZER_IDS, userId);

  app.action<BlockButtonAction>(OPTOUT_ACTIONS.remove, async ({ ack, body, action, respond }) => {
    await ack();
    const parsed = removeValue.safeParse(action.value);
    if (!parsed.success) return void (await answer(respond, "That button is not one of ours; nothing was changed."));
    if (!(await organizer(body.user.id)))
      return void (await answer(respond, "Only organizers can change the opt-out list; nothing was changed."));
    const { p: phone, s: since } = parsed.data;
    const result = await removeOptOut(services.db, { phone, since, actor: body.user.id });
    if (result === "removed") {
      return void (await answer(
        respond,
        `:white_check_mark: Took ${maskPhone(phone)} off the opt-out list. Its contacts that were never texted ` +
          `are back in their campaigns' pools.`,
      ));
    }
    if (result === "not_listed")
      return void (await answer(
        respond,
        `${maskPhone(phone)} is not on the opt-out list any more; nothing to remove.`,
      ));
    const now = await findOptOut(services.db, phone);
    await answer(
      respond,
      `The opt-out of ${maskPhone(phone)} changed since you asked, so nothing was removed.` +
        `${now ? ` ${optOutLine(now)}` : ""} Run \`/campaign optouts remove\` again if it should go.`,
    );
  });

  app.action<BlockButtonAction>(OPTOUT_ACTIONS.cancel, async ({ ack, action, respond }) => {
    await ack();
    const parsed = cancelValue.safeParse(action.value);
    const who = parsed.success ? maskPhone(parsed.data.p) : "The number";
    await answer(respond, `${who} stays on the opt-out list; nothing was changed.`);
  });
}
