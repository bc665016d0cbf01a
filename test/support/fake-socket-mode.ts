import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import { waitFor } from "./http-util.ts";

/**
 * Slack's Socket Mode end, locally: apps.connections.open (answered by FakeSlack) hands out
 * this server's URL; it says hello, sends envelopes and collects the app's acks.
 */
export class FakeSocketMode {
  private server: Server | undefined;
  private wss: WebSocketServer | undefined;
  private socket: WebSocket | undefined;
  readonly acks: { envelope_id: string; payload?: Record<string, unknown> }[] = [];
  url = "";

  async start(): Promise<this> {
    this.server = createServer();
    this.wss = new WebSocketServer({ server: this.server });
    this.wss.on("connection", (socket) => {
      this.socket = socket;
      socket.on("message", (data) => this.acks.push(JSON.parse(String(data))));
      socket.send(
        JSON.stringify({
          type: "hello",
          num_connections: 1,
          connection_info: { app_id: "A0001" },
          debug_info: { host: "fake" },
        }),
      );
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}/link`;
    return this;
  }

  async connected(): Promise<void> {
    await waitFor(() => this.socket, { what: "the app's Socket Mode connection" });
  }

  /** Sends an envelope (slash_commands, interactive, events_api) and waits for its ack. */
  async send(
    type: string,
    payload: Record<string, unknown>,
  ): Promise<{ envelope_id: string; payload?: Record<string, unknown> }> {
    const envelopeId = `env-${Math.random().toString(36).slice(2)}`;
    this.socket!.send(JSON.stringify({ envelope_id: envelopeId, type, payload, accepts_response_payload: true }));
    return waitFor(() => this.acks.find((a) => a.envelope_id === envelopeId), { what: `the ack of ${type}` });
  }

  async stop(): Promise<void> {
    for (const client of this.wss?.clients ?? []) client.terminate();
    await new Promise<void>((resolve) => this.wss?.close(() => resolve()) ?? resolve());
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}
