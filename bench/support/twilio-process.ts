import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { spawnNode } from "./process.ts";
import type { TwilioProcessMessage, TwilioReport } from "./twilio-server.ts";

/** The parent's handle on twilio-server.ts, the fake Twilio in a process of its own. */
export class TwilioProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    readonly accountSid: string,
    readonly authToken: string,
    readonly fromNumber: string,
  ) {}

  /** `callbackBase` receives the status callbacks; they are signed for `publicUrl`. */
  static async start(callbackBase: string, publicUrl: string): Promise<TwilioProcess> {
    const child = spawnNode(
      "bench/support/twilio-server.ts",
      { STATUS_CALLBACK_BASE: callbackBase, PUBLIC_URL: publicUrl },
      [],
      { ipc: true },
    );
    const [ready] = (await once(child, "message")) as [
      { url: string; accountSid: string; authToken: string; fromNumber: string },
    ];
    return new TwilioProcess(child, ready.url, ready.accountSid, ready.authToken, ready.fromNumber);
  }

  faults(on: boolean): void {
    this.send({ type: "faults", on });
  }

  /** The messages created since the `from`-th, the faults injected and the status callbacks made. */
  async report(from = 0): Promise<TwilioReport> {
    const answer = once(this.child, "message") as Promise<[{ report: TwilioReport }]>;
    this.send({ type: "report", from });
    return (await answer)[0].report;
  }

  async stop(): Promise<void> {
    const exited = once(this.child, "exit");
    this.send({ type: "stop" });
    await exited;
  }

  private send(message: TwilioProcessMessage): void {
    this.child.send(message);
  }
}
