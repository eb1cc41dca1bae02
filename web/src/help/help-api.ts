import { ApiError, explain } from "../api.ts";
import { t } from "../i18n/index.ts";

/** Shapes of the help center's API answers, and its errors in the visitor's language. */

export type RequestStatus = "new" | "open" | "pending" | "solved" | "closed";
export type HelpCenterInfo = { name: string | null; consent: { required: boolean; text: string | null; version: number }; email_sign_in: boolean };
export type RequestView = { id: number; subject: string; description: string; status: RequestStatus; created_at: string; updated_at: string };
export type RequestComment = { id: number; body: string; author_id: number; created_at: string };
export type RequestUser = { id: number; name: string; agent: boolean };
export type Me = { id: number; name: string; email: string | null };
export type PersonalData = {
  generated_at: string;
  profile: { id: number; name: string; email: string | null; phone: string | null; organization: { id: number; name: string } | null; role: string; locale: string | null; created_at: string; last_sign_in_at: string | null };
  identities: Array<{ type: string; value: string }>;
  requests: RequestView[];
  comments: Array<{ id: number; request_id: number; body: string; created_at: string }>;
  consent_records: Array<{ id: number; request_id: number | null; text: string; text_version: number; text_sha256: string; accepted_at: string; ip: string | null }>;
  sessions: Array<{ started_at: string; last_seen_at: string; expires_at: string; ended_at: string | null; ip: string | null }>;
  sign_in_links: Array<{ created_at: string; expires_at: string; used_at: string | null; created_by_staff: boolean }>;
};

/** The first field error's code, e.g. consent → Required. */
export function fieldError(err: unknown, field: string): string | undefined {
  if (!(err instanceof ApiError)) return undefined;
  const d = err.body?.details?.[field]?.[0] as { error?: string } | undefined;
  return d?.error;
}

/** An error as a sentence in the visitor's language where the help center knows the case. */
export function explainHc(err: unknown): string {
  if (err instanceof ApiError && err.status === 429) {
    const minutes = Math.max(1, Math.ceil((err.retryAfterSeconds ?? 60) / 60));
    return minutes === 1 ? t("hc.error.tooManyOne") : t("hc.error.tooMany", { minutes });
  }
  if (fieldError(err, "website") === "Spam") return t("hc.form.spam");
  if (fieldError(err, "consent") === "Required") return t("hc.form.consentRequired");
  if (fieldError(err, "consent") === "Outdated") return t("hc.form.consentChanged");
  if (fieldError(err, "email") === "Unavailable") return t("hc.signin.unavailable");
  return explain(err);
}
