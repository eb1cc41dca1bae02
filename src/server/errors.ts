import crypto from "node:crypto";
import http from "node:http";
import type { Duplex } from "node:stream";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { hasZodFastifySchemaValidationErrors } from "fastify-type-provider-zod";
import { AppError, statusOf, type FieldDetail } from "../platform/errors.ts";
import { TenantKeysMissingError } from "../platform/crypto/keyring.ts";
import { SECURITY_HEADERS } from "./headers.ts";
import { DATABASE_RETRY_AFTER_SECONDS, isDatabaseUnavailable } from "../platform/db/unavailable.ts";
import { pageLocale, refusalPage } from "./refusal-page.ts";

/**
 * The one error renderer. Bodies follow Zendesk: `{"error": code, "description": …, "details": …}`.
 * Anything unknown becomes a plain 500 without details (and is logged by type and stack only).
 */

function fromDriver(err: { code?: unknown }): AppError | undefined {
  switch (err.code) {
    case "23505":
      return new AppError("RecordInvalid", { details: { base: [{ description: "has already been taken", error: "DuplicateValue" }] } });
    case "23503":
      return new AppError("RecordInvalid", { details: { base: [{ description: "refers to a record that does not exist", error: "InvalidValue" }] } });
    case "23514":
    case "22001":
    case "22003":
    case "22007":
    case "22008":
      return new AppError("RecordInvalid", { details: { base: [{ description: "is not a valid value", error: "InvalidValue" }] } });
    case "22P02":
      return new AppError("BadRequest");
    case "40001":
    case "40P01":
    case "55P03":
      return new AppError("Conflict");
    default:
      return undefined;
  }
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((rawErr: FastifyError | AppError | Error, req, reply) => renderError(rawErr, req, reply));
}

/** Renders any error as a Zendesk error body with its status; unknown ones as a plain 500. */
export function renderError(rawErr: FastifyError | AppError | Error, req: FastifyRequest, reply: FastifyReply): void {
  {
    let err: AppError | undefined;
    if (rawErr instanceof AppError) err = rawErr;
    else if (rawErr instanceof TenantKeysMissingError) err = new AppError("TenantGone");
    else if (isDatabaseUnavailable(rawErr)) {
      // PostgreSQL restarting or unreachable: not the request's fault, and over in seconds.
      req.log.warn({ dbError: String((rawErr as { code?: unknown }).code ?? rawErr.name) }, "database unavailable");
      err = new AppError("Unavailable", { description: "The database is unavailable for a moment; try again shortly.", retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS });
    }
    else if (hasZodFastifySchemaValidationErrors(rawErr)) {
      const details: Record<string, FieldDetail[]> = {};
      for (const v of rawErr.validation) {
        const field = (v.instancePath || "/base").replace(/^\//, "").replace(/\//g, ".") || "base";
        (details[field] ??= []).push({ description: `${field}: ${v.message ?? "is invalid"}`, error: "InvalidValue" });
      }
      err = new AppError("RecordInvalid", { details });
    } else {
      const fe = rawErr as FastifyError;
      if (fe.code === "FST_ERR_CTP_BODY_TOO_LARGE") err = new AppError("PayloadTooLarge");
      else if (fe.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") err = new AppError("BadRequest", { description: "Send the body as application/json." });
      else if (fe.code === "FST_ERR_CTP_EMPTY_JSON_BODY" || fe.code === "FST_ERR_CTP_INVALID_JSON_BODY" || (fe.statusCode === 400 && rawErr instanceof SyntaxError))
        err = new AppError("BadRequest", { description: "The body is not valid JSON." });
      else if (typeof fe.statusCode === "number" && fe.statusCode >= 400 && fe.statusCode < 500) {
        err = new AppError(fe.statusCode === 413 ? "PayloadTooLarge" : fe.statusCode === 404 ? "InvalidEndpoint" : fe.statusCode === 429 ? "TooManyRequests" : "BadRequest");
      } else err = fromDriver(rawErr as { code?: unknown });
    }
    if (!err) {
      req.log.error({ err: rawErr }, "unhandled error");
      reply.code(500).send({ error: "InternalError", description: "Something went wrong on our side. The request id identifies it in the logs.", request_id: req.id });
      return;
    }
    const status = statusOf[err.code];
    if (err.retryAfterSeconds !== undefined) reply.header("Retry-After", String(err.retryAfterSeconds));
    // API clients get the Basic challenge; the web app's fetches (Sec-Fetch-Mode set by browsers)
    // do not, or the browser would pop up its own password dialog.
    if (status === 401 && !req.headers["sec-fetch-mode"]) reply.header("WWW-Authenticate", 'Basic realm="Vaultdesk API"');
    if (wantsPage(req)) {
      const page = refusalPage({ locale: pageLocale(req.headers["accept-language"]), flow: req.url.startsWith("/oauth/authorizations/") ? "authorization" : "signIn", description: err.description, reason: err.reason });
      reply.code(status).header("Vary", "Accept, Accept-Language").type("text/html; charset=utf-8").send(page);
      return;
    }
    reply.code(status).send(errorBody(err));
  }
}

/**
 * A browser sent to a sign-in flow under /access (an identity provider's redirect, a form it
 * posted) or to OAuth's authorization endpoint gets the refusal as a page it can read, with the
 * same status and words; API clients and scripts (and OAuth's token endpoint, always) get the
 * JSON body.
 */
function wantsPage(req: FastifyRequest): boolean {
  const accept = req.headers.accept ?? "";
  return (req.url === "/access" || req.url.startsWith("/access/") || req.url.startsWith("/oauth/authorizations/")) && accept.includes("text/html");
}

/** The Zendesk error body of an AppError: `{error, description}` and `details` when it has some. */
export function errorBody(err: AppError): Record<string, unknown> {
  // The OAuth token endpoint answers as OAuth clients expect (RFC 6749 §5.2).
  if (err.oauthError) return { error: err.oauthError, error_description: err.description };
  const body: Record<string, unknown> = { error: err.code === "Unauthorized" ? "Couldn't authenticate you" : err.code, description: err.description };
  if (err.details) body.details = err.details;
  return body;
}

type ClientErrorLog = { debug(obj: object, msg: string): void };

/**
 * Answers what Node's HTTP parser refuses before Fastify sees a request (a malformed request
 * line or header, headers too large, a request not received within the timeouts): the same
 * Zendesk body and security headers as every other answer, then the connection is closed.
 * Nothing is written when the connection is gone or an answer has already started on it.
 */
export function writeClientError(log: ClientErrorLog, err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === "ECONNRESET" || socket.destroyed) return;
  const appErr =
    err.code === "ERR_HTTP_REQUEST_TIMEOUT"
      ? new AppError("RequestTimeout", { description: "The request was not received in time; the connection is closed." })
      : err.code === "HPE_HEADER_OVERFLOW"
        ? new AppError("HeadersTooLarge")
        : new AppError("BadRequest", { description: "The request could not be understood (malformed HTTP)." });
  log.debug({ code: err.code, status: statusOf[appErr.code] }, "client error");
  // A response of a request on this connection may be under way (Node tracks it as _httpMessage).
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !inFlight?.headersSent) {
    const status = statusOf[appErr.code];
    const body = JSON.stringify(errorBody(appErr));
    const headers: Record<string, string> = {
      ...SECURITY_HEADERS,
      "X-Request-Id": crypto.randomUUID(),
      "Content-Type": "application/json; charset=utf-8",
      "Content-Length": String(Buffer.byteLength(body)),
      Connection: "close",
    };
    const head = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("");
    socket.write(`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? "Error"}\r\n${head}\r\n${body}`);
  }
  socket.destroy();
}
