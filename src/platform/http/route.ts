import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { z } from "zod";
import { makeContext, type Actor, type RequestContext } from "../context.ts";
import type { AppDeps, ResolvedTenant } from "../deps.ts";
import type { TenantTx } from "../db/database.ts";
import { retryOnConflict } from "../db/conflict.ts";
import { AppError, CommitThenFail } from "../errors.ts";
import { RECENT_SIGN_IN_MS, requireRecentSignInOnSession } from "../recent-sign-in.ts";
import { enforceChallengeRateLimit, enforceRateLimit, type ChallengeRateLimit, type RateLimitPreset } from "./rate-limit.ts";
import { isCredentialRoute, scopeName, scopeNeed, scopesGrant, type Access } from "./scopes.ts";

/**
 * The one way a module declares an HTTP route. The spec declares schemas, operationId, auth and
 * rate-limit preset; the handler makes one service call. The wrapper opens the tenant
 * transaction, authenticates inside it (through the identity module's authenticator), checks the
 * token scope, and commits. Every route declared here is enumerated by the isolation, fuzz and
 * log suites (`registeredRoutes`).
 */

/**
 * `user`: a credential is required. `anonymous`: none is read. `optional`: a credential is used
 * when one is sent (an API token, or a live session with its CSRF header on writes); a session
 * cookie that has ended counts as no credential, so a visitor with a stale cookie is anonymous.
 */
export type AuthMode = "user" | "anonymous" | "optional";

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

interface SpecBase<B extends z.ZodType, Q extends z.ZodType, P extends z.ZodType> {
  method: Method;
  url: string;
  operationId: string;
  tag: string;
  summary?: string;
  rateLimit?: RateLimitPreset;
  /**
   * The route hands out a WebAuthn challenge (a row each): its own limit on top of `rateLimit`,
   * per client network (`per-client`, anonymous routes) or per signed-in person (`per-person`).
   */
  challengeRateLimit?: ChallengeRateLimit;
  body?: B;
  query?: Q;
  params?: P;
  response: z.ZodType;
  /** 302/303: a browser flow (single sign-on) whose handler answers `new Redirect(location)`. */
  status?: 200 | 201 | 202 | 204 | 302 | 303;
  /** Another answer the handler may give by returning `new WithStatus(status, body)` (its schema, for the OpenAPI document). */
  alsoAnswers?: { status: 200 | 201 | 202; response: z.ZodType };
  /**
   * Every call is a step that gives lasting access, moves an account or changes how people sign
   * in: a caller on a session must have signed in within the last minutes (platform/recent-sign-in.ts),
   * else 403 RecentSignInRequired before `prepare` or the handler runs. The text completes "To …,
   * sign in again". Other credentials keep their own rules (OAuth tokens never reach credential routes).
   */
  recentSignIn?: string;
}

/**
 * A handler's answer that sends the browser on (single sign-on flows), with the route's status
 * (302 or 303). `location` is a path of the tenant's own origin, or an address from the tenant's
 * settings or the server's configuration — never one taken from the request.
 */
export class Redirect {
  constructor(readonly location: string) {}
}

/** A handler's answer with a status other than the route's usual one (declared in `alsoAnswers`). */
export class WithStatus<T = unknown> {
  constructor(
    readonly status: number,
    readonly body: T,
  ) {}
}

export interface RouteSpec<B extends z.ZodType, Q extends z.ZodType, P extends z.ZodType, R = undefined> extends SpecBase<B, Q, P> {
  auth: AuthMode;
  /**
   * Work done before the request's tenant transaction opens, outside any transaction: slow,
   * CPU-bound steps (verifying or hashing a password) that must not hold the database — on the
   * embedded database one transaction at a time serves every tenant. It may open short
   * transactions of its own; its result reaches the handler as `prepared`.
   */
  prepare?: (input: PrepareInput<B>) => Promise<R>;
  /**
   * Undoes what `prepare` left outside the database (a stored file) when the request then fails
   * for any reason — authentication, the handler, the commit — after the last retry. Its own
   * errors are logged and swallowed: the request's error is what the client gets.
   */
  cleanup?: (prepared: R) => Promise<void>;
  /** Access a token's scopes must grant (http/scopes.ts); defaults to read for GET and write otherwise. */
  scope?: Access;
  /** Allowed before the one-time password has been changed (password change, sign-out, me). */
  allowPendingPasswordChange?: boolean;
  /**
   * Allowed to a staff member the tenant requires to use two-factor sign-in before they have
   * enrolled (enrolment, sign-out, session, me); every other route answers 403 to such a session.
   */
  allowPendingTwoFactor?: boolean;
  handler: (ctx: RequestContext, input: HandlerInput<B, Q, P, R>) => Promise<unknown>;
}

export interface PrepareInput<B extends z.ZodType> {
  body: z.output<B>;
  tenant: ResolvedTenant;
  req: FastifyRequest;
  /** Runs `fn` in a short transaction of the tenant, authenticated as the route is (read what the slow step needs). */
  inTenant<T>(fn: (ctx: RequestContext) => Promise<T>): Promise<T>;
}

export interface HandlerInput<B extends z.ZodType, Q extends z.ZodType, P extends z.ZodType, R = undefined> {
  /** What `prepare` answered (undefined without one). */
  prepared: R;
  body: z.output<B>;
  query: z.output<Q>;
  params: z.output<P>;
  /** The request's path and query on the tenant's configured origin (for page links). */
  url: URL;
  /** The tenant the host selected. */
  tenant: ResolvedTenant;
  req: FastifyRequest;
  reply: FastifyReply;
  /**
   * Work outside the database to do once the transaction has committed (removing files whose rows
   * it deleted), awaited before the answer is sent. Dropped when the transaction does not commit.
   */
  afterCommit(fn: () => Promise<void>): void;
}

/** What an installation route (no tenant yet: first-run setup) is given instead of a tenant context. */
export interface InstallationInput<B extends z.ZodType> {
  body: z.output<B>;
  requestId: string;
  ip: string | undefined;
  now: () => Date;
}

export interface InstallationRouteSpec<B extends z.ZodType> extends SpecBase<B, z.ZodUndefined, z.ZodUndefined> {
  /** An installation route has no session to judge (first-run setup). */
  recentSignIn?: never;
  handler: (input: InstallationInput<B>) => Promise<unknown>;
}

export type RegisteredRoute = { method: string; url: string; operationId: string; auth: AuthMode | "installation"; module: string; recentSignIn?: string };
export const registeredRoutes: RegisteredRoute[] = [];

let registering = "(none)";
/** The server names the module whose routes are being registered (for the route table's check). */
export function registeringModule(name: string): void {
  registering = name;
}

/** What the OpenAPI document says of a route that declares `recentSignIn` (for clients to offer a new sign-in before they try). */
function recentSignInDescription(doing: string): string {
  return `To ${doing} on a session, the person must have signed in within the last ${RECENT_SIGN_IN_MS / 60_000} minutes (else 403 \`RecentSignInRequired\`: sign in again). API tokens keep their own rules.`;
}

function register(app: FastifyInstance, spec: SpecBase<z.ZodType, z.ZodType, z.ZodType>, status: number, auth: RegisteredRoute["auth"], handler: (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>): void {
  registeredRoutes.push({ method: spec.method, url: spec.url, operationId: spec.operationId, auth, module: registering, ...(spec.recentSignIn ? { recentSignIn: spec.recentSignIn } : {}) });
  app.withTypeProvider<ZodTypeProvider>().route({
    method: spec.method,
    url: spec.url,
    schema: {
      operationId: spec.operationId,
      tags: [spec.tag],
      ...(spec.summary ? { summary: spec.summary } : {}),
      // Said in the OpenAPI document, for clients to offer a new sign-in before they try.
      ...(spec.recentSignIn ? { description: recentSignInDescription(spec.recentSignIn) } : {}),
      ...(spec.body ? { body: spec.body } : {}),
      ...(spec.query ? { querystring: spec.query } : {}),
      ...(spec.params ? { params: spec.params } : {}),
      response: { [status]: spec.response, ...(spec.alsoAnswers ? { [spec.alsoAnswers.status]: spec.alsoAnswers.response } : {}) },
    },
    handler: async (req, reply) => {
      const result = await handler(req, reply);
      if (result instanceof CommitThenFail) throw result.error;
      if (result instanceof Redirect) {
        if (status !== 302 && status !== 303) throw new Error(`${spec.operationId} answered a redirect but declares status ${status}`);
        return reply.redirect(result.location, status);
      }
      if (result instanceof WithStatus && spec.alsoAnswers?.status === result.status) {
        reply.code(result.status);
        return result.body;
      }
      reply.code(status);
      return status === 204 ? undefined : result;
    },
  });
}

export function defineRoute<B extends z.ZodType = z.ZodUndefined, Q extends z.ZodType = z.ZodUndefined, P extends z.ZodType = z.ZodUndefined, R = undefined>(
  app: FastifyInstance,
  deps: AppDeps,
  spec: RouteSpec<B, Q, P, R>,
): void {
  const status = spec.status ?? (spec.method === "POST" ? 201 : 200);
  const need = scopeNeed(spec.method, spec.url, spec.scope);
  const credentialRoute = isCredentialRoute(spec.method, spec.url);
  const auth = deps.authenticator;
  register(app, spec as SpecBase<z.ZodType, z.ZodType, z.ZodType>, status, spec.auth, async (req, reply) => {
    const tenant = req.tenant;
    if (!tenant) throw new AppError("RecordNotFound");
    const sent = spec.auth !== "anonymous" && auth.credentialSent(req);
    // A password sent to the API is a sign-in on every request: the sign-in page's limits too,
    // counted with the route's own in one step (a 429 from either spends neither's budget; the
    // headers, when allowed, are the sign-in limit's).
    const signsIn = sent && spec.rateLimit !== "signin" && auth.signsIn?.(req) === true;
    enforceRateLimit(deps, req, reply, signsIn ? ["signin", spec.rateLimit ?? "api"] : spec.rateLimit ?? "api");
    if (spec.challengeRateLimit === "per-client") enforceChallengeRateLimit(deps, req, { client: true });
    // Counted once per request, whatever transaction (a retry after a conflict) authenticates it.
    let personCounted = false;
    const prelude = sent ? auth.prelude(tenant.id, req) : undefined;
    /** A context of the tenant for an anonymous caller, over `tx`. */
    const anonymousIn = async (tx: TenantTx): Promise<RequestContext> =>
      makeContext({ tx, sealer: await deps.keyring.sealerFor(tx), actor: { kind: "anonymous" }, requestId: req.id, ip: req.ip, userAgent: req.headers["user-agent"]?.slice(0, 512), apiBase: deps.urls.apiBase(tenant), now: deps.now, hooks: deps.hooks });
    // A credential's slow step (a password's hash), before and outside the request's transaction.
    const early = sent && auth.beforeTransaction ? await auth.beforeTransaction(req, (fn) => deps.db.tenant(tenant.id, async (tx) => fn(await anonymousIn(tx)))) : undefined;
    /** Authenticates inside the transaction and builds the request's context. */
    const contextIn = async (tx: TenantTx): Promise<RequestContext> => {
      const sealer = await deps.keyring.sealerFor(tx);
      let actor: Actor = { kind: "anonymous" };
      if (spec.auth === "user" || sent) {
        actor = await auth.authenticate(tx, sealer, req, { isWrite: spec.method !== "GET", optional: spec.auth === "optional", early });
        if (actor.kind === "user" && !scopesGrant(actor.scopes, need)) {
          throw new AppError("Forbidden", { description: actor.via === "support" ? "This support access grant is read only." : `This token lacks the '${scopeName(need)}' scope.` });
        }
        if (actor.kind === "user" && actor.via === "oauth" && credentialRoute) {
          throw new AppError("Forbidden", { description: "OAuth access tokens cannot manage credentials or roles." });
        }
        if (actor.kind === "user" && actor.via === "support" && credentialRoute) {
          throw new AppError("Forbidden", { description: "Support access cannot see or change credentials, roles, sign-in security or support access itself." });
        }
        if (actor.kind === "user" && actor.via === "session" && !spec.allowPendingPasswordChange && req.passwordChangeRequired) {
          throw new AppError("Forbidden", { description: "Change your one-time password before you continue." });
        }
        if (actor.kind === "user" && actor.via === "session" && !spec.allowPendingTwoFactor && req.twoFactorEnrolmentRequired) {
          throw new AppError("Forbidden", { description: "Your team requires two-factor authentication: set up an authenticator app or add a passkey before you continue." });
        }
      }
      if (spec.challengeRateLimit === "per-person" && actor.kind === "user" && !personCounted) {
        personCounted = true;
        enforceChallengeRateLimit(deps, req, { personId: actor.userId });
      }
      const ctx = makeContext({ tx, sealer, actor, requestId: req.id, ip: req.ip, userAgent: req.headers["user-agent"]?.slice(0, 512), apiBase: deps.urls.apiBase(tenant), now: deps.now, hooks: deps.hooks });
      if (spec.recentSignIn) requireRecentSignInOnSession(ctx, spec.recentSignIn);
      return ctx;
    };
    const prepared = (
      spec.prepare
        ? await spec.prepare({
            body: req.body as z.output<B>,
            tenant,
            req,
            inTenant: (fn) => deps.db.tenant(tenant.id, async (tx) => fn(await contextIn(tx)), prelude ? { prelude } : undefined),
          })
        : undefined
    ) as R;
    let later: Array<() => Promise<void>> = [];
    let result: unknown;
    try {
      // A transaction rolled back by a deadlock or serialization failure wrote nothing: run it again.
      result = await retryOnConflict(() => {
        later = [];
        return deps.db.tenant(
          tenant.id,
          async (tx) =>
            spec.handler(await contextIn(tx), {
              prepared,
              body: req.body as z.output<B>,
              query: req.query as z.output<Q>,
              params: req.params as z.output<P>,
              url: deps.urls.requestUrl(tenant, req.originalUrl),
              tenant,
              req,
              reply,
              afterCommit: (fn) => void later.push(fn),
            }),
          prelude ? { prelude } : undefined,
        );
      });
    } catch (err) {
      if (spec.cleanup && spec.prepare) {
        await spec.cleanup(prepared).catch((e: unknown) => req.log.warn({ err: (e as Error)?.name }, "cleanup after a failed request did not finish"));
      }
      throw err;
    }
    for (const fn of later) await fn().catch((e: unknown) => req.log.warn({ err: (e as Error)?.name }, "work after commit did not finish"));
    return result;
  });
}

/**
 * A route of the installation rather than of a tenant (first-run setup, served before any account
 * exists): no tenant transaction and no credentials; the handler is given the body and the clock.
 */
export function defineInstallationRoute<B extends z.ZodType = z.ZodUndefined>(app: FastifyInstance, deps: AppDeps, spec: InstallationRouteSpec<B>): void {
  const status = spec.status ?? (spec.method === "POST" ? 201 : 200);
  register(app, spec as SpecBase<z.ZodType, z.ZodType, z.ZodType>, status, "installation", async (req, reply) => {
    if (spec.rateLimit) enforceRateLimit(deps, req, reply, spec.rateLimit);
    return spec.handler({ body: req.body as z.output<B>, requestId: req.id, ip: req.ip, now: deps.now });
  });
}
