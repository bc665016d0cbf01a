import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { spawnNode } from "./process.ts";
import type { SlackProcessMessage } from "./slack-server.ts";

/** The parent's handle on slack-server.ts, the fake Slack in a process of its own. */
export class SlackProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly apiUrl: string,
    readonly botToken: string,
  ) {}

  static async start(): Promise<SlackProcess> {
    const child = spawnNode("bench/support/slack-server.ts", {}, [], { ipc: true });
    const [ready] = (await once(child, "message")) as [{ apiUrl: string; botToken: string }];
    return new SlackProcess(child, ready.apiUrl, ready.botToken);
  }

  /** Answers this fraction of calls to `method` with 429 Retry-After 1. */
  rateLimit(method: string, fraction: number): void {
    this.send({ type: "rateLimit", method, fraction });
  }

  /** How many times each "reply N" text was posted. */
  async replyPostCounts(): Promise<number[]> {
    const answer = once(this.child, "message") as Promise<[{ counts: number[] }]>;
    this.send({ type: "counts" });
    return (await answer)[0].counts;
  }

  async stop(): Promise<void> {
    const exited = once(this.child, "exit");
    this.send({ type: "stop" });
    await exited;
  }

  private send(message: SlackProcessMessage): void {
    this.child.send(message);
  }
}
