import { LogLevel, type Logger as SlackLogger } from "@slack/bolt";

export type Logger = SlackLogger;

const SECRET_PATTERNS = [/xox[abposr]-[A-Za-z0-9-]+/g, /xapp-[A-Za-z0-9-]+/g, /\+\d{7,15}/g];

/** Tokens and full phone numbers never reach the log: they are masked on the way out. */
export function redact(text: string): string {
  return SECRET_PATTERNS.reduce(
    (out, pattern) =>
      out.replace(pattern, (match) => (match.startsWith("+") ? `+…${match.slice(-4)}` : `${match.slice(0, 5)}…`)),
    text,
  );
}

const ORDER: Record<LogLevel, number> = {
  [LogLevel.DEBUG]: 0,
  [LogLevel.INFO]: 1,
  [LogLevel.WARN]: 2,
  [LogLevel.ERROR]: 3,
};

/** A small JSON-lines logger that Bolt uses too, so every line passes through `redact`. */
export function createLogger(level: LogLevel = LogLevel.INFO, name = "textbank"): Logger {
  let current = level;
  let currentName = name;
  const write = (at: LogLevel, args: unknown[]) => {
    if (ORDER[at] < ORDER[current]) return;
    const msg = args
      .map((arg) =>
        arg instanceof Error ? (arg.stack ?? arg.message) : typeof arg === "string" ? arg : JSON.stringify(arg),
      )
      .join(" ");
    const line = JSON.stringify({ t: new Date().toISOString(), level: at, name: currentName, msg: redact(msg) });
    (at === LogLevel.ERROR || at === LogLevel.WARN ? process.stderr : process.stdout).write(line + "\n");
  };
  return {
    debug: (...args) => write(LogLevel.DEBUG, args),
    info: (...args) => write(LogLevel.INFO, args),
    warn: (...args) => write(LogLevel.WARN, args),
    error: (...args) => write(LogLevel.ERROR, args),
    setLevel: (next) => void (current = next),
    getLevel: () => current,
    setName: (next) => void (currentName = next),
  };
}
