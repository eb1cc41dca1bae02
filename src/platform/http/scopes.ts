/**
 * The scopes a credential (an API token, an OAuth access token) can carry, as Zendesk names them:
 * `read` and `write` for the whole API, and `<resource>:read` / `<resource>:write` for one kind of
 * resource. Every route's need is derived here from its method and URL (or stated by the route),
 * so a new route is covered the moment it is declared; the permission matrix suite checks it.
 *
 * - A GET needs `read` or `<resource>:read`; any other method `write` or `<resource>:write`.
 *   `write` does not imply `read` (Zendesk's rule): a token meant to read and write asks for both.
 * - A route of no resource below needs the plain `read`/`write`.
 * - Credential routes (passwords, second factors, passkeys, API tokens, OAuth clients and tokens,
 *   sessions, single sign-on, invitations — whose answer carries the link's secret, a new staff
 *   account's way in) are never open to OAuth access tokens, whatever their scopes: a
 *   third-party application must not be able to mint itself credentials. Nor to the operator's
 *   support user (modules/support), which must not grant itself more or touch sign-in security;
 *   support access grants count as credentials.
 * - Some routes are credential routes for their writes only: custom roles (what a role grants is
 *   what every agent carrying it can do, so an application changing one widens people's access
 *   as surely as a role change); healthcare mode, the notification and attachment settings (an
 *   application must not lift the protections they hold) and the account's exports (every ticket,
 *   person or organization at once). Reading them stays open to whoever the route's policy allows.
 */

export const SCOPE_RESOURCES = ["tickets", "users", "organizations", "auditlogs", "hc"] as const;
export type ScopeResource = (typeof SCOPE_RESOURCES)[number];
export type Access = "read" | "write";

/** Every scope a credential may be given. `auditlogs` is read-only, as in Zendesk. */
export const ALL_SCOPES: readonly string[] = [
  "read",
  "write",
  ...SCOPE_RESOURCES.flatMap((r) => (r === "auditlogs" ? [`${r}:read`] : [`${r}:read`, `${r}:write`])),
];

export function isKnownScope(s: string): boolean {
  return ALL_SCOPES.includes(s);
}

/**
 * A credential's requested scopes, checked against the vocabulary: `scopes` are the known ones,
 * without repeats, in the vocabulary's order; `unknown` names every other (for the refusal). Shared
 * by API tokens and OAuth clients and tokens.
 */
export function parseScopes(requested: readonly string[]): { scopes: string[]; unknown: string[] } {
  const unknown = [...new Set(requested.filter((s) => !isKnownScope(s)))];
  return { scopes: ALL_SCOPES.filter((s) => requested.includes(s)), unknown };
}

/** The first path segment under /api/v2 → the resource its scopes name. */
const RESOURCE_OF_SEGMENT: Readonly<Record<string, ScopeResource>> = {
  tickets: "tickets",
  ticket_fields: "tickets",
  requests: "tickets",
  uploads: "tickets",
  attachments: "tickets",
  suspended_tickets: "tickets",
  deleted_tickets: "tickets",
  job_statuses: "tickets",
  views: "tickets",
  satisfaction_ratings: "tickets",
  macros: "tickets",
  users: "users",
  user_fields: "users",
  group_memberships: "users",
  organizations: "organizations",
  organization_memberships: "organizations",
  organization_fields: "organizations",
  audit_logs: "auditlogs",
  help_center: "hc",
};

/** Paths that manage credentials (see above); matched against the route's URL pattern. */
const CREDENTIAL_PATHS: readonly RegExp[] = [
  /^\/api\/v2\/(api_tokens|api_settings|oauth|sessions?|session_settings|ip_restrictions|sso|sso_settings|password_settings|two_factor_settings|password_resets|invitations|sign_in_options|support_access)(\/|$)/,
  /^\/api\/v2\/users\/[^/]+\/(password|passkeys|two_factor|sessions|sign_in_links|unlock|role|logout)(\/|$)/,
  /^\/api\/v2\/help_center\/sign_in_links(\/|$)/,
  // Closing the account: an owner's session only (admin-policy.ts); never an application or support access.
  /^\/api\/v2\/account\/termination(\/|$)/,
  /^\/oauth(\/|$)/,
];

/**
 * Paths whose writes (any method but GET) manage credentials or access, or lift a protection or
 * take the account's data in bulk (see above): the same steps a session may take only soon after
 * a sign-in (healthcare mode, content-free mail, attachments' refusals, account exports).
 */
const CREDENTIAL_WRITE_PATHS: readonly RegExp[] = [
  /^\/api\/v2\/custom_roles(\/|$)/,
  /^\/api\/v2\/(compliance\/healthcare_mode|notification_settings|attachment_settings|exports)(\/|$)/,
];

/**
 * The resource a route's URL pattern belongs to, if any. A path whose first segment names none
 * (`/search`, `/incremental/…`: the account's data in bulk) has none, whatever follows: it needs
 * the plain scope. Otherwise its last segment that names one, as Zendesk files a nested list under
 * what it returns (`/users/{id}/tickets/requested` and `/organizations/{id}/requests` are tickets,
 * `/organizations/{id}/users` people): the first segment alone let a `users:read` token read a
 * person's tickets.
 */
export function resourceOf(url: string): ScopeResource | undefined {
  if (!url.startsWith("/api/v2/")) return undefined;
  const found = url
    .slice("/api/v2/".length)
    .split("/")
    .map((seg) => (Object.hasOwn(RESOURCE_OF_SEGMENT, seg) ? RESOURCE_OF_SEGMENT[seg] : undefined));
  if (found[0] === undefined) return undefined;
  return found.filter((r): r is ScopeResource => r !== undefined).at(-1);
}

/** Whether the route `method` `url` (its URL pattern) is a credential route (see above). */
export function isCredentialRoute(method: string, url: string): boolean {
  return CREDENTIAL_PATHS.some((re) => re.test(url)) || (method !== "GET" && CREDENTIAL_WRITE_PATHS.some((re) => re.test(url)));
}

export type ScopeNeed = { access: Access; resource: ScopeResource | undefined };

/** What a route needs: `access` from its method unless the route says otherwise. */
export function scopeNeed(method: string, url: string, access?: Access): ScopeNeed {
  return { access: access ?? (method === "GET" ? "read" : "write"), resource: resourceOf(url) };
}

/** Whether `scopes` satisfy `need`. */
export function scopesGrant(scopes: readonly string[], need: ScopeNeed): boolean {
  if (scopes.includes(need.access)) return true;
  return need.resource !== undefined && scopes.includes(`${need.resource}:${need.access}`);
}

/**
 * The scope to name in a refusal: the narrowest that would have been enough and that a credential
 * can be given (there is no `auditlogs:write`: a POST under /audit_logs needs `write`).
 */
export function scopeName(need: ScopeNeed): string {
  const narrow = need.resource ? `${need.resource}:${need.access}` : need.access;
  return isKnownScope(narrow) ? narrow : need.access;
}
