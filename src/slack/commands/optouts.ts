import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CountryCode } from "libphonenumber-js";
import { normalizePhone } from "../../campaigns/contacts/normalize.ts";
import { addOptOut, exportOptOuts, findOptOut, lastOptIn } from "../../campaigns/opt-outs/manage.ts";
import { EXAMPLE_PHONE, optOutLine, removeQuestion, slackTime } from "../blocks/optouts.ts";
import { maskPhone, truncate } from "../blocks/text.ts";
import { uploadFile } from "../files.ts";
import { optOutImportModal } from "../views/optouts-import.ts";
import { reply, usageReply, type CommandContext, type CommandSpec, type Reply } from "./types.ts";

const ACTIONS = ["check", "add", "remove", "import", "export"] as const;

/** The number typed after check/add/remove, in E.164, or the answer to give instead. */
function phoneArgument(
  text: string,
  action: string,
  country: CountryCode,
): { phone: string; problem?: undefined } | { phone?: undefined; problem: Reply } {
  // Slack may hand a number over as a tel: link.
  const typed = text.replace(/^<tel:([^|>]*)(?:\|([^>]*))?>$/, (_, tel: string, shown?: string) => shown ?? tel);
  if (!typed.trim())
    return { problem: usageReply(optouts, `Give the number: \`/campaign optouts ${action} ${EXAMPLE_PHONE}\`.`) };
  const parsed = normalizePhone(typed, country);
  if (parsed.ok) return { phone: parsed.e164 };
  const shown = truncate(typed.replace(/[`\n]/g, " ").trim(), 40);
  return {
    problem: reply(
      `\`${shown}\` is not a phone number (${parsed.reason}): give a full number such as ${EXAMPLE_PHONE}.` +
        (action === "check" ? "" : " Nothing was changed."),
    ),
  };
}

async function check(ctx: CommandContext, phone: string): Promise<Reply> {
  const record = await findOptOut(ctx.services.db, phone);
  if (record) return reply(`:no_entry: ${optOutLine(record)} Nobody in any campaign will text it.`);
  const back = await lastOptIn(ctx.services.db, phone);
  const history = back
    ? ` It was taken off the list ${slackTime(back.at)}` +
      (back.by ? ` by <@${back.by}>.` : back.source === "sms" ? " when they texted START." : ".")
    : "";
  return reply(`:white_check_mark: ${maskPhone(phone)} is not on the opt-out list: campaigns may text it.${history}`);
}

async function add(ctx: CommandContext, phone: string): Promise<Reply> {
  const result = await addOptOut(ctx.services.db, { phone, actor: ctx.userId });
  if (!result.added) return reply(`${optOutLine(result.existing)} It is already on the list; nothing was changed.`);
  return reply(
    `:no_entry: Added ${maskPhone(phone)} to the opt-out list. Nobody in any campaign will text it again; ` +
      `its contacts waiting to be texted left their campaigns' pools.`,
  );
}

async function remove(ctx: CommandContext, phone: string): Promise<Reply> {
  const record = await findOptOut(ctx.services.db, phone);
  if (!record) return reply(`${maskPhone(phone)} is not on the opt-out list; nothing to remove.`);
  const question = removeQuestion(record);
  return reply(question.text, question.blocks);
}

async function openImport(ctx: CommandContext): Promise<Reply | undefined> {
  try {
    await ctx.services.slack.views.open({ trigger_id: ctx.triggerId, view: optOutImportModal() });
  } catch (error) {
    // Slack gives 3 s to open a modal; past that, only running the command again helps.
    if ((error as { data?: { error?: string } }).data?.error !== "expired_trigger_id") throw error;
    return reply("Slack's moment to open the form passed before it opened. Run `/campaign optouts import` again.");
  }
  return undefined;
}

function startExport(ctx: CommandContext): Reply {
  const { services, userId, respondLater } = ctx;
  // Written to disk page by page and streamed to Slack: flat memory at any size.
  void (async () => {
    const dir = mkdtempSync(join(tmpdir(), "textbank-optouts-"));
    try {
      const path = join(dir, "opt-outs.csv");
      const count = await exportOptOuts(services.db, path);
      const dm = await services.slack.conversations.open({ users: userId });
      const stamp = services.now().toISOString().slice(0, 10);
      await uploadFile(services.slack, {
        path,
        filename: `opt-outs-${stamp}.csv`,
        channelId: dm.channel?.id ?? userId,
        initialComment: `The opt-out list: ${count.toLocaleString("en-US")} numbers.`,
      });
    } catch (error) {
      services.logger.error("export of the opt-out list failed", error);
      await respondLater(reply("The export of the opt-out list failed on our side; try again in a moment.")).catch(
        () => undefined,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  })();
  return reply("Preparing the export of the opt-out list; the CSV file will arrive in your DM with Textbank.");
}

/**
 * `/campaign optouts …`: the workspace's opt-out list for organizers. Every change records who
 * made it; numbers in answers are masked like everywhere else, even the one just typed.
 */
export const optouts: CommandSpec = {
  name: "optouts",
  usage: "optouts check|add|remove|import|export [phone]",
  summary: "the workspace's opt-out list: check, add or remove a number, import a CSV, export it to your DM",
  audience: "organizer",
  async run(ctx) {
    const [word] = ctx.args;
    if (!word) return usageReply(optouts, `Say what to do: ${ACTIONS.map((a) => `\`${a}\``).join(", ")}.`);
    const action = word.toLowerCase();
    const rest = ctx.rest.slice(ctx.rest.indexOf(word) + word.length).trim();
    switch (action) {
      case "check":
      case "add":
      case "remove": {
        const typed = phoneArgument(rest, action, ctx.services.settings.DEFAULT_COUNTRY);
        if (typed.problem) return typed.problem;
        const { phone } = typed;
        if (action === "check") return check(ctx, phone);
        return action === "add" ? add(ctx, phone) : remove(ctx, phone);
      }
      case "import":
        return openImport(ctx);
      case "export":
        return startExport(ctx);
      default: {
        const shown = truncate(word.replace(/`/g, ""), 40);
        return usageReply(optouts, `\`${shown}\` is not \`check\`, \`add\`, \`remove\`, \`import\` or \`export\`.`);
      }
    }
  },
};
