import pino, { type DestinationStream, type Logger } from "pino";
import pretty from "pino-pretty";

/**
 * Logs through pino: JSON lines (for collectors, and whenever stdout is not a terminal), or the
 * same records made readable by pino-pretty on a terminal (LOG_FORMAT=pretty|json). Logs carry ids,
 * actions and field names only: request bodies, headers with credentials and query strings are
 * never serialized. The serializers below are allowlists, and they apply in both formats: the
 * pretty form is drawn from the records they produced.
 */
export type { Logger };
export type LogFormat = "pretty" | "json";

const CARD_LIKE = /\b(?:\d[ -]?){13,19}\b/g;

/** Remove anything that looks like a payment card number from a string destined for a log. */
export function scrubCardNumbers(s: string): string {
  return s.replace(CARD_LIKE, "[card]");
}

export function createLogger(level: string, destination?: DestinationStream, format: LogFormat = "json"): Logger {
  const opts: pino.LoggerOptions = {
    level,
    base: undefined,
    messageKey: "msg",
    serializers: {
      req: (req: { id?: string; method?: string; routeOptions?: { url?: string } }) => ({
        id: req.id,
        method: req.method,
        // The route pattern, never the concrete URL: a URL can carry an e-mail address or a query.
        route: req.routeOptions?.url ?? "unmatched",
      }),
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      err: (err: { name?: string; code?: unknown; message?: string; stack?: string }) => ({
        type: err.name,
        code: typeof err.code === "string" ? err.code : undefined,
        // Driver messages can quote values from the statement; keep only a scrubbed first line.
        message: scrubCardNumbers(String(err.message ?? "").split("\n")[0]!.slice(0, 200)).replace(
          /"[^"]*"|'[^']*'|\([^)]*\)=\([^)]*\)/g,
          "…",
        ),
        stack: err.stack
          ?.split("\n")
          .slice(1, 8)
          .map((l) => l.trim())
          .join(" | "),
      }),
    },
  };
  if (format === "pretty") return pino(opts, prettyStream(destination));
  return destination ? pino(opts, destination) : pino(opts);
}

/** One line per record: time, level, message; a request as `GET /api/v2/tickets → 200 (3 ms)`. */
function prettyStream(destination: DestinationStream | undefined): DestinationStream {
  return pretty({
    ...(destination ? { destination } : { destination: 1, colorize: process.stdout.isTTY === true }),
    sync: true,
    singleLine: true,
    translateTime: "SYS:HH:MM:ss.l",
    ignore: "pid,hostname,req,res,responseTime",
    messageFormat: (log, messageKey) => {
      const msg = String(log[messageKey] ?? "");
      const req = log.req as { method?: string; route?: string } | undefined;
      const res = log.res as { statusCode?: number } | undefined;
      if (!req || !res) return msg;
      const ms = typeof log.responseTime === "number" ? ` (${Math.round(log.responseTime)} ms)` : "";
      return `${req.method ?? "?"} ${req.route ?? "unmatched"} → ${res.statusCode ?? "?"}${ms}`;
    },
  });
}
