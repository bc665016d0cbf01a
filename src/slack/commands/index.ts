import { randomBytes } from "node:crypto";
import { isOrganizer } from "../../campaigns/organizers.ts";
import type { SlackDeps } from "../deps.ts";
import * as campaigns from "./campaigns.ts";
import { copy } from "./copy.ts";
import { organizers } from "./organizers.ts";
import { optouts } from "./optouts.ts";
import { join, shift } from "./shifts.ts";
import { reassign, release, stale } from "./people.ts";
import { exportCsv, stats } from "./reports.ts";
import { schedule } from "./schedule.ts";
import { upload } from "../views/upload-modal.ts";
import { hours, script } from "./scripts.ts";
import { followup } from "./followup.ts";
import { review } from "./review.ts";
import { escalation } from "./escalation.ts";
import { archive, launch, pause } from "./lifecycle.ts";
import type { CommandContext, CommandSpec, Reply } from "./types.ts";
import type { SlackRouter } from "../router.ts";
import { busyReason } from "../failures.ts";

/**
 * `/campaign <subcommand> …`: every subcommand the app knows, in the order help lists them.
 * Later features add their specs to `subcommands` below; nothing else changes here.
 */
export const subcommands: CommandSpec[] = [
  campaigns.create,
  copy,
  campaigns.list,
  upload,
  script,
  hours,
  launch,
  pause,
  archive,
  join,
  shift,
  followup,
  stats,
  exportCsv,
  schedule,
  review,
  reassign,
  release,
  stale,
  escalation,
  organizers,
  optouts,
];

const help: CommandSpec = {
  name: "help",
  usage: "help",
  summary: "this list",
  audience: "anyone",
  async run({ isOrganizer: organizer }) {
    return { text: helpText(organizer) };
  },
};

type HelpGroup = "Set up" | "Run" | "People" | "Results";
const HELP_GROUPS: HelpGroup[] = ["Set up", "Run", "People", "Results"];
/** Where help lists each subcommand; one not named here is listed under "Run". */
const HELP_GROUP_OF: Record<string, HelpGroup> = {
  create: "Set up",
  copy: "Set up",
  upload: "Set up",
  script: "Set up",
  hours: "Set up",
  schedule: "Set up",
  launch: "Run",
  pause: "Run",
  archive: "Run",
  followup: "Run",
  stale: "Run",
  join: "People",
  shift: "People",
  reassign: "People",
  release: "People",
  review: "People",
  organizers: "People",
  optouts: "People",
  list: "Results",
  stats: "Results",
  export: "Results",
};

const helpLine = (spec: CommandSpec) => `• \`/campaign ${spec.usage}\` — ${spec.summary}`;

/**
 * One message: organizers get the four steps to a first launch, what `<slug>` is, then every
 * subcommand under Set up, Run, People and Results; volunteers get how to start texting and
 * their four subcommands.
 */
export function helpText(organizer: boolean): string {
  const intro = "*Textbank* — peer-to-peer texting from Slack.";
  const slug =
    "`<slug>` is a campaign's short handle, chosen at `create` (for example `gotv-2026`); " +
    "every other command names the campaign by it.";
  if (!organizer) {
    const lines = [help, ...subcommands].filter((spec) => spec.audience === "anyone").map(helpLine);
    return [
      intro,
      "*How to start texting:* type `/campaign shift <slug>` with the handle your organizer shared " +
        "(for example `/campaign shift gotv-2026`); your first contact appears in your DM with Textbank. " +
        "`/campaign list` shows the campaigns open now.",
      ...lines,
    ].join("\n");
  }
  const grouped = HELP_GROUPS.map((group) => {
    const specs = subcommands.filter((spec) => (HELP_GROUP_OF[spec.name] ?? "Run") === group);
    return `*${group}*\n${specs.map(helpLine).join("\n")}`;
  });
  return [
    intro,
    "*Get started in 4 steps*",
    "1. `/campaign create <slug> [title…]` — a new draft campaign",
    "2. `/campaign upload <slug>` — its contacts, from a CSV",
    "3. `/campaign script <slug>` — the opening message volunteers send",
    "4. `/campaign launch <slug>` — open it to volunteers",
    slug + " After `create`, a setup checklist in your DM ticks off each step.",
    "",
    ...grouped.flatMap((block) => [block, ""]),
    helpLine(help),
  ].join("\n");
}

/**
 * If a subcommand has not answered this long after the request arrived, ack now and answer
 * through response_url. Counted from arrival, not from when the handler ran: at the start of a
 * shift hundreds of requests arrive at once, and each waits its turn before its handler runs.
 *
 * At most `concurrent` subcommands run at once on an instance; the rest wait their turn, and a
 * request that has to wait is acked at once. Three hundred shift starts in one second would
 * otherwise all query at once, and the Send presses and acks arriving meanwhile would queue
 * behind them (for the database's connections and for the event loop).
 */
export const commandTiming = { ackBudgetMs: 1000, concurrent: 8 };

/** A first-come, first-served limit on how many subcommands run at once (memory of this instance only). */
class Turns {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  get free(): boolean {
    return this.running < commandTiming.concurrent;
  }
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.running >= commandTiming.concurrent) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running += 1;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next)
        next(); // the turn passes on directly
      else this.running -= 1;
    }
  }
}

export function registerCommands(app: SlackRouter, services: SlackDeps): void {
  const turns = new Turns();
  app.command("/campaign", async ({ command, ack, respond, context }) => {
    const receivedAt = typeof context.receivedAt === "number" ? context.receivedAt : Date.now();
    const budget = turns.free ? Math.max(0, commandTiming.ackBudgetMs - (Date.now() - receivedAt)) : 0;
    const toMessage = (r: Reply) => ({
      response_type: r.inChannel ? ("in_channel" as const) : ("ephemeral" as const),
      text: r.text,
      ...(r.blocks ? { blocks: r.blocks } : {}),
    });
    let spec: CommandSpec | undefined;
    const outcome = turns
      .run(() => answerCommand(services, command, respond, (found) => (spec = found)))
      .then(
        (r) => ({ r }),
        (error: unknown) => ({ r: failureReply(services, spec ?? help, error) as Reply | undefined }),
      );
    if (budget > 0) {
      const timer = new Promise<"late">((resolve) => setTimeout(() => resolve("late"), budget).unref());
      const settled = await Promise.race([outcome, timer]);
      if (settled !== "late") {
        await ack(settled.r ? toMessage(settled.r) : undefined);
        return;
      }
    }
    await ack();
    const { r } = await outcome;
    if (r) await respond(toMessage(r)).catch((error: unknown) => services.logger.warn("response_url failed", error));
  });
}

type SlashCommand = { text: string; user_id: string; channel_id: string; trigger_id: string };

/** Parses `/campaign …`, checks who may run it, and runs it. */
async function answerCommand(
  services: SlackDeps,
  command: SlashCommand,
  respond: (message: Record<string, unknown>) => Promise<unknown>,
  onSpec: (spec: CommandSpec) => void,
): Promise<Reply | undefined> {
  const text = command.text.trim();
  const [first = "help", ...args] = text.split(/\s+/).filter(Boolean);
  const name = first.toLowerCase();
  const rest = text.slice(text.indexOf(first) + first.length).trim();
  const spec = [help, ...subcommands].find((candidate) => candidate.name === name);
  // Known before the first query, so a failure names the subcommand that was asked for.
  if (spec) onSpec(spec);
  const organizer = await isOrganizer(services.db, services.settings.ORGANIZER_IDS, command.user_id);
  if (!spec) return { text: `\`${first}\` is not a /campaign subcommand.\n${helpText(organizer)}` };
  if (spec.audience === "organizer" && !organizer) {
    return {
      text:
        `Only organizers can use \`/campaign ${spec.name}\`. ` +
        `Organizers are the people in the app's ORGANIZER_IDS setting and anyone an organizer adds with ` +
        `\`/campaign organizers add @user\`; ask one of them.`,
    };
  }
  const ctx: CommandContext = {
    services,
    userId: command.user_id,
    channelId: command.channel_id,
    triggerId: command.trigger_id,
    args,
    rest,
    isOrganizer: organizer,
    respondLater: async (r) =>
      void (await respond({
        response_type: r.inChannel ? "in_channel" : "ephemeral",
        text: r.text,
        ...(r.blocks ? { blocks: r.blocks } : {}),
        replace_original: false,
      })),
  };
  return spec.run(ctx);
}

/**
 * Never a stack trace in Slack: why, when a bounded wait ran out (busy database, slow or
 * rate-limited Slack), else a short apology; with a reference that the log carries too.
 */
export function failureReply(services: SlackDeps, spec: CommandSpec, error: unknown): Reply {
  const ref = randomBytes(3).toString("hex");
  services.logger.error(`/campaign ${spec.name} failed (ref ${ref})`, error);
  const busy = busyReason(error);
  if (busy) return { text: `Sorry, \`/campaign ${spec.name}\` did not finish. ${busy} (ref ${ref})` };
  return {
    text:
      `Sorry, \`/campaign ${spec.name}\` failed on our side (ref ${ref}). ` +
      `Try again in a moment; if it keeps failing, give an organizer that ref.`,
  };
}
