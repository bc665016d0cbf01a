import twilio from "twilio";
import { sendRequest } from "../http/outbound.ts";

type RequestOptions<TData> = Parameters<twilio.RequestClient["request"]>[0] & { data?: TData };
type TwilioResponse<TData> = Awaited<ReturnType<twilio.RequestClient["request"]>> & { body: TData };

const TWILIO_BASE = "https://api.twilio.com";

/**
 * twilio-node's HTTP transport, swapped through its `httpClient` option (the extension point
 * twilio-node documents for custom clients): the official client still builds every request,
 * signs it with Basic auth, parses the answer and raises RestException; this class only moves
 * the bytes. It does two things differently from the stock RequestClient:
 * - URLs built on https://api.twilio.com go to TWILIO_API_URL (a Twilio-compatible provider,
 *   or the local fake in tests);
 * - the request leaves through undici (src/http/outbound.ts) instead of axios, which cost about
 *   a millisecond of the main thread per text.
 * Nothing is retried here: retries are ours (sms/deliver.ts), so they are never duplicated.
 * Form and query encoding follow twilio-node's: arrays repeat the key (MediaUrl=a&MediaUrl=b).
 */
class TwilioHttpClient extends twilio.RequestClient {
  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs: number,
  ) {
    super({ timeout: timeoutMs, keepAlive: true });
  }

  override async request<TData>(opts: RequestOptions<TData>): Promise<TwilioResponse<TData>> {
    const target = opts.uri.startsWith(TWILIO_BASE) ? this.baseUrl + opts.uri.slice(TWILIO_BASE.length) : opts.uri;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(opts.headers ?? {}))
      if (value !== undefined) headers[name] = String(value);
    if (opts.username && opts.password) {
      headers.Authorization = "Basic " + Buffer.from(`${opts.username}:${opts.password}`).toString("base64");
    } else if (opts.authStrategy) {
      headers.Authorization = await opts.authStrategy.getAuthString();
    }
    const query = opts.params ? encodeForm(opts.params) : "";
    const url = query ? `${target}${target.includes("?") ? "&" : "?"}${query}` : target;
    let body: string | undefined;
    if (opts.data !== undefined && opts.data !== null) {
      body = headers["Content-Type"] === "application/json" ? JSON.stringify(opts.data) : encodeForm(opts.data);
    }
    const method = opts.method.toUpperCase() as "GET" | "POST" | "PUT" | "DELETE";
    const response = await sendRequest(url, { method, headers, body, timeoutMs: opts.timeout ?? this.timeoutMs });
    return {
      statusCode: response.statusCode,
      body: response.body as TData,
      headers: response.headers,
    } as TwilioResponse<TData>;
  }
}

/** key=value pairs as twilio-node sends them: arrays repeat the key, undefined is left out. */
function encodeForm(values: object): string {
  const form = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item === undefined) continue;
      form.append(key, item === null ? "" : item instanceof Date ? item.toISOString() : String(item));
    }
  }
  return form.toString();
}

export interface TwilioClientOptions {
  accountSid: string;
  authToken: string;
  apiUrl: string;
  timeoutMs?: number;
}

export function createTwilioClient(options: TwilioClientOptions): twilio.Twilio {
  const baseUrl = options.apiUrl.replace(/\/+$/, "");
  const httpClient = new TwilioHttpClient(baseUrl, options.timeoutMs ?? 10_000);
  return twilio(options.accountSid, options.authToken, { httpClient });
}
