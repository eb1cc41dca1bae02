import { api } from "../api.ts";
import type { MessageKey } from "../i18n/index.ts";

/** API shapes the admin center reads, and small helpers. Every decision stays on the server. */

export type Role = "owner" | "admin" | "agent" | "light_agent" | "end_user";
export const ROLES: readonly Role[] = ["owner", "admin", "agent", "light_agent", "end_user"];
export const roleLabel = (r: string): MessageKey => (ROLES.includes(r as Role) ? (`admin.role.${r}` as MessageKey) : "admin.role.end_user");

export type AdminUser = {
  id: number;
  name: string;
  email: string | null;
  role: string;
  vaultdesk_role: Role;
  active: boolean;
  suspended: boolean;
  created_at: string;
};
export type UserPage = { users: AdminUser[]; count: number; next_page: string | null; previous_page: string | null };

export type Invitation = {
  id: number;
  email: string;
  role: "admin" | "agent" | "light-agent";
  status: "pending" | "used" | "expired" | "revoked";
  created_at: string;
  expires_at: string;
  used_at: string | null;
};

export type ApiToken = { id: number; name: string; scopes: string[]; user_id: number; created_at: string; last_used_at: string | null; active: boolean };
export type Group = { id: number; name: string; description: string; deleted: boolean };
export type Membership = { id: number; user_id: number; group_id: number };
export type Organization = { id: number; name: string; notes: string | null; created_at: string };
export type AuditEntry = { id: number; created_at: string; actor_type: string; actor_id: number | null; action: string; source_type: string; source_id: string; changed_fields: string[] };
export type Verification = { verified: boolean; entries_checked: number; first_broken_id: number | null; reason: string | null };
export type Account = { name: string | null; subdomain: string; region: string; created_at: string };

/** Users by id, fetched in one call (names of actors, members, token owners). */
export async function usersById(ids: Iterable<number>): Promise<Map<number, AdminUser>> {
  const unique = [...new Set(ids)].filter((id) => id > 0).slice(0, 100);
  if (unique.length === 0) return new Map();
  const r = await api<{ users: AdminUser[] }>("GET", `users/show_many.json?ids=${unique.join(",")}`);
  return new Map(r.users.map((u) => [u.id, u]));
}

/** Every staff member (for pickers), up to 100. */
export async function staff(): Promise<AdminUser[]> {
  // One call per role: the list route takes a single role (`role[]=a&role[]=b` is parsed as `role`).
  const [admins, agents] = await Promise.all(["admin", "agent"].map((r) => api<UserPage>("GET", `users.json?role=${r}&per_page=100`)));
  return [...admins!.users, ...agents!.users].filter((u) => u.active).sort((a, b) => a.id - b.id);
}

export function statusOf(u: AdminUser): MessageKey {
  if (!u.active) return "admin.people.deleted";
  return u.suspended ? "admin.people.suspended" : "admin.people.active";
}
