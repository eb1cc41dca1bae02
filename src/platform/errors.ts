/**
 * One error type, one code→status table. The HTTP renderer lives in src/server/errors.ts.
 * Never decide anything by matching an error's message text: decide by `code`.
 */
export type ErrorCode =
  | "BadRequest"
  | "Unauthorized"
  | "Forbidden"
  | "RecordNotFound"
  | "InvalidEndpoint"
  | "RecordInvalid"
  | "PayloadTooLarge"
  | "TooManyRequests"
  | "Conflict"
  | "TenantGone"
  | "AccountClosed"
  | "RecentSignInRequired"
  | "Gone"
  | "Unavailable"
  | "RequestTimeout"
  | "HeadersTooLarge"
  /** 422s of satisfaction ratings: the account does not ask for them; the ticket is not solved; it is closed. */
  | "SatisfactionRatingsOff"
  | "TicketNotSolved"
  | "TicketClosed";

export const statusOf: Record<ErrorCode, number> = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  RecordNotFound: 404,
  InvalidEndpoint: 404,
  RecordInvalid: 422,
  PayloadTooLarge: 413,
  TooManyRequests: 429,
  Conflict: 409,
  TenantGone: 410,
  AccountClosed: 403,
  RecentSignInRequired: 403,
  Gone: 410,
  Unavailable: 503,
  RequestTimeout: 408,
  HeadersTooLarge: 431,
  SatisfactionRatingsOff: 422,
  TicketNotSolved: 422,
  TicketClosed: 422,
};

/** `fix`: where to put it right (an admin-center path or a docs link), when the refusal names a control to change. */
export type FieldDetail = { description: string; error: string; fix?: string };

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly description: string;
  readonly details: Record<string, FieldDetail[]> | undefined;
  readonly retryAfterSeconds: number | undefined;
  /** An OAuth 2.0 error code (RFC 6749 §5.2): the body is then `{error, error_description}`, as OAuth clients expect. */
  readonly oauthError: string | undefined;
  /** A sign-in refusal's reason code (`saml_signature`, `email_unverified`…): the refusal page says it in the browser's language. */
  readonly reason: string | undefined;

  constructor(
    code: ErrorCode,
    opts: {
      description?: string;
      details?: Record<string, FieldDetail[]>;
      retryAfterSeconds?: number;
      oauthError?: string;
      reason?: string;
    } = {},
  ) {
    super(code);
    this.code = code;
    this.description = opts.description ?? defaultDescription[code];
    this.details = opts.details;
    this.retryAfterSeconds = opts.retryAfterSeconds;
    this.oauthError = opts.oauthError;
    this.reason = opts.reason;
  }
}

const defaultDescription: Record<ErrorCode, string> = {
  BadRequest: "The request could not be understood.",
  Unauthorized: "Couldn't authenticate you",
  Forbidden: "You do not have access to this page.",
  RecordNotFound: "Not found",
  InvalidEndpoint: "Not found",
  RecordInvalid: "Record validation errors",
  PayloadTooLarge: "The request body is too large.",
  TooManyRequests: "Rate limit exceeded",
  Conflict: "The record was changed by someone else; reload and try again.",
  TenantGone: "This account no longer exists.",
  AccountClosed: "This account is closed.",
  RecentSignInRequired: "Sign in again to do this.",
  Gone: "This no longer exists.",
  Unavailable: "The service is starting or shutting down; try again shortly.",
  RequestTimeout: "The request was not received in time.",
  HeadersTooLarge: "The request's headers are too large.",
  SatisfactionRatingsOff: "This helpdesk does not ask for satisfaction ratings.",
  TicketNotSolved: "A request can be rated once it is solved.",
  TicketClosed: "This request is closed: its rating can no longer change.",
};

export const notFound = (): AppError => new AppError("RecordNotFound");
export const forbidden = (description?: string): AppError =>
  new AppError("Forbidden", description === undefined ? {} : { description });

/** A 422 with a single field error, in Zendesk's `details` shape. */
export function invalid(field: string, description: string, error = "InvalidValue"): AppError {
  return new AppError("RecordInvalid", { details: { [field]: [{ description, error }] } });
}

/**
 * A refusal that must still commit what the handler recorded (the audit of a failed sign-in): the
 * route wrapper commits the transaction, then answers with `error`.
 */
export class CommitThenFail {
  constructor(readonly error: AppError) {}
}
