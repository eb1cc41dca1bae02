import { useState, type FormEvent } from "react";
import { ApiError, client, explain, ok, passkeyCancelled, renewRecoveryCodesWithPasskey } from "../api.ts";
import { Loadable, useApi } from "../data.tsx";
import { t } from "../i18n/index.ts";
import { ErrorText, Field, StatusText } from "./Field.tsx";
import { needsSignInAgain, SignInAgain } from "./SignInAgain.tsx";

/**
 * Two-factor sign-in for the signed-in staff member: setting up an authenticator app (a QR code,
 * and the key as text for typing by hand), the recovery codes shown once with a copy button, new
 * recovery codes and turning it off (each needs a current code; new codes, a passkey instead). The secret and the codes live
 * in component state only, so they are gone when the page is left.
 */

export const TWO_FACTOR_KEY = ["two-factor", "me"] as const;
export const loadOwnStatus = async (signal: AbortSignal) => (await ok(client.GET("/api/v2/users/me/two_factor", { signal }))).two_factor;

/** The code input shared by every form here: digits or a recovery code, filled by password managers as a one-time code. */
function CodeInput(props: { value: string; onChange: (v: string) => void; id?: string; "aria-describedby"?: string; "aria-invalid"?: boolean }) {
  const { value, onChange, ...tied } = props; // the id and descriptions Field ties to its label
  return <input {...tied} value={value} onChange={(e) => onChange(e.target.value)} required maxLength={64} autoComplete="one-time-code" spellCheck={false} autoCapitalize="none" />;
}

export function RecoveryCodes(props: { codes: string[]; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  const text = props.codes.join("\n");
  return (
    <section className="once" aria-labelledby="tf-recovery-heading">
      <h2 id="tf-recovery-heading">{t("tf.recovery.title")}</h2>
      <p>{t("tf.recovery.intro")}</p>
      <ul className="recovery-codes" aria-label={t("tf.recovery.title")}>
        {props.codes.map((c) => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ul>
      <p className="actions">
        <button type="button" className="secondary" onClick={() => void navigator.clipboard?.writeText(text).then(() => setCopied(true), () => setCopied(false))}>
          {t("tf.recovery.copy")}
        </button>
        <span role="status">{copied ? t("tf.recovery.copied") : ""}</span>
      </p>
      <button type="button" onClick={props.onDone}>
        {t("tf.recovery.done")}
      </button>
    </section>
  );
}

type Enrolment = { secret: string; qr_code: string; otpauth_uri: string };

/**
 * Setting up an authenticator app, from the first button to the recovery codes. An owner without
 * a second factor while staff sign in through single sign-on only gives their current password
 * with the code (the status's `set_up_needs_password`, or a refusal that asks for it).
 */
export function TwoFactorSetup(props: { onDone: () => void }) {
  const own = useApi(TWO_FACTOR_KEY, loadOwnStatus);
  const [enrolment, setEnrolment] = useState<Enrolment | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);
  const [code, setCode] = useState("");
  const [password, setPassword] = useState("");
  const [asked, setAsked] = useState(false);
  const askPassword = asked || own.data?.set_up_needs_password === true;
  const [error, setError] = useState<string | null>(null);
  const [signInAgain, setSignInAgain] = useState(false);
  const [busy, setBusy] = useState(false);
  /** An error, or the notice that the sign-in is too old to set up a second factor. */
  const fail = (err: unknown) => {
    if (err instanceof ApiError && err.body?.details?.password) setAsked(true);
    if (needsSignInAgain(err)) setSignInAgain(true);
    else setError(explain(err));
  };

  async function start() {
    setError(null);
    setSignInAgain(false);
    setBusy(true);
    try {
      setEnrolment((await ok(client.POST("/api/v2/users/me/two_factor/totp"))).totp);
    } catch (err) {
      fail(err);
    } finally {
      setBusy(false);
    }
  }
  async function confirm(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setSignInAgain(false);
    setBusy(true);
    try {
      setCodes((await ok(client.POST("/api/v2/users/me/two_factor/totp/confirm", { body: { code, ...(askPassword ? { password } : {}) } }))).recovery_codes);
      setEnrolment(null);
    } catch (err) {
      fail(err);
    } finally {
      setBusy(false);
    }
  }

  if (codes) return <RecoveryCodes codes={codes} onDone={props.onDone} />;
  if (!enrolment)
    return (
      <>
        <ErrorText text={error} />
        {signInAgain ? <SignInAgain /> : null}
        <button type="button" onClick={() => void start()} disabled={busy}>
          {busy ? t("tf.setup.working") : t("tf.setup.start")}
        </button>
      </>
    );
  return (
    <form onSubmit={confirm} aria-busy={busy} className="form">
      <p>{t("tf.setup.scan")}</p>
      <img src={enrolment.qr_code} alt={t("tf.setup.qrAlt")} width={200} height={200} className="qr" />
      <p>
        {t("tf.setup.manual")} <code data-testid="tf-secret">{enrolment.secret.replace(/(.{4})/g, "$1 ").trim()}</code>
      </p>
      <Field id="tf-setup-code" label={t("tf.code.label")}>
        <CodeInput value={code} onChange={setCode} />
      </Field>
      {askPassword ? (
        <Field id="tf-setup-password" label={t("tf.setup.password")} help={t("tf.setup.passwordHelp")}>
          <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} required autoComplete="current-password" maxLength={256} />
        </Field>
      ) : null}
      <ErrorText text={error} />
      {signInAgain ? <SignInAgain /> : null}
      <p className="actions">
        <button type="submit" disabled={busy}>
          {t("tf.setup.confirm")}
        </button>
        <button type="button" className="secondary" onClick={() => setEnrolment(null)}>
          {t("tf.setup.cancel")}
        </button>
      </p>
    </form>
  );
}

/** A form that sends a current code to `path` (new recovery codes, turning it off). */
function ProofForm(props: { id: string; title: string; intro: string; submit: string; send: (code: string) => Promise<void> }) {
  const [code, setCode] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      await props.send(code);
      setCode("");
    } catch (err) {
      setError(explain(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <form onSubmit={submit} aria-busy={busy} className="form" aria-labelledby={`${props.id}-heading`}>
      <h3 id={`${props.id}-heading`}>{props.title}</h3>
      <p>{props.intro}</p>
      <Field id={`${props.id}-code`} label={t("tf.code.label")}>
        <CodeInput value={code} onChange={setCode} />
      </Field>
      <ErrorText text={error} />
      <button type="submit" className="secondary" disabled={busy}>
        {props.submit}
      </button>
    </form>
  );
}

/**
 * New recovery codes with one of the person's passkeys as the proof: beside the code form, or
 * alone for someone with passkeys only and no codes left (who has no code to give).
 */
function PasskeyRenewal(props: { alone: boolean; onCodes: (codes: string[]) => Promise<void> }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function renew() {
    setError(null);
    setBusy(true);
    try {
      await props.onCodes(await renewRecoveryCodesWithPasskey());
    } catch (err) {
      setError(passkeyCancelled(err) ? t("tf.regenerate.passkeyCancelled") : explain(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <section aria-busy={busy} className="form" aria-labelledby="tf-regenerate-passkey-heading">
      <h3 id="tf-regenerate-passkey-heading">{t(props.alone ? "tf.regenerate.title" : "tf.regenerate.passkeyTitle")}</h3>
      <p>{t(props.alone ? "tf.regenerate.passkeyIntro" : "tf.regenerate.passkeyOr")}</p>
      <ErrorText text={error} />
      <p>
        <button type="button" className="secondary" disabled={busy} onClick={() => void renew()}>
          {t("tf.regenerate.passkeySubmit")}
        </button>
      </p>
    </section>
  );
}

/** The "Two-factor authentication" section of the staff member's own sign-in security page. */
export function TwoFactorSection() {
  const state = useApi(TWO_FACTOR_KEY, loadOwnStatus);
  const [codes, setCodes] = useState<string[] | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  return (
    <section aria-labelledby="tf-section-heading">
      <h2 id="tf-section-heading">{t("tf.section.title")}</h2>
      <p>{t("tf.section.intro")}</p>
      <StatusText text={status} />
      <Loadable state={state}>
        {(s) =>
          codes ? (
            <RecoveryCodes codes={codes} onDone={() => setCodes(null)} />
          ) : (
            <>
              <p>
                <strong>{s.enabled ? t("tf.status.on") : s.passkeys > 0 ? t("tf.status.passkeysOnly") : t("tf.status.off")}</strong> {s.required ? t("tf.status.required") : null}
                {s.enabled || s.passkeys > 0 ? ` ${t("tf.status.codesLeft", { count: s.recovery_codes_left })}` : null}
              </p>
              {s.enabled || (s.passkeys > 0 && s.recovery_codes_left > 0) ? (
                // With an authenticator app its code is the proof; with passkeys only, an unused recovery code.
                <ProofForm
                  id="tf-regenerate"
                  title={t("tf.regenerate.title")}
                  intro={t(s.enabled ? "tf.regenerate.intro" : "tf.regenerate.introCodes")}
                  submit={t("tf.regenerate.submit")}
                  send={async (code) => {
                    setCodes((await ok(client.POST("/api/v2/users/me/two_factor/recovery_codes", { body: { code } }))).recovery_codes);
                    await state.reload();
                  }}
                />
              ) : null}
              {s.passkeys > 0 ? (
                // A passkey proves it too: the only way for someone with passkeys only and no codes left.
                <PasskeyRenewal
                  alone={!(s.enabled || s.recovery_codes_left > 0)}
                  onCodes={async (fresh) => {
                    setCodes(fresh);
                    await state.reload();
                  }}
                />
              ) : null}
              {s.enabled ? (
                <ProofForm
                  id="tf-disable"
                  title={t("tf.disable.title")}
                  intro={t("tf.disable.intro")}
                  submit={t("tf.disable.submit")}
                  send={async (code) => {
                    await ok(client.DELETE("/api/v2/users/me/two_factor", { body: { code } }));
                    setStatus(t("tf.disabled"));
                    await state.reload();
                  }}
                />
              ) : (
                <TwoFactorSetup
                  onDone={() => {
                    setStatus(t("tf.status.on"));
                    void state.reload();
                  }}
                />
              )}
            </>
          )
        }
      </Loadable>
    </section>
  );
}
