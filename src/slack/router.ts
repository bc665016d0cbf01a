import type { App } from "@slack/bolt";

/**
 * The part of Bolt's App that features register listeners on. Bolt keeps every listener in one
 * list and runs each incoming request through every one of them (a middleware chain per
 * listener, each step copying the listener arguments) before the one that matches acts. With
 * seventeen listeners that walk cost every Send press more main-thread time than the bare Bolt
 * app spends on the whole request (bench:send). The router keeps Bolt's API for registering,
 * holds the listeners itself and hands Bolt one listener per kind of request: a press is
 * matched in a few comparisons. Matching follows Bolt's: an action by action_id (string or
 * RegExp) or by { type, block_id, action_id }; a view submission by callback_id; an event by
 * type; a command by name.
 */
export type SlackRouter = Pick<App, "action" | "view" | "event" | "command">;

type Matcher = string | RegExp | undefined;
// Bolt's listener arguments, as Bolt builds them; each handler keeps Bolt's own typing at its call site.
interface Args {
  body: { type?: string; view?: { callback_id?: string } };
  payload: { block_id?: string; action_id?: string };
  ack?: () => Promise<void>;
}
type Handler = (args: Args) => unknown;

interface ActionRoute {
  type?: string;
  block_id?: Matcher;
  action_id?: Matcher;
  handler: Handler;
}

function matches(matcher: Matcher, value: unknown): boolean {
  if (matcher === undefined) return true;
  if (typeof value !== "string") return false;
  return typeof matcher === "string" ? matcher === value : matcher.test(value);
}

/** Runs every handler that matched, as Bolt does (concurrently); one failure is rethrown as itself. */
async function runAll(handlers: Handler[], args: Args): Promise<void> {
  if (handlers.length === 1) {
    await handlers[0]!(args);
    return;
  }
  const results = await Promise.allSettled(handlers.map(async (handler) => handler(args)));
  const failures = results.filter((result): result is PromiseRejectedResult => result.status === "rejected");
  if (failures.length === 1) throw failures[0]!.reason;
  if (failures.length > 1)
    throw new AggregateError(
      failures.map((failure) => failure.reason),
      "several Slack listeners failed",
    );
}

/** Each registration is one handler: the router runs no per-listener middleware chains. */
function onlyOne(handlers: Handler[]): Handler {
  if (handlers.length !== 1)
    throw new TypeError("register one handler per listener (the router runs no listener middleware)");
  return handlers[0]!;
}

/** A registration keyed by one string (a view's callback_id, an event type, a command name). */
function keyedBy(routes: Map<string, Handler[]>, key: string) {
  return (value: string, ...handlers: Handler[]) => {
    const handler = onlyOne(handlers);
    if (typeof value !== "string") throw new TypeError(`routed by ${key}: give a string`);
    routes.set(value, [...(routes.get(value) ?? []), handler]);
  };
}

export class ListenerRouter {
  /**
   * @param onActionFailure what a button whose handler failed answers (after its ack): without
   *   it the failure goes on to Bolt, which only logs it, and the presser would see nothing.
   */
  constructor(private readonly onActionFailure?: (body: unknown, error: unknown) => Promise<void>) {}

  private readonly actions: ActionRoute[] = [];
  private readonly views = new Map<string, Handler[]>();
  private readonly events = new Map<string, Handler[]>();
  private readonly commands = new Map<string, Handler[]>();

  /** What features register on: Bolt's own method signatures. */
  readonly registry: SlackRouter = {
    action: ((constraint: string | RegExp | Omit<ActionRoute, "handler">, ...handlers: Handler[]) => {
      const route =
        typeof constraint === "string" || constraint instanceof RegExp ? { action_id: constraint } : constraint;
      this.actions.push({ ...route, handler: onlyOne(handlers) });
    }) as SlackRouter["action"],
    view: keyedBy(this.views, "callback_id") as SlackRouter["view"],
    event: keyedBy(this.events, "event type") as SlackRouter["event"],
    command: keyedBy(this.commands, "command name") as SlackRouter["command"],
  };

  /** Hands Bolt one listener per kind (and one per event type and command name, which Bolt filters cheaply). */
  mount(app: App): void {
    if (this.actions.length) {
      app.action({ type: "block_actions" }, async (args) => {
        const loose = args as unknown as Args;
        const handlers = this.actions
          .filter(
            (route) =>
              (route.type === undefined || route.type === loose.body.type) &&
              matches(route.block_id, loose.payload.block_id) &&
              matches(route.action_id, loose.payload.action_id),
          )
          .map((route) => route.handler);
        // A button no feature handles (a link button, an old card's): answered, nothing else.
        if (handlers.length === 0) return loose.ack?.();
        try {
          await runAll(handlers, loose);
        } catch (error) {
          if (!this.onActionFailure) throw error;
          await this.onActionFailure(loose.body, error);
        }
      });
    }
    if (this.views.size) {
      app.view({ type: "view_submission" }, async (args) => {
        const loose = args as unknown as Args;
        const handlers = this.views.get(String(loose.body.view?.callback_id)) ?? [];
        if (handlers.length === 0) return loose.ack?.();
        await runAll(handlers, loose);
      });
    }
    for (const [type, handlers] of this.events)
      app.event(type, async (args) => runAll(handlers, args as unknown as Args));
    for (const [name, handlers] of this.commands)
      app.command(name, async (args) => runAll(handlers, args as unknown as Args));
  }
}
