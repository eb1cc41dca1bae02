import type { TenantTx } from "./db/database.ts";
import type { TenantSealer } from "./crypto/keyring.ts";
import type { Role } from "./db/schema.ts";

/** Who acts. Users carry both their internal uuid and their public per-tenant id. */
export type Actor =
  | { kind: "user"; userId: string; niceId: number; role: Role; scopes: readonly string[]; via: "token" | "session" }
  | { kind: "anonymous" }
  | { kind: "system" }
  | { kind: "operator" };

/** Everything a service needs to act for one request inside one tenant transaction. */
export interface RequestContext {
  readonly tx: TenantTx;
  readonly sealer: TenantSealer;
  readonly actor: Actor;
  readonly requestId: string;
  /** Client address, sealed before it is stored anywhere. */
  readonly ip: string | undefined;
  /** `scheme://host/api/v2`, for the `url` fields of presented resources. */
  readonly apiBase: string;
}

export function actorUser(ctx: RequestContext) {
  if (ctx.actor.kind !== "user") throw new Error("a signed-in user is required");
  return ctx.actor;
}
