/**
 * A signal that the tenant registry changed (an account closed, reopened or shredded), so that
 * the host → tenant lookups cached in this process (src/server/tenancy.ts) are dropped at once.
 * Other processes drop theirs when the entries expire (seconds).
 */
const listeners = new Set<() => void>();

export function onTenantRegistryChange(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function tenantRegistryChanged(): void {
  for (const fn of listeners) fn();
}
