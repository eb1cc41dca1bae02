import { isKnownScope, type Access, type ScopeResource } from "../../platform/http/scopes.ts";

/** Pure rules of the OAuth flows: redirect URIs, scopes, PKCE challenges. Unit-tested. */

/** How long things live: codes ten minutes (RFC 6749 §4.1.2's maximum), access tokens an hour, refresh tokens 30 days from their issue. */
export const CODE_SECONDS = 600;
export const ACCESS_TOKEN_SECONDS = 3600;
export const REFRESH_TOKEN_SECONDS = 30 * 86_400;

/** Prefixes that tell the authenticator what a bearer string claims to be. */
export const ACCESS_TOKEN_PREFIX = "vdo_";
export const REFRESH_TOKEN_PREFIX = "vdr_";
export const CODE_PREFIX = "vdac_";

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * Why a redirect URI cannot be registered, or undefined when it can: an absolute https URI, or
 * http to the loopback (an app on the person's own device, RFC 8252 §7.3); no fragment, no user
 * name or password in it. Redirects are then matched exactly, character for character.
 */
export function redirectUriProblem(uri: string): string | undefined {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return "is not an absolute URI";
  }
  if (u.hash || uri.includes("#")) return "must not have a fragment";
  if (u.username || u.password) return "must not carry a user name or password";
  if (u.protocol !== "https:" && !(u.protocol === "http:" && LOOPBACK_HOSTS.has(u.hostname))) return "must use https (or http to localhost or 127.0.0.1)";
  // Matched character for character later: registered as the browser will send it.
  if (u.href !== uri) return `must be written in its normal form (${u.href})`;
  return undefined;
}

/** The scopes of a request's `scope` (space-separated): undefined when missing, empty, or naming a scope not in scopes.ts. */
export function parseScopes(scope: string | undefined): string[] | undefined {
  if (!scope) return undefined;
  const list = [...new Set(scope.split(" ").filter((s) => s.length > 0))];
  if (list.length === 0 || list.length > 20 || !list.every(isKnownScope)) return undefined;
  return list;
}

/** A PKCE S256 challenge: the base64url of a SHA-256 digest, 43 characters (RFC 7636 §4.2). */
export function isS256Challenge(challenge: string | undefined): challenge is string {
  return challenge !== undefined && /^[A-Za-z0-9_-]{43}$/.test(challenge);
}

const RESOURCE_WORDS: Readonly<Record<ScopeResource, string>> = {
  tickets: "tickets, their comments and attachments",
  users: "people",
  organizations: "organizations",
  auditlogs: "the audit log",
  hc: "the help center",
};

/** A scope in words, for the consent page. */
export function describeScope(scope: string): string {
  if (scope === "read") return "Read everything you can see";
  if (scope === "write") return "Change and create anything you can change";
  const [resource, access] = scope.split(":") as [ScopeResource, Access];
  const what = RESOURCE_WORDS[resource] ?? resource;
  return access === "read" ? `Read ${what}` : `Change and create ${what}`;
}
