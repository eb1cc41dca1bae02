import { client, ok } from "../api.ts";
import type { Role, RoleFilter, User } from "../api-schema.ts";
import type { MessageKey } from "../i18n/index.ts";

/** Small helpers the admin center's pages share. Shapes come from api-schema.ts; every decision stays on the server. */

export const ROLES: readonly Role[] = ["owner", "admin", "agent", "light_agent", "end_user"];
export const roleLabel = (r: string): MessageKey => (ROLES.includes(r as Role) ? (`admin.role.${r}` as MessageKey) : "admin.role.end_user");

/** Users by id, fetched in one call (names of actors, members, token owners). */
export async function usersById(ids: Iterable<number>, signal?: AbortSignal): Promise<Map<number, User>> {
  const unique = [...new Set(ids)].filter((id) => id > 0).slice(0, 100);
  if (unique.length === 0) return new Map();
  const r = await ok(client.GET("/api/v2/users/show_many", { params: { query: { ids: unique.join(",") } }, ...(signal ? { signal } : {}) }));
  return new Map(r.users.map((u) => [u.id, u]));
}

/** A page of people (`role` in the API's terms), with the list's total. */
export async function peoplePage(opts: { role?: RoleFilter | ""; page: number; perPage: number }, signal?: AbortSignal): Promise<{ users: User[]; count: number }> {
  const r = await ok(client.GET("/api/v2/users", { params: { query: { per_page: opts.perPage, page: opts.page, ...(opts.role ? { role: opts.role } : {}) } }, ...(signal ? { signal } : {}) }));
  return { users: r.users, count: r.count ?? r.users.length };
}

/** Every staff member (for pickers), up to 100. */
export async function staff(signal?: AbortSignal): Promise<User[]> {
  // One call per role: the list route takes a single role (`role[]=a&role[]=b` is parsed as `role`).
  const [admins, agents] = await Promise.all((["admin", "agent"] as const).map((role) => peoplePage({ role, page: 1, perPage: 100 }, signal)));
  return [...admins!.users, ...agents!.users].filter((u) => u.active).sort((a, b) => a.id - b.id);
}

export function statusOf(u: User): MessageKey {
  if (!u.active) return "admin.people.deleted";
  return u.suspended ? "admin.people.suspended" : "admin.people.active";
}
