import { ApiError, signOut } from "../api.ts";
import { t } from "../i18n/index.ts";

/**
 * Some steps are taken only soon after signing in (identity-service.ts requireRecentSignIn: adding
 * a passkey, setting up an authenticator app, creating or rotating an API token, changing one's own
 * e-mail address); the server refuses them later with 403 RecentSignInRequired. These pages then
 * show this notice instead of an error, with a way to sign in again.
 */

/** The server's limit, in minutes (identity-service.ts RECENT_SIGN_IN_MS). */
export const RECENT_SIGN_IN_MINUTES = 15;

/** Whether the server refused a step because the sign-in is too old. */
export const needsSignInAgain = (err: unknown): boolean => err instanceof ApiError && err.body?.error === "RecentSignInRequired";

/** The notice: why, and a button that signs out — the same page then asks for a sign-in in place and comes back here after it. */
export function SignInAgain(props: { intro?: string }) {
  return (
    <p role="alert" className="notice">
      {props.intro ?? t("hc.signInAgainIntro", { minutes: RECENT_SIGN_IN_MINUTES })}{" "}
      <button type="button" className="secondary" onClick={() => void signOut().finally(() => window.location.reload())}>
        {t("hc.passkeys.signInAgain")}
      </button>
    </p>
  );
}
