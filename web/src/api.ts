/** Calls to /api/v2 with the session cookie; writes carry the CSRF token the session handed out. */
let csrf: string | null = null;

export class ApiError extends Error {
  constructor(readonly status: number, readonly body: { error?: string; description?: string; details?: Record<string, Array<{ description: string }>> } | undefined) {
    super(body?.description ?? `HTTP ${status}`);
  }
  /** A sentence a person can act on, built from the server's field details. */
  get explanation(): string {
    const details = this.body?.details ? Object.values(this.body.details).flat().map((d) => d.description) : [];
    return details.length ? details.join(" ") : (this.body?.description ?? this.message);
  }
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET" && csrf) headers["x-csrf-token"] = csrf;
  const res = await fetch(`/api/v2/${path}`, { method, headers, credentials: "same-origin", body: body === undefined ? null : JSON.stringify(body) });
  const text = await res.text();
  const parsed = text ? (JSON.parse(text) as unknown) : undefined;
  if (!res.ok) throw new ApiError(res.status, parsed as ApiError["body"]);
  return parsed as T;
}

export async function signIn(email: string, password: string): Promise<void> {
  const r = await api<{ session: { csrf_token: string } }>("POST", "session.json", { email, password });
  csrf = r.session.csrf_token;
}

export async function currentSession(): Promise<boolean> {
  try {
    const r = await api<{ session: { csrf_token: string | null } }>("GET", "session.json");
    csrf = r.session.csrf_token;
    return true;
  } catch {
    return false;
  }
}

export async function signOut(): Promise<void> {
  await api("DELETE", "session.json");
  csrf = null;
}
