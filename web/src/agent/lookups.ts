import { client, ok } from "../api.ts";
import type { TypeAheadOption } from "../components/TypeAhead.tsx";

/**
 * Finding people and organizations for the workspace's type-aheads (changing a ticket's requester
 * or a person's organization, a view's requester and organization conditions), and naming the
 * organizations a view refers to by id.
 */

/** People whose name or address starts with what was typed (`GET /users/search`), as choices. */
export async function findPeople(text: string, signal: AbortSignal): Promise<TypeAheadOption[]> {
  const r = await ok(client.GET("/api/v2/users/search", { params: { query: { query: text, per_page: 8 } }, signal }));
  return r.users.filter((u) => u.active).map((u) => ({ id: u.id, label: u.name, detail: u.email }));
}

/** Organizations whose name has words starting with what was typed (`GET /organizations/autocomplete`). */
export async function findOrganizations(text: string, signal: AbortSignal): Promise<TypeAheadOption[]> {
  const r = await ok(client.GET("/api/v2/organizations/autocomplete", { params: { query: { name: text, per_page: 8 } }, signal }));
  return r.organizations.map((o) => ({ id: o.id, label: o.name }));
}

/** Organizations' names by id, fetched in one call (the first 100 ids); ids not found are left out. */
export async function organizationNames(ids: Iterable<number>, signal?: AbortSignal): Promise<Map<number, string>> {
  const unique = [...new Set(ids)].filter((id) => id > 0).slice(0, 100);
  if (unique.length === 0) return new Map();
  const r = await ok(client.GET("/api/v2/organizations/show_many", { params: { query: { ids: unique.join(",") } }, ...(signal ? { signal } : {}) }));
  return new Map(r.organizations.map((o) => [o.id, o.name]));
}
