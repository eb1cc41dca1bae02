import { useState, type FormEvent } from "react";
import { ApiError, passkeyCancelled, signInWithCode, signInWithPasskeyAsSecondFactor, type TwoFactorChallenge } from "../api.ts";
import { ErrorText, Field } from "../components/Field.tsx";
import { t } from "../i18n/index.ts";
import { PageHeading } from "../router.tsx";
import { explainHc } from "./help-api.ts";

/**
 * The help center's second step of a password sign-in with two-factor authentication, in the
 * visitor's language: a code from the authenticator app or a recovery code. A refused code may be
 * tried again while the sign-in lasts (five minutes); "Start again" goes back to the password.
 * A person with a passkey is offered "Use a passkey" (and only that, without an authenticator app).
 */
export function HelpCodeStep(props: { challenge: string; methods: TwoFactorChallenge["methods"]; onSignedIn: () => Promise<void>; onBack: () => void }) {
  const [code, setCode] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const hasTotp = props.methods.includes("totp");
  async function withPasskey() {
    setError(null);
    setBusy(true);
    try {
      await signInWithPasskeyAsSecondFactor(props.challenge);
      await props.onSignedIn();
    } catch (err) {
      setBusy(false);
      setError(passkeyCancelled(err) ? t("hc.passkeys.cancelled") : err instanceof ApiError && err.status === 401 ? t("hc.passkeys.signInFailed") : explainHc(err));
    }
  }
  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      await signInWithCode(props.challenge, code);
      await props.onSignedIn();
    } catch (err) {
      setBusy(false);
      setCode("");
      setError(err instanceof ApiError && err.status === 401 ? t("hc.tf.failed") : explainHc(err));
    }
  }
  return (
    <main id="main" className="page narrow">
      <PageHeading>{t("hc.tf.title")}</PageHeading>
      {hasTotp ? (
        <>
          <p>{t("hc.tf.intro")}</p>
          <form onSubmit={submit} aria-busy={busy}>
            <Field id="hc-signin-code" label={t("hc.tf.label")}>
              <input value={code} onChange={(e) => setCode(e.target.value)} required maxLength={64} autoComplete="one-time-code" spellCheck={false} autoCapitalize="none" autoFocus />
            </Field>
            <button type="submit" disabled={busy}>
              {busy ? t("hc.tf.working") : t("hc.tf.submit")}
            </button>
          </form>
        </>
      ) : (
        <p>{t("hc.passkeys.secondStepIntro")}</p>
      )}
      {props.methods.includes("passkey") ? (
        <p>
          <button type="button" className={hasTotp ? "secondary" : undefined} onClick={() => void withPasskey()} disabled={busy}>
            {t("hc.passkeys.useForSecondStep")}
          </button>
        </p>
      ) : null}
      <ErrorText text={error} />
      <p>
        <button type="button" className="link" onClick={props.onBack}>
          {t("hc.tf.back")}
        </button>
      </p>
    </main>
  );
}
