import twilio from "twilio";

type RequestOptions<TData> = Parameters<twilio.RequestClient["request"]>[0] & { data?: TData };

const TWILIO_BASE = "https://api.twilio.com";

/**
 * twilio-node always builds URLs on https://api.twilio.com; this RequestClient moves them to
 * TWILIO_API_URL (a Twilio-compatible provider, or the local fake in tests), as twilio-node's
 * advanced examples show. `autoRetry` stays off: retries are ours, so they are never duplicated.
 */
class BaseUrlRequestClient extends twilio.RequestClient {
  constructor(
    private readonly baseUrl: string,
    options: ConstructorParameters<typeof twilio.RequestClient>[0],
  ) {
    super(options);
  }

  override request<TData>(opts: RequestOptions<TData>) {
    const uri = opts.uri.startsWith(TWILIO_BASE) ? this.baseUrl + opts.uri.slice(TWILIO_BASE.length) : opts.uri;
    return super.request<TData>({ ...opts, uri } as RequestOptions<TData>);
  }
}

export interface TwilioClientOptions {
  accountSid: string;
  authToken: string;
  apiUrl: string;
  timeoutMs?: number;
}

export function createTwilioClient(options: TwilioClientOptions): twilio.Twilio {
  const baseUrl = options.apiUrl.replace(/\/+$/, "");
  const httpClient = new BaseUrlRequestClient(baseUrl, { timeout: options.timeoutMs ?? 10_000, keepAlive: true });
  return twilio(options.accountSid, options.authToken, { httpClient });
}
