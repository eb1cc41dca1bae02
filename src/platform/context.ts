import crypto from "node:crypto";
import type { TenantTx } from "./db/database.ts";
import type { TenantSealer } from "./crypto/keyring.ts";
import type { Role } from "./db/schema.ts";
import type { CustomRole } from "./roles.ts";
import { Hooks } from "./hooks.ts";

/**
 * Who acts. Users carry both their internal uuid and their public per-tenant id. `via: "support"`:
 * the tenant's support user, acting for the installation's operator under a live support access
 * grant (modules/support), through a one-request pass. `customRole`: an agent's custom role
 * configuration (platform/roles.ts), null for the preset of their role; read fresh with every
 * credential, so a change applies at once.
 */
export type UserActor = {
  kind: "user";
  userId: string;
  niceId: number;
  role: Role;
  customRole?: CustomRole | null;
  scopes: readonly string[];
  via: "token" | "session" | "oauth" | "password" | "support";
  /**
   * On a session: when the person signed in to open it (platform/recent-sign-in.ts). Absent for
   * every other credential, and for a session they did not open themselves (a sign-in link staff
   * made for them, an owner's single sign-on), which so never counts as a recent sign-in.
   */
  signedInAt?: Date | undefined;
};
/** What making a user actor needs: the person, with their custom role when they carry one. */
export type ActingUser = { id: string; niceId: number; role: Role; customRole: CustomRole | null };
/**
 * `operator`: the command line (or the server acting for it); `setup`: the person at the
 * first-run setup page, before any account (and so any user) exists.
 */
export type Actor = UserActor | { kind: "anonymous" } | { kind: "system" } | { kind: "operator" } | { kind: "setup" };

/** Everything a service needs to act for one request inside one tenant transaction. */
export interface RequestContext {
  readonly tx: TenantTx;
  readonly sealer: TenantSealer;
  readonly actor: Actor;
  /** The server's own id for the request (never one a client chose). */
  readonly requestId: string;
  /** Client address, sealed before it is stored anywhere. */
  readonly ip: string | undefined;
  /** The User-Agent header (at most 512 characters), sealed before it is stored (the device list). */
  readonly userAgent?: string | undefined;
  /** `scheme://host/api/v2` of the tenant, from configuration (platform/urls.ts), for `url` fields and links. */
  readonly apiBase: string;
  /** The clock of the deployment (injected in tests of expiry and retention). */
  readonly now: () => Date;
  /** The app's hooks (platform/hooks.ts): what modules run when another announces a write. */
  readonly hooks: Hooks<RequestContext>;
}

/** Hooks nobody listens to: for operator commands and other work outside a serving app. */
const NO_HOOKS = new Hooks<RequestContext>();

/** Builds a context; the one way, whether for a request, a job, or an operator command. */
export function makeContext(c: {
  tx: TenantTx;
  sealer: TenantSealer;
  actor: Actor;
  now: () => Date;
  requestId?: string | undefined;
  ip?: string | undefined;
  userAgent?: string | undefined;
  apiBase?: string | undefined;
  hooks?: Hooks<RequestContext> | undefined;
}): RequestContext {
  return {
    tx: c.tx,
    sealer: c.sealer,
    actor: c.actor,
    now: c.now,
    requestId: c.requestId ?? `op-${crypto.randomUUID().slice(0, 8)}`,
    ip: c.ip,
    userAgent: c.userAgent,
    apiBase: c.apiBase ?? "",
    hooks: c.hooks ?? NO_HOOKS,
  };
}

/** A user as an actor: the one way one is made (a credential resolved, a job's creator, an unproven sender). */
export function userActor(user: ActingUser, via: UserActor["via"], scopes: readonly string[] = ["read", "write"]): UserActor {
  return { kind: "user", userId: user.id, niceId: user.niceId, role: user.role, customRole: user.role === "agent" ? user.customRole : null, scopes, via };
}

/** The same request, acting as another user (a person who just signed in, a job's creator). */
export function actingAs(ctx: RequestContext, user: ActingUser, via: UserActor["via"] = "session", scopes: readonly string[] = ["read", "write"]): RequestContext {
  return { ...ctx, actor: userActor(user, via, scopes) };
}

export function actorUser(ctx: Pick<RequestContext, "actor">): UserActor {
  if (ctx.actor.kind !== "user") throw new Error("a signed-in user is required");
  return ctx.actor;
}
