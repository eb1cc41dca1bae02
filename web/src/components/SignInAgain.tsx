import { useState, type ReactNode } from "react";
import { ApiError, explain, signOut } from "../api.ts";
import { t } from "../i18n/index.ts";
import { ErrorText } from "./Field.tsx";
import { markSignInAgain } from "./sso-start.ts";

/**
 * Some steps are taken only soon after signing in (platform/recent-sign-in.ts: adding
 * a passkey, setting up an authenticator app, creating or rotating an API token, changing one's own
 * e-mail address; for admins: single sign-on settings, OAuth clients and their secrets, invitations
 * and sign-in links, the password policy and session lengths, unlocking an account, healthcare mode, the notification and attachment settings, an account-wide export; for anyone: allowing an application access); the server refuses them later
 * with 403 RecentSignInRequired. These pages then show this notice instead of an error, with a way
 * to sign in again (through single sign-on, the identity provider is asked to authenticate anew:
 * sso-start.ts).
 */

/** The server's limit, in minutes (platform/recent-sign-in.ts RECENT_SIGN_IN_MS). */
export const RECENT_SIGN_IN_MINUTES = 15;

/** Whether the server refused a step because the sign-in is too old. */
export const needsSignInAgain = (err: unknown): boolean => err instanceof ApiError && err.body?.error === "RecentSignInRequired";

/** The notice: why, and a button that signs out — the same page then asks for a sign-in in place and comes back here after it. */
export function SignInAgain(props: { intro?: string }) {
  return (
    <p role="alert" className="notice">
      {props.intro ?? t("hc.signInAgainIntro", { minutes: RECENT_SIGN_IN_MINUTES })}{" "}
      <button
        type="button"
        className="secondary"
        onClick={() => {
          markSignInAgain();
          void signOut().finally(() => window.location.reload());
        }}
      >
        {t("hc.passkeys.signInAgain")}
      </button>
    </p>
  );
}

/**
 * A form's failure, for the forms whose step may need a recent sign-in: the server's explanation,
 * or the notice with its button. `notice` goes where the form shows its error.
 */
export function useFailure(): { failed: boolean; fail: (err: unknown) => void; clear: () => void; notice: ReactNode } {
  const [error, setError] = useState<string | null>(null);
  const [again, setAgain] = useState(false);
  return {
    failed: error !== null || again,
    fail: (err) => {
      const needed = needsSignInAgain(err);
      setAgain(needed);
      setError(needed ? null : explain(err));
    },
    clear: () => {
      setAgain(false);
      setError(null);
    },
    notice: (
      <>
        {again ? <SignInAgain /> : null}
        <ErrorText text={error} />
      </>
    ),
  };
}
