import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Actor, RequestContext } from "../platform/context.ts";
import { AppError } from "../platform/errors.ts";
import type { AppDeps } from "./deps.ts";
import { authenticate } from "./auth.ts";
import { enforceRateLimit, type RateLimitPreset } from "./rate-limit.ts";
import { parseAuthorization, SESSION_COOKIE, tokenPrelude } from "../modules/identity/identity-service.ts";

/**
 * The one way a module declares an HTTP route. The spec declares schemas, operationId, auth and
 * rate-limit preset; the handler makes one service call. The wrapper opens the tenant
 * transaction, authenticates inside it, checks the token scope, and commits.
 */

/**
 * `user`: a credential is required. `anonymous`: none is read. `optional`: a credential is used
 * when one is sent (an API token, or a live session with its CSRF header on writes); a session
 * cookie that has ended counts as no credential, so a visitor with a stale cookie is anonymous.
 */
export type AuthMode = "user" | "anonymous" | "optional";

export interface RouteSpec<B extends z.ZodType, Q extends z.ZodType, P extends z.ZodType> {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  url: string;
  operationId: string;
  tag: string;
  summary?: string;
  auth: AuthMode;
  /** Token scope needed; defaults to read for GET and write otherwise. */
  scope?: "read" | "write";
  rateLimit?: RateLimitPreset;
  /** Allowed before the one-time password has been changed (password change, sign-out, me). */
  allowPendingPasswordChange?: boolean;
  body?: B;
  query?: Q;
  params?: P;
  response: z.ZodType;
  status?: 200 | 201 | 202 | 204;
  handler: (ctx: RequestContext, input: HandlerInput<B, Q, P>) => Promise<unknown>;
}

export interface HandlerInput<B extends z.ZodType, Q extends z.ZodType, P extends z.ZodType> {
  body: z.output<B>;
  query: z.output<Q>;
  params: z.output<P>;
  /** The URL as the client sent it (for pagination links). */
  url: URL;
  req: FastifyRequest;
  reply: FastifyReply;
}

/** A refusal that must still commit what the handler recorded (e.g. the audit of a failed sign-in). */
export class CommitThenFail {
  constructor(readonly error: AppError) {}
}

export const registeredRoutes: Array<{ method: string; url: string; operationId: string; auth: AuthMode }> = [];

export function requestUrl(req: FastifyRequest): URL {
  const proto = req.protocol === "https" ? "https" : "http";
  return new URL(`${proto}://${req.host}${req.originalUrl}`);
}

export function defineRoute<B extends z.ZodType = z.ZodUndefined, Q extends z.ZodType = z.ZodUndefined, P extends z.ZodType = z.ZodUndefined>(
  app: FastifyInstance,
  deps: AppDeps,
  spec: RouteSpec<B, Q, P>,
): void {
  const status = spec.status ?? (spec.method === "POST" ? 201 : 200);
  const scope = spec.scope ?? (spec.method === "GET" ? "read" : "write");
  registeredRoutes.push({ method: spec.method, url: spec.url, operationId: spec.operationId, auth: spec.auth });
  app.withTypeProvider<ZodTypeProvider>().route({
    method: spec.method,
    url: spec.url,
    schema: {
      operationId: spec.operationId,
      tags: [spec.tag],
      ...(spec.summary ? { summary: spec.summary } : {}),
      ...(spec.body ? { body: spec.body } : {}),
      ...(spec.query ? { querystring: spec.query } : {}),
      ...(spec.params ? { params: spec.params } : {}),
      response: { [status]: spec.response },
    },
    handler: async (req, reply) => {
      const tenant = req.tenant;
      if (!tenant) throw new AppError("RecordNotFound");
      enforceRateLimit(deps, req, reply, spec.rateLimit ?? "api");
      const cred = spec.auth !== "anonymous" && req.headers.authorization ? parseAuthorization(req.headers.authorization) : undefined;
      const prelude = cred && cred !== "password" ? tokenPrelude(deps, tenant.id, cred) : undefined;
      const result = await deps.db.tenant(tenant.id, async (tx) => {
        const sealer = await deps.keyring.sealerFor(tx);
        const ip = req.ip;
        let actor: Actor = { kind: "anonymous" };
        const credentialSent = req.headers.authorization !== undefined || req.cookies[SESSION_COOKIE] !== undefined;
        if (spec.auth === "user" || (spec.auth === "optional" && credentialSent)) {
          actor = await authenticate(deps, tx, sealer, req, spec.method !== "GET").catch((err: unknown) => {
            // A session that has ended makes an optional route anonymous; a bad token stays an error.
            if (spec.auth === "optional" && !req.headers.authorization && err instanceof AppError && err.code === "Unauthorized") return { kind: "anonymous" } as const;
            throw err;
          });
          if (actor.kind === "user" && !actor.scopes.includes(scope)) {
            throw new AppError("Forbidden", { description: `This token lacks the '${scope}' scope.` });
          }
          if (actor.kind === "user" && actor.via === "session" && !spec.allowPendingPasswordChange && req.passwordChangeRequired) {
            throw new AppError("Forbidden", { description: "Change your one-time password before you continue." });
          }
        }
        const url = requestUrl(req);
        const ctx: RequestContext = { tx, sealer, actor, requestId: req.id, ip, apiBase: `${url.origin}/api/v2` };
        return spec.handler(ctx, {
          body: req.body as z.output<B>,
          query: req.query as z.output<Q>,
          params: req.params as z.output<P>,
          url,
          req,
          reply,
        });
      }, prelude ? { prelude } : undefined);
      if (result instanceof CommitThenFail) throw result.error;
      reply.code(status);
      return status === 204 ? undefined : result;
    },
  });
}
