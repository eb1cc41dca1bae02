import crypto from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { AppDeps } from "../deps.ts";
import { AppError } from "../errors.ts";
import { hitAll } from "../rate-limiter.ts";
import { clientNetwork } from "./client-network.ts";

/**
 * The rate-limit presets of routes (the counters themselves are in platform/rate-limiter.ts).
 * Limits per client count its network (an IPv4 address, an IPv6 /64: client-network.ts).
 */
export const SIGNIN_PER_IP = 30;
/**
 * Single sign-on's browser flows (/access/…): no password is checked there, and a whole office
 * behind one address signs in through them at nine in the morning, so their own, wider limit.
 */
export const SSO_PER_IP = 300;
/**
 * The help center's anonymous request form and e-mail sign-in links: per client address, a burst
 * limit per minute and a cap per hour. Much stricter than any API limit, and independent of it.
 */
export const PUBLIC_FORM_LIMITS: ReadonlyArray<[limit: number, windowSeconds: number]> = [[5, 60], [20, 3600]];
export const SIGNIN_LINK_LIMITS: ReadonlyArray<[limit: number, windowSeconds: number]> = [[5, 60], [10, 3600]];

/**
 * Routes that hand out a WebAuthn challenge (passkey options: each stores a challenge row), on top
 * of their preset: a burst limit per minute and a cap per hour, per client network for anonymous
 * ones (the passwordless sign-in and a sign-in's second step) and per person for signed-in ones
 * (adding a passkey, new recovery codes with one). A person needs a handful an hour.
 */
export const WEBAUTHN_OPTIONS_PER_CLIENT: ReadonlyArray<[limit: number, windowSeconds: number]> = [[20, 60], [200, 3600]];
export const WEBAUTHN_OPTIONS_PER_PERSON: ReadonlyArray<[limit: number, windowSeconds: number]> = [[10, 60], [60, 3600]];
/**
 * The anonymous options' hourly cap per client network across every account on the server: the
 * limits above are per account, so without it one network could spread its challenges over many
 * accounts' hosts (each a challenge row, whoever the account). Five accounts' worth of the hourly
 * cap: a passkey sign-in takes one or two options requests, so an office behind one address still
 * gets some 500 passkey sign-ins an hour over all the accounts it uses on the installation.
 */
export const WEBAUTHN_OPTIONS_PER_CLIENT_ALL_ACCOUNTS: [limit: number, windowSeconds: number] = [1000, 3600];
/** Whose requests a route's challenge limit counts: the client network's, or the signed-in person's. */
export type ChallengeRateLimit = "per-client" | "per-person";

/**
 * The challenge limit of a route (WEBAUTHN_OPTIONS_*): `per-client` before the request's
 * transaction (per account, and across all accounts), `per-person` once the person is known (their
 * id, never a credential). Throws 429 `TooManyRequests` with Retry-After when one is reached (the
 * longest wait of those refusing); a refused request is counted by none of them, so a network held
 * by the server-wide cap does not spend an account's budget, nor the other way round.
 */
export function enforceChallengeRateLimit(deps: AppDeps, req: FastifyRequest, by: { client: true } | { personId: string }): void {
  const tenant = req.tenant?.id ?? "-";
  const checks: Array<[string, number, number]> = [];
  if ("personId" in by) for (const [max, w] of WEBAUTHN_OPTIONS_PER_PERSON) checks.push([`webauthn:${tenant}:person:${by.personId}:${w}`, max, w]);
  else {
    const network = clientNetwork(req.ip);
    for (const [max, w] of WEBAUTHN_OPTIONS_PER_CLIENT) checks.push([`webauthn:${tenant}:ip:${network}:${w}`, max, w]);
    const [max, w] = WEBAUTHN_OPTIONS_PER_CLIENT_ALL_ACCOUNTS;
    checks.push([`webauthn:all:ip:${network}:${w}`, max, w]);
  }
  const r = hitAll(deps.rateLimiter, checks);
  if (!r.allowed) throw new AppError("TooManyRequests", { retryAfterSeconds: r.resetSeconds });
}

function credentialKey(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  // A digest of the header, so the limiter never holds a credential.
  return crypto.createHash("sha256").update(h).digest("base64url").slice(0, 22);
}

export type RateLimitPreset = "api" | "signin" | "sso" | "public-form" | "signin-link";

/**
 * The limits of `presets` for one request, counted together (every key or none): a request that
 * carries a password to the API is held to the sign-in limits and the API's in one step, so a 429
 * from either spends neither's budget.
 */
export function enforceRateLimit(deps: AppDeps, req: FastifyRequest, reply: FastifyReply, presets: RateLimitPreset | readonly RateLimitPreset[]): void {
  const checks: Array<[string, number, number?]> = [];
  for (const preset of typeof presets === "string" ? [presets] : presets) checks.push(...checksOf(deps, req, preset));
  if (checks.length === 0) return;
  // Every key or none (hitAll): a request one key refuses spends no other key's budget, so a network
  // refused by its address limit does not use up the budget of the tokens it sends, nor a client
  // held by the limit across accounts its budget in each account.
  const r = hitAll(deps.rateLimiter, checks);
  // The headers tell the answering key's limit: the first key's when allowed, the refusing one's when not.
  const max = checks[r.index]![1];
  reply.header("X-Rate-Limit", String(max));
  reply.header("X-Rate-Limit-Remaining", String(r.remaining));
  reply.header("ratelimit-limit", String(max));
  reply.header("ratelimit-remaining", String(r.remaining));
  reply.header("ratelimit-reset", String(r.resetSeconds));
  if (!r.allowed) throw new AppError("TooManyRequests", { retryAfterSeconds: r.resetSeconds });
}

function checksOf(deps: AppDeps, req: FastifyRequest, preset: RateLimitPreset): Array<[string, number, number?]> {
  const tenant = req.tenant?.id ?? "-";
  const client = clientNetwork(req.ip);
  const checks: Array<[string, number, number?]> = [];
  if (preset === "signin") {
    checks.push([`signin:${tenant}:${client}`, SIGNIN_PER_IP]);
    // And across every account on the server: the wrong-password budget is the process's, and one
    // address must not spend it by spreading its guesses over many accounts' limits.
    if (deps.config.signinPerClientPerMinute > 0) checks.push([`signin:all:${client}`, deps.config.signinPerClientPerMinute]);
  } else if (preset === "sso") checks.push([`sso:${tenant}:${client}`, SSO_PER_IP]);
  else if (preset === "public-form") for (const [n, w] of PUBLIC_FORM_LIMITS) checks.push([`form${w}:${tenant}:${client}`, n, w]);
  else if (preset === "signin-link") for (const [n, w] of SIGNIN_LINK_LIMITS) checks.push([`link${w}:${tenant}:${client}`, n, w]);
  const limit = deps.config.rateLimitPerMinute;
  if (preset === "api" && limit > 0) {
    const cred = credentialKey(req);
    if (cred) checks.push([`api:${tenant}:cred:${cred}`, limit]);
    checks.push([`api:${tenant}:ip:${client}`, limit]);
  }
  return checks;
}
