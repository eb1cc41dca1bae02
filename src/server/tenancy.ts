import type { FastifyRequest } from "fastify";
import type { AppDeps, ResolvedTenant } from "../platform/deps.ts";
import { AppError } from "../platform/errors.ts";
import { onTenantRegistryChange } from "../platform/tenant-registry.ts";
import { findTenant, type TenantInfo } from "../modules/tenants/tenants-service.ts";

/**
 * Host → tenant. `acme.<base domain>` selects tenant `acme`; the bare base domain serves the
 * default tenant (VAULTDESK_DEFAULT_TENANT, else the first one created). Lookups are cached for a
 * few seconds so a busy API does not query the registry on every request. The host only selects
 * the tenant: no URL the server writes is built from it (platform/urls.ts).
 */
export type Resolution = { kind: "tenant"; tenant: ResolvedTenant } | { kind: "closed"; deletesAt: Date | null } | { kind: "gone" } | { kind: "none" };

const TTL_MS = 5_000;

/** The refusal a closed tenant's API, sign-in and OAuth endpoints answer (403 `AccountClosed`). */
export function accountClosedError(deletesAt: Date | null): AppError {
  const when = deletesAt ? ` Its data will be deleted on ${deletesAt.toISOString().slice(0, 10)}.` : "";
  return new AppError("AccountClosed", { description: `This account is closed.${when}` });
}

/** A host name (labels of letters, digits and hyphens) or a bracketed IPv6 literal, with an optional port. */
const HOST = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?|\[[0-9a-f:.]{2,45}\])(?::[0-9]{1,5})?$/i;

/** A plain host: a name or bracketed IPv6 literal, at most 260 characters, with a port up to 65535. */
function plainHost(h: string): boolean {
  return h.length <= 260 && HOST.test(h) && Number(/:(\d+)$/.exec(h)?.[1] ?? 0) <= 65535;
}

/**
 * Refuses (400) a Host header, or the X-Forwarded-Host of a trusted proxy, that is not a plain
 * host. A client that is not a listed proxy may send any X-Forwarded-Host: it is not read.
 */
export function checkHost(req: FastifyRequest, trustedProxy: (address: string | undefined) => boolean): void {
  const refuse = () => new AppError("BadRequest", { description: "The Host header is not a valid host name." });
  const host = req.headers.host;
  // One host: a comma-separated list is a proxy's header, never a Host.
  if (host !== undefined && !plainHost(host)) throw refuse();
  const forwarded = trustedProxy(req.socket.remoteAddress) ? req.headers["x-forwarded-host"] : undefined;
  if (forwarded !== undefined) {
    // A proxy may append hosts (`a, b`); Fastify uses the last one, so each must be a host.
    const parts = (Array.isArray(forwarded) ? forwarded : [forwarded]).flatMap((h) => h.split(",")).map((p) => p.trim());
    if (parts.length === 0 || !parts.every(plainHost)) throw refuse();
  }
}

export function createTenantResolver(deps: Pick<AppDeps, "config" | "db">): (hostname: string) => Promise<Resolution> {
  const cache = new Map<string, { at: number; value: TenantInfo | undefined }>();
  // Closing, reopening or shredding a tenant drops this process's lookups at once (platform/tenant-registry.ts).
  // Other processes see the change when their entry expires, within TTL_MS; closing also ends
  // every session and token in the same transaction, so nobody signed in reads on meanwhile.
  onTenantRegistryChange(() => cache.clear());
  const base = deps.config.baseDomain;
  const isDefault = (t: TenantInfo) => (deps.config.defaultTenant ? t.subdomain === deps.config.defaultTenant : t.isDefault);
  return async (hostname) => {
    const host = hostname.toLowerCase().replace(/\.$/, "").replace(/:\d+$/, "");
    let key: { subdomain: string } | { isDefault: true };
    if (host === base || host === "127.0.0.1" || host === "[::1]" || host === "::1") {
      key = deps.config.defaultTenant ? { subdomain: deps.config.defaultTenant } : { isDefault: true };
    } else if (host.endsWith(`.${base}`)) {
      const sub = host.slice(0, -(base.length + 1));
      if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(sub)) return { kind: "none" };
      key = { subdomain: sub };
    } else {
      return { kind: "none" };
    }
    const ck = "subdomain" in key ? `s:${key.subdomain}` : "default";
    const hit = cache.get(ck);
    let t: TenantInfo | undefined;
    if (hit && Date.now() - hit.at < TTL_MS) t = hit.value;
    else {
      t = await findTenant(deps.db, key);
      if (cache.size > 10_000) cache.clear();
      // Misses are not cached: a tenant created a moment ago must resolve at once.
      if (t) cache.set(ck, { at: Date.now(), value: t });
    }
    if (!t) return { kind: "none" };
    if (t.status === "shredded") return { kind: "gone" };
    if (t.status === "closed") return { kind: "closed", deletesAt: t.deletesAt };
    return { kind: "tenant", tenant: { id: t.id, subdomain: t.subdomain, region: t.region, isDefault: isDefault(t) } };
  };
}

/** The plain page a closed account's web pages answer: no script, no data but the deletion date. */
export function closedAccountPage(deletesAt: Date | null): string {
  const when = deletesAt ? `<p>Its data will be deleted on ${deletesAt.toISOString().slice(0, 10)}. Until then, the service's operator can reopen it at the owner's request.</p>` : "";
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Account closed</title></head><body><h1>This account is closed</h1><p>Its help center, workspace and sign-in are no longer available.</p>${when}</body></html>\n`;
}
