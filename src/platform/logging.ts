import pino, { type DestinationStream, type Logger } from "pino";

/**
 * JSON logs through pino. Logs carry ids, actions and field names only: request bodies, headers
 * with credentials and query strings are never serialized. The serializers below are allowlists.
 */
export type { Logger };

const CARD_LIKE = /\b(?:\d[ -]?){13,19}\b/g;

/** Remove anything that looks like a payment card number from a string destined for a log. */
export function scrubCardNumbers(s: string): string {
  return s.replace(CARD_LIKE, "[card]");
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
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
  return destination ? pino(opts, destination) : pino(opts);
}
