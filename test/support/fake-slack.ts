import { EventEmitter } from "node:events";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs, readBody, WAIT_MS, waitFor } from "./http-util.ts";

export interface SlackCall {
  method: string;
  args: Record<string, unknown>;
  token: string | undefined;
  at: number;
  /** The HTTP status the fake answered with (429/5xx when failing on demand). */
  status?: number;
}

export interface ResponseUrlPost {
  id: string;
  body: Record<string, unknown>;
  at: number;
}

interface Failure {
  status: number;
  retryAfter?: number;
  error?: string;
  remaining: number;
}

export interface FakeUser {
  id: string;
  name?: string;
  real_name?: string;
  first_name?: string;
  tz?: string;
  is_bot?: boolean;
}

/** A message the fake accepted with chat.postMessage, as conversations.history/replies return it. */
export interface StoredMessage {
  ts: string;
  thread_ts?: string;
  text?: unknown;
  metadata?: unknown;
}

export interface FakeFile {
  id: string;
  name: string;
  filetype?: string;
  mimetype?: string;
  content: Buffer | (() => NodeJS.ReadableStream);
  size?: number;
  /** Overrides url_private_download, e.g. to point at a foreign host. */
  downloadUrl?: string;
}

/**
 * A local stand-in for the Slack Web API, response_urls and file hosting, talked to by the
 * real @slack/web-api client through SLACK_API_URL. It records every call and answers as
 * Slack does, including 429 with Retry-After or 5xx on demand.
 */
export class FakeSlack extends EventEmitter {
  readonly calls: SlackCall[] = [];
  readonly responses: ResponseUrlPost[] = [];
  readonly uploads = new Map<string, Buffer>();
  readonly users = new Map<string, FakeUser>();
  readonly files = new Map<string, FakeFile>();
  readonly channels = new Map<string, { id: string; name: string; is_member: boolean }>();
  readonly botToken = "xoxb-test-token";
  readonly botUserId = "UBOT";
  private failures = new Map<string, Failure>();
  private delays = new Map<string, { ms: number; remaining: number }>();
  /** chat.postMessage calls to post, and then answer with a 500 or a dropped connection. */
  private lostAnswers: { remaining: number; how: "500" | "drop" } = { remaining: 0, how: "500" };
  /** Every message posted, by channel (D… for a DM), in posting order. */
  readonly messages = new Map<string, StoredMessage[]>();
  /** Reactions on messages now, as `<channel>/<ts>` → names (reactions.add / reactions.remove). */
  readonly reactions = new Map<string, Set<string>>();
  /** Fraction (0–1) of calls per method answered with 429 Retry-After 1, at random. */
  readonly rateLimitFraction = new Map<string, number>();
  private server: Server | undefined;
  private tsCounter = 1_700_000_000_000;
  private nextUploadId = 1;
  url = "";
  /** The WebSocket URL apps.connections.open hands out (a FakeSocketMode). */
  socketModeUrl: string | undefined;
  /** Benchmarks turn this off to keep memory flat; "response" events still fire. */
  recordResponses = true;

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      void this.handle(req.method ?? "GET", req.url ?? "/", req.headers, readBody(req), res).catch((error: unknown) => {
        res.statusCode = 500;
        res.end(String(error));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  /** A response_url for a command or interaction payload. */
  responseUrl(id = `r${Math.random().toString(36).slice(2)}`): string {
    return `${this.url}/response/${id}`;
  }

  /** The next `count` calls to `method` fail with this HTTP status (429 carries Retry-After). */
  failNext(
    method: string,
    status: number,
    { count = 1, retryAfter = 1, error }: { count?: number; retryAfter?: number; error?: string } = {},
  ): void {
    this.failures.set(method, { status, retryAfter, error, remaining: count });
  }

  /**
   * The next `count` calls to `method` are answered only after `ms` — by default never, as a
   * Slack that hangs: the call is recorded, and the request stays open until the client gives up.
   */
  delayNext(method: string, { ms = Number.POSITIVE_INFINITY, count = 1 }: { ms?: number; count?: number } = {}): void {
    this.delays.set(method, { ms, remaining: count });
  }

  /**
   * The next `count` chat.postMessage calls are posted (they appear in the channel) but their
   * answer is lost: a 500, or the connection dropped — as when Slack fails after posting or the
   * app dies before the answer arrives.
   */
  loseNextPostAnswers(count = 1, how: "500" | "drop" = "500"): void {
    this.lostAnswers = { remaining: count, how };
  }

  /** The messages in one channel, or in one thread of it (the parent first). */
  messagesIn(channel: string, threadTs?: string): StoredMessage[] {
    const all = this.messages.get(channel) ?? [];
    return threadTs === undefined ? all : all.filter((m) => m.ts === threadTs || m.thread_ts === threadTs);
  }

  addUser(user: FakeUser): void {
    this.users.set(user.id, user);
  }

  addFile(file: FakeFile): void {
    this.files.set(file.id, file);
  }

  /** The reactions on one message now. */
  reactionsOn(channel: string, ts: string): string[] {
    return [...(this.reactions.get(`${channel}/${ts}`) ?? [])];
  }

  callsTo(method: string): SlackCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  responsesTo(id: string): ResponseUrlPost[] {
    return this.responses.filter((post) => post.id === id);
  }

  async waitForCall(
    method: string,
    predicate: (call: SlackCall) => boolean = () => true,
    timeoutMs = WAIT_MS,
  ): Promise<SlackCall> {
    return waitFor(() => this.calls.find((call) => call.method === method && predicate(call)), {
      timeoutMs,
      what: `a ${method} call`,
    });
  }

  async waitForResponse(
    url: string,
    predicate: (post: ResponseUrlPost) => boolean = () => true,
    timeoutMs = WAIT_MS,
  ): Promise<ResponseUrlPost> {
    const id = url.split("/").pop()!;
    return waitFor(() => this.responses.find((post) => post.id === id && predicate(post)), {
      timeoutMs,
      what: `a post to response_url ${id}`,
    });
  }

  private nextTs(): string {
    this.tsCounter += 1;
    return `${Math.floor(this.tsCounter / 1000)}.${String(this.tsCounter % 1000).padStart(3, "0")}100`;
  }

  private async handle(
    httpMethod: string,
    path: string,
    headers: Record<string, string | string[] | undefined>,
    bodyPromise: Promise<Buffer>,
    res: ServerResponse,
  ): Promise<void> {
    const body = await bodyPromise;
    const contentType = headers["content-type"] as string | undefined;
    if (path.startsWith("/response/")) {
      const post = { id: path.slice("/response/".length), body: parseArgs(body, contentType), at: Date.now() };
      if (this.recordResponses) this.responses.push(post);
      this.emit("response", post);
      res.writeHead(200, { "content-type": "text/plain" }).end("ok");
      return;
    }
    if (path.startsWith("/upload/")) {
      this.uploads.set(path.slice("/upload/".length), body);
      res.writeHead(200, { "content-type": "text/plain" }).end("OK - " + body.length);
      return;
    }
    if (path.startsWith("/files/") && httpMethod === "GET") {
      return this.serveFile(path.slice("/files/".length), headers, res);
    }
    if (!path.startsWith("/api/")) {
      res.writeHead(404).end();
      return;
    }
    const method = path.slice("/api/".length).split("?")[0]!;
    const authorization = headers.authorization as string | undefined;
    const args = parseArgs(body, contentType);
    const token = authorization?.replace(/^Bearer /, "") ?? (args.token as string | undefined);
    const call: SlackCall = { method, args, token, at: Date.now() };
    this.calls.push(call);

    const delay = this.delays.get(method);
    if (delay && delay.remaining > 0) {
      delay.remaining -= 1;
      let closed = false;
      await new Promise<void>((resolve) => {
        if (Number.isFinite(delay.ms)) setTimeout(resolve, delay.ms).unref();
        res.once("close", () => {
          closed = true;
          resolve();
        });
      });
      if (closed) return; // the client gave up waiting
    }

    const failure = this.failures.get(method);
    if (failure && failure.remaining > 0) {
      failure.remaining -= 1;
      const failHeaders: Record<string, string> = { "content-type": "application/json" };
      if (failure.status === 429) failHeaders["retry-after"] = String(failure.retryAfter ?? 1);
      const error = failure.error ?? (failure.status === 429 ? "ratelimited" : "internal_error");
      call.status = failure.status;
      this.emit("call", call);
      res.writeHead(failure.status, failHeaders).end(JSON.stringify({ ok: false, error }));
      return;
    }
    const fraction = this.rateLimitFraction.get(method) ?? 0;
    if (fraction > 0 && Math.random() < fraction) {
      call.status = 429;
      this.emit("call", call);
      res
        .writeHead(429, { "content-type": "application/json", "retry-after": "1" })
        .end(JSON.stringify({ ok: false, error: "ratelimited" }));
      return;
    }
    if (method === "chat.postMessage" && this.lostAnswers.remaining > 0 && token === this.botToken) {
      this.lostAnswers.remaining -= 1;
      this.answer(method, args); // posted…
      call.status = this.lostAnswers.how === "500" ? 500 : 0;
      this.emit("call", call);
      if (this.lostAnswers.how === "drop") res.socket?.destroy();
      else
        res
          .writeHead(500, { "content-type": "application/json" })
          .end(JSON.stringify({ ok: false, error: "internal_error" }));
      return; // …and the answer is lost
    }
    call.status = 200;
    this.emit("call", call);
    if (token !== this.botToken && !(method === "apps.connections.open" && token?.startsWith("xapp-"))) {
      this.json(res, { ok: false, error: "invalid_auth" });
      return;
    }
    this.json(res, this.answer(method, args));
  }

  private answer(method: string, args: Record<string, unknown>): Record<string, unknown> {
    switch (method) {
      case "auth.test":
        return {
          ok: true,
          url: "https://fake.slack/",
          team: "Fake",
          user: "textbank",
          team_id: "T0001",
          user_id: this.botUserId,
          bot_id: "B0001",
        };
      case "apps.connections.open":
        return this.socketModeUrl ? { ok: true, url: this.socketModeUrl } : { ok: false, error: "invalid_auth" };
      case "chat.postMessage": {
        const channel = String(args.channel);
        const dm = channel.startsWith("U") ? `D${channel.slice(1)}` : channel;
        const ts = this.nextTs();
        const stored: StoredMessage = { ts, text: args.text, metadata: parseJson(args.metadata) };
        if (typeof args.thread_ts === "string") stored.thread_ts = args.thread_ts;
        const list = this.messages.get(dm) ?? [];
        list.push(stored);
        this.messages.set(dm, list);
        return {
          ok: true,
          channel: dm,
          ts,
          message: { ts, text: args.text, blocks: args.blocks, thread_ts: args.thread_ts },
        };
      }
      case "conversations.history": {
        // Newest first; top-level messages only. Metadata only when asked for, as Slack does.
        const top = this.messagesIn(String(args.channel)).filter((m) => !m.thread_ts || m.thread_ts === m.ts);
        return this.page([...top].reverse(), args);
      }
      case "conversations.replies": {
        const thread = this.messagesIn(String(args.channel), String(args.ts));
        if (thread.length === 0) return { ok: false, error: "thread_not_found" };
        return this.page(thread, args);
      }
      case "chat.update":
        return { ok: true, channel: args.channel, ts: args.ts, text: args.text };
      case "chat.postEphemeral":
        return { ok: true, message_ts: this.nextTs() };
      case "conversations.open": {
        const users = String(args.users ?? "");
        return { ok: true, channel: { id: `D${users.slice(1)}` } };
      }
      case "conversations.info": {
        const channel = this.channels.get(String(args.channel));
        return channel ? { ok: true, channel } : { ok: false, error: "channel_not_found" };
      }
      case "users.info": {
        const id = String(args.user);
        // Any U… id is a member, as in a real workspace; others are not found.
        const user = this.users.get(id) ?? (/^[UW][A-Z0-9]+$/.test(id) ? { id } : undefined);
        if (!user) return { ok: false, error: "user_not_found" };
        return {
          ok: true,
          user: {
            name: user.id.toLowerCase(),
            real_name: user.id,
            tz: "America/New_York",
            tz_offset: -18000,
            ...user,
            profile: {
              display_name: user.name ?? user.id,
              real_name: user.real_name ?? user.name ?? user.id,
              ...(user.first_name ? { first_name: user.first_name } : {}),
            },
          },
        };
      }
      case "views.open":
      case "views.update":
      case "views.push":
      case "views.publish":
        return { ok: true, view: { id: `V${this.nextTs().replace(".", "")}`, ...(args.view as object) } };
      case "files.info": {
        const file = this.files.get(String(args.file));
        if (!file) return { ok: false, error: "file_not_found" };
        return { ok: true, file: this.fileObject(file) };
      }
      case "files.getUploadURLExternal": {
        const id = `F${this.nextUploadId++}`;
        return { ok: true, upload_url: `${this.url}/upload/${id}`, file_id: id };
      }
      case "reactions.add":
      case "reactions.remove": {
        // As Slack answers: a second add of one reaction is already_reacted, removing one not there no_reaction.
        const key = `${String(args.channel)}/${String(args.timestamp)}`;
        const names = this.reactions.get(key) ?? new Set<string>();
        const name = String(args.name);
        if (method === "reactions.add" && names.has(name)) return { ok: false, error: "already_reacted" };
        if (method === "reactions.remove" && !names.has(name)) return { ok: false, error: "no_reaction" };
        if (method === "reactions.add") names.add(name);
        else names.delete(name);
        this.reactions.set(key, names);
        return { ok: true };
      }
      case "files.completeUploadExternal":
        return { ok: true, files: (args.files as { id: string }[] | undefined) ?? [] };
      default:
        return { ok: true };
    }
  }

  /** One page (`limit`, `cursor`) of messages, with metadata only under include_all_metadata. */
  private page(list: StoredMessage[], args: Record<string, unknown>): Record<string, unknown> {
    const limit = Math.min(Number(args.limit ?? 100) || 100, 1000);
    const start = Number(args.cursor ?? 0) || 0;
    const withMetadata = args.include_all_metadata === true || args.include_all_metadata === "true";
    const messages = list
      .slice(start, start + limit)
      .map(({ metadata, ...m }) => (withMetadata && metadata ? { ...m, metadata } : m));
    const more = start + limit < list.length;
    return {
      ok: true,
      messages,
      has_more: more,
      response_metadata: { next_cursor: more ? String(start + limit) : "" },
    };
  }

  fileObject(file: FakeFile): Record<string, unknown> {
    const size = file.size ?? (Buffer.isBuffer(file.content) ? file.content.length : 0);
    const url = file.downloadUrl ?? `${this.url}/files/${file.id}`;
    return {
      id: file.id,
      name: file.name,
      title: file.name,
      filetype: file.filetype ?? "csv",
      mimetype: file.mimetype ?? "text/csv",
      size,
      url_private: url,
      url_private_download: url,
    };
  }

  private serveFile(id: string, headers: Record<string, string | string[] | undefined>, res: ServerResponse): void {
    const file = this.files.get(id);
    if (headers.authorization !== `Bearer ${this.botToken}`) {
      // Slack answers an unauthenticated file request with its sign-in page, not the bytes.
      res.writeHead(200, { "content-type": "text/html" }).end("<html><body>Sign in to Slack</body></html>");
      return;
    }
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": file.mimetype ?? "text/csv" });
    if (Buffer.isBuffer(file.content)) res.end(file.content);
    else (file.content() as NodeJS.ReadableStream).pipe(res);
  }

  private json(res: ServerResponse, value: unknown): void {
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(value));
  }
}

/** Form-encoded calls carry objects as JSON strings; JSON calls carry them as they are. */
function parseJson(value: unknown): unknown {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}
