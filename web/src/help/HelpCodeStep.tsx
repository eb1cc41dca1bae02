import { useState, type FormEvent } from "react";
import { ApiError, signInWithCode } from "../api.ts";
import { ErrorText, Field } from "../components/Field.tsx";
import { t } from "../i18n/index.ts";
import { PageHeading } from "../router.tsx";
import { explainHc } from "./help-api.ts";

/**
 * The help center's second step of a password sign-in with two-factor authentication, in the
 * visitor's language: a code from the authenticator app or a recovery code. A refused code may be
 * tried again while the sign-in lasts (five minutes); "Start again" goes back to the password.
 */
export function HelpCodeStep(props: { challenge: string; onSignedIn: () => Promise<void>; onBack: () => void }) {
  const [code, setCode] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
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
      <p>{t("hc.tf.intro")}</p>
      <form onSubmit={submit} aria-busy={busy}>
        <Field id="hc-signin-code" label={t("hc.tf.label")}>
          <input value={code} onChange={(e) => setCode(e.target.value)} required maxLength={64} autoComplete="one-time-code" spellCheck={false} autoCapitalize="none" autoFocus />
        </Field>
        <ErrorText text={error} />
        <button type="submit" disabled={busy}>
          {busy ? t("hc.tf.working") : t("hc.tf.submit")}
        </button>
      </form>
      <p>
        <button type="button" className="link" onClick={props.onBack}>
          {t("hc.tf.back")}
        </button>
      </p>
    </main>
  );
}
