import { ApiError, explain, fieldError } from "../api.ts";
import { t } from "../i18n/index.ts";

/** The help center's errors in the visitor's language. Shapes come from api-schema.ts. */

export { fieldError };

/** An error as a sentence in the visitor's language where the help center knows the case. */
export function explainHc(err: unknown): string {
  if (err instanceof ApiError && err.status === 429) {
    return t("hc.error.tooMany", { count: Math.max(1, Math.ceil((err.retryAfterSeconds ?? 60) / 60)) });
  }
  if (fieldError(err, "website") === "Spam") return t("hc.form.spam");
  if (fieldError(err, "consent") === "Required") return t("hc.form.consentRequired");
  if (fieldError(err, "consent") === "Outdated") return t("hc.form.consentChanged");
  if (fieldError(err, "email") === "Unavailable") return t("hc.signin.unavailable");
  return explain(err);
}
