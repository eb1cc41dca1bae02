import type { AppDeps, ResolvedTenant } from "./deps.ts";
import { findTenant, type TenantInfo } from "../modules/tenants/tenants-service.ts";

/**
 * Host → tenant. `acme.<base domain>` selects tenant `acme`; the bare base domain serves the
 * default tenant (VAULTDESK_DEFAULT_TENANT, else the first one created). Lookups are cached for a
 * few seconds so a busy API does not query the registry on every request.
 */
export type Resolution = { kind: "tenant"; tenant: ResolvedTenant } | { kind: "gone" } | { kind: "none" };

const TTL_MS = 5_000;

export function createTenantResolver(deps: AppDeps): (hostname: string) => Promise<Resolution> {
  const cache = new Map<string, { at: number; value: TenantInfo | undefined }>();
  const base = deps.config.baseDomain;
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
    return { kind: "tenant", tenant: { id: t.id, subdomain: t.subdomain, region: t.region } };
  };
}
