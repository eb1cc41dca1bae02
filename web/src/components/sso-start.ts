/**
 * Where the single sign-on button sends the browser. After "Sign in again" (SignInAgain.tsx: a
 * step needs a recent sign-in), the server is told `reauth=1`, and asks the identity provider to
 * authenticate the person anew (OpenID Connect prompt=login, SAML ForceAuthn) rather than answer
 * from a sign-in of its own, which would not count as a recent one. The mark lives in this tab's
 * sessionStorage until the button is used.
 */
const REAUTH_KEY = "vd.signInAgain";

/** Storage can be refused (a private window, a policy): signing in again then works as any sign-in. */
function storage(): Storage | undefined {
  try {
    return window.sessionStorage;
  } catch {
    return undefined;
  }
}

/** Called by "Sign in again" before it signs out. */
export function markSignInAgain(): void {
  storage()?.setItem(REAUTH_KEY, "1");
}

/** The start path of the provider, where to come back to, and `reauth=1` after "Sign in again". */
export function ssoStartHref(startPath: string, returnTo: string): string {
  const again = storage()?.getItem(REAUTH_KEY) === "1";
  return `${startPath}?return_to=${encodeURIComponent(returnTo)}${again ? "&reauth=1" : ""}`;
}

/** The button was used: later sign-ins in this tab are ordinary ones. */
export function signInAgainUsed(): void {
  storage()?.removeItem(REAUTH_KEY);
}
