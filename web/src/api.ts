import { t } from "./i18n/index.ts";

/**
 * Every call goes to /api/v2 with the session cookie (HttpOnly, set by POST /api/v2/session);
 * writes carry the CSRF token the session handed out. The pages can therefore never do what the
 * API would refuse: all decisions stay on the server.
 */

let csrf: string | null = null;

type ErrorBody = { error?: unknown; description?: unknown; details?: Record<string, Array<{ description?: string }>> };

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody | undefined,
    /** Seconds from the Retry-After header of a 429, when the server sent one. */
    readonly retryAfterSeconds?: number,
  ) {
    super(typeof body?.description === "string" ? body.description : `HTTP ${status}`);
  }

  /** Words a person can act on: the server's field messages, or a sentence for the status. */
  get explanation(): string {
    const joined = [...new Set(Object.entries(this.body?.details ?? {}).flatMap(([field, list]) => list.map((d) => fieldSentence(field, d.description ?? ""))))]
      .filter(Boolean)
      .join(" ");
    if (joined) return joined;
    if (this.status === 0) return t("error.network");
    if (this.status === 429) return t("error.tooMany");
    if (this.status >= 500) return t("error.server", { status: this.status });
    if (typeof this.body?.description === "string" && this.body.description) return this.body.description;
    if (this.status === 403) return t("error.forbidden");
    if (this.status === 404) return t("error.notFound");
    return t("error.generic");
  }
}

/**
 * A field message as a person reads it: the server says `ticket.additional_tags.2: may contain …`;
 * this says `Additional tags: may contain …` once, whichever of the values it was. Messages the
 * server wrote as whole sentences come through unchanged.
 */
export function fieldSentence(field: string, description: string): string {
  // Only schema messages carry the path; the server's own sentences stand as they are.
  if (!description.startsWith(`${field}: `)) return description;
  const message = description.slice(field.length + 2);
  const name = field.split(".").filter((seg) => !/^\d+$/.test(seg)).pop();
  if (!name || name === "base") return message;
  const words = name.replace(/_/g, " ");
  return `${words.charAt(0).toUpperCase()}${words.slice(1)}: ${message}`;
}

/** The error as a sentence, whatever was thrown. */
export function explain(err: unknown): string {
  return err instanceof ApiError ? err.explanation : t("error.generic");
}

const unauthorized = new Set<() => void>();

/** Called when a request finds the session gone (401), so the app can ask to sign in again. */
export function onUnauthorized(fn: () => void): () => void {
  unauthorized.add(fn);
  return () => unauthorized.delete(fn);
}

export async function api<T>(method: "GET" | "POST" | "PUT" | "DELETE", path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET" && csrf) headers["x-csrf-token"] = csrf;
  let res: Response;
  try {
    res = await fetch(`/api/v2/${path}`, { method, headers, credentials: "same-origin", body: body === undefined ? null : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, undefined);
  }
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!res.ok) {
    if (res.status === 401 && !path.startsWith("session")) for (const fn of unauthorized) fn();
    const retry = Number(res.headers.get("retry-after"));
    throw new ApiError(res.status, parsed as ErrorBody | undefined, Number.isFinite(retry) && retry > 0 ? retry : undefined);
  }
  return parsed as T;
}

export type Session = { userId: number; mustChangePassword: boolean };
type SessionBody = { session: { user_id: number; csrf_token: string | null; must_change_password?: boolean } };

function remember(r: SessionBody): Session {
  csrf = r.session.csrf_token;
  return { userId: r.session.user_id, mustChangePassword: r.session.must_change_password ?? false };
}

/** The current session, or null when nobody is signed in. */
export async function currentSession(): Promise<Session | null> {
  try {
    return remember(await api<SessionBody>("GET", "session.json"));
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return null;
    throw err;
  }
}

export async function signIn(email: string, password: string): Promise<Session> {
  return remember(await api<SessionBody>("POST", "session.json", { email, password }));
}

/** Uses up a one-time sign-in link (help center) and keeps the session's CSRF token. */
export async function signInWithLink(token: string): Promise<Session> {
  return remember(await api<SessionBody>("POST", "help_center/sign_in_links/redeem.json", { token }));
}

export async function signOut(): Promise<void> {
  try {
    await api("DELETE", "session.json");
  } finally {
    csrf = null;
  }
}

export async function changePassword(previous: string, next: string): Promise<void> {
  await api("PUT", "users/me/password.json", { previous_password: previous, password: next });
}
