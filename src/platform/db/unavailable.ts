/**
 * "The database is not there right now": PostgreSQL restarting, shutting down, starting up, or
 * unreachable. Requests answer 503 with Retry-After for these (src/server/errors.ts) instead of
 * a 500, and background work retries later; nothing here is a bug of the request.
 */

/** Seconds a client is told to wait (Retry-After) while the database is away. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/**
 * Raised by the PostgreSQL driver adapter when a connection could not be opened, or was lost
 * under a statement (the driver's own error then often carries no code: "Connection terminated
 * unexpectedly"). The driver's error is kept as `cause`; its code, when it has one, as `code`.
 */
export class DatabaseUnavailableError extends Error {
  readonly code: string | undefined;
  constructor(cause: unknown) {
    super("the database is unavailable", { cause });
    this.name = "DatabaseUnavailableError";
    const code = (cause as { code?: unknown } | null)?.code;
    this.code = typeof code === "string" ? code : undefined;
  }
}

/** Node socket errors that mean the database server cannot be reached. */
const SOCKET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN"]);

/**
 * True for errors that say the database is away rather than that a statement was wrong: SQLSTATE
 * class 08 (connection exception), 57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot
 * connect now (starting up or shutting down), socket errors, and DatabaseUnavailableError.
 * Decided by class and code only, never by message text.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (err instanceof DatabaseUnavailableError) return true;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return false;
  return code.startsWith("08") || code === "57P01" || code === "57P02" || code === "57P03" || SOCKET_CODES.has(code);
}
