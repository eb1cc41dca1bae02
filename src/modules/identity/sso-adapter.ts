import crypto from "node:crypto";
import { actorUser, type RequestContext } from "../../platform/context.ts";
import type { AppDeps } from "../../platform/deps.ts";
import type { Role, SsoKind } from "../../platform/db/schema.ts";
import { AppError } from "../../platform/errors.ts";
import { audit } from "../audit/audit-service.ts";
import { findOrCreateByEmail, findUserByEmail } from "../users/users-service.ts";
import { startSession, type Session } from "./identity-service.ts";
import * as repo from "./sso-adapter-repo.ts";
import { isAdmin } from "../users/users-policy.ts";

/**
 * INTERIM ADAPTER — not the single sign-on foundation. The OpenID Connect and JWT sign-ins are
 * written against the shared layer's functions (sso-service.ts, being written separately); until
 * it is merged, this file gives the same signatures with the least behaviour that lets them run:
 * sealed provider settings, single-use pending requests, the replay cache, and a sign-in that
 * finds the person by e-mail (creating an end user), refuses a suspended one and opens a session.
 * No subject table, no role mapping, no "who uses which provider" settings. Replaced by
 * sso-service.ts when it lands.
 */

export type AssertedIdentity = { subject: string; email: string; name?: string | undefined; attributes: Record<string, readonly string[]> };

const providerRef = (id: string) => ({ table: "sso_providers" as const, column: "config" as const, row: id });
const requestRef = (id: string) => ({ table: "sso_requests" as const, column: "payload" as const, row: id });

export async function readProvider(ctx: RequestContext, kind: SsoKind): Promise<{ enabled: boolean; config: unknown } | undefined> {
  const row = await repo.findProvider(ctx.tx, kind);
  return row ? { enabled: row.enabled, config: ctx.sealer.openJson<unknown>(row.config_sealed, providerRef(row.id)) } : undefined;
}

export async function saveProvider(ctx: RequestContext, kind: SsoKind, input: { enabled: boolean; config: Record<string, unknown> }): Promise<void> {
  const actor = actorUser(ctx);
  if (!isAdmin(actor.role)) throw new AppError("Forbidden", { description: "Only admins change single sign-on." });
  const existing = await repo.findProvider(ctx.tx, kind);
  const id = existing?.id ?? crypto.randomUUID();
  await repo.upsertProvider(ctx.tx, { id, kind, enabled: input.enabled, config_sealed: ctx.sealer.sealJson(input.config, providerRef(id)) }, ctx.now());
  audit(ctx, { action: "sso.provider_updated", resourceType: "sso_provider", resourceId: kind, fields: ["enabled", ...Object.keys(input.config).filter((k) => /^[a-z0-9_]{1,60}$/.test(k))] });
}

const keyHash = (deps: Pick<AppDeps, "keyring">, kind: SsoKind, key: string) => deps.keyring.hashSecret(`sso-${kind}`, key);

export async function beginRequest(deps: Pick<AppDeps, "keyring">, ctx: RequestContext, kind: SsoKind, key: string, payload: Record<string, string>, ttlMinutes = 10): Promise<void> {
  const id = crypto.randomUUID();
  await repo.insertRequest(ctx.tx, { id, kind, key_hash: keyHash(deps, kind, key), payload_sealed: ctx.sealer.sealJson(payload, requestRef(id)), expires_at: new Date(ctx.now().getTime() + ttlMinutes * 60_000) });
}

export async function finishRequest(deps: Pick<AppDeps, "keyring">, ctx: RequestContext, kind: SsoKind, key: string): Promise<Record<string, string> | undefined> {
  const row = await repo.claimRequest(ctx.tx, kind, keyHash(deps, kind, key), ctx.now());
  return row ? ctx.sealer.openJson<Record<string, string>>(row.payload_sealed, requestRef(row.id)) : undefined;
}

export async function useOnce(deps: Pick<AppDeps, "keyring">, ctx: RequestContext, kind: SsoKind, key: string, expiresAt: Date): Promise<boolean> {
  return repo.insertReplayKey(ctx.tx, kind, keyHash(deps, kind, key), expiresAt);
}

export function safeReturnTo(value: string | undefined): string | undefined {
  if (!value || value.length > 2000 || !value.startsWith("/") || value.startsWith("//") || value.startsWith("/\\") || /[\u0000-\u001f\\]/.test(value)) return undefined;
  return value;
}

export async function signInWithProvider(deps: AppDeps, ctx: RequestContext, kind: SsoKind, identity: AssertedIdentity): Promise<{ session: Session; user: { niceId: number; role: Role }; landing: "/agent" | "/" }> {
  const found = await findUserByEmail(ctx, identity.email);
  if (found && (!found.active || found.suspended)) throw new AppError("Forbidden", { description: "This account is suspended." });
  const user = found ?? (await findOrCreateByEmail(ctx, identity.email, identity.name));
  const session = await startSession(deps, ctx, user, kind);
  return { session, user: { niceId: user.niceId, role: user.role }, landing: user.role === "end_user" ? "/" : "/agent" };
}
