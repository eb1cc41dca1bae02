import { useState, type FormEvent } from "react";
import { ApiError, passkeyCancelled, signInWithCode, signInWithPasskeyAsSecondFactor, type TwoFactorChallenge } from "../api.ts";
import { t, type MessageKey } from "../i18n/index.ts";
import { PageHeading } from "../router.tsx";
import { ErrorText, Field } from "./Field.tsx";

/** The words of a code step: the staff pages' (`tf.*`, English) or the help center's (`hc.tf.*`, five languages). */
export type CodeStepTexts = { title: MessageKey; intro: MessageKey; label: MessageKey; help?: MessageKey; submit: MessageKey; working: MessageKey; failed: MessageKey; back: MessageKey };

/**
 * The second step of a password sign-in with two-factor authentication, for the staff sign-in page
 * and the help center alike: a code from the authenticator app or a recovery code, and "Use a
 * passkey" for a person with one (only that, without an authenticator app). A refused code may be
 * tried again while the sign-in lasts (five minutes); "Start again" goes back to the password.
 */
export function CodeStep(props: {
  id?: string | undefined;
  fieldId: string;
  texts: CodeStepTexts;
  explain: (err: unknown) => string;
  challenge: string;
  methods: TwoFactorChallenge["methods"];
  onSignedIn: () => Promise<void>;
  onBack: () => void;
}) {
  const words = props.texts;
  const [code, setCode] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const hasTotp = props.methods.includes("totp");
  // Passkeys only, with recovery codes left: the code form takes one of them.
  const codesOnly = !hasTotp && props.methods.includes("recovery_code");
  async function withPasskey() {
    setError(null);
    setBusy(true);
    try {
      await signInWithPasskeyAsSecondFactor(props.challenge);
      await props.onSignedIn();
    } catch (err) {
      setBusy(false);
      setError(passkeyCancelled(err) ? t("hc.passkeys.cancelled") : err instanceof ApiError && err.status === 401 ? t("hc.passkeys.signInFailed") : props.explain(err));
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
      setError(err instanceof ApiError && err.status === 401 ? t(words.failed) : props.explain(err));
    }
  }
  return (
    <main id={props.id ?? "main"} className="page narrow">
      <PageHeading>{t(words.title)}</PageHeading>
      {hasTotp ? (
        <>
          <p>{t(words.intro)}</p>
          <form onSubmit={submit} aria-busy={busy}>
            <Field id={props.fieldId} label={t(words.label)} help={words.help ? t(words.help) : undefined}>
              <input value={code} onChange={(e) => setCode(e.target.value)} required maxLength={64} autoComplete="one-time-code" spellCheck={false} autoCapitalize="none" autoFocus />
            </Field>
            <button type="submit" disabled={busy}>
              {busy ? t(words.working) : t(words.submit)}
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
      {codesOnly ? (
        <form onSubmit={submit} aria-busy={busy}>
          <p>{t("hc.passkeys.recoveryIntro")}</p>
          <Field id={`${props.fieldId}-recovery`} label={t("hc.passkeys.recoveryLabel")}>
            <input value={code} onChange={(e) => setCode(e.target.value)} required maxLength={64} autoComplete="off" spellCheck={false} autoCapitalize="none" />
          </Field>
          <button type="submit" className="secondary" disabled={busy}>
            {busy ? t(words.working) : t(words.submit)}
          </button>
        </form>
      ) : null}
      <ErrorText text={error} />
      <p>
        <button type="button" className="link" onClick={props.onBack}>
          {t(words.back)}
        </button>
      </p>
    </main>
  );
}
