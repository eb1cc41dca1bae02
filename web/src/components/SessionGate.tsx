import { useEffect, useState, type FormEvent, type ReactNode } from "react";
import { ApiError, changePassword, client, currentSession, explain, fieldError, ok, onUnauthorized, passkeyCancelled, signIn, signInWithCode, signInWithPasskey, signInWithPasskeyAsSecondFactor, signOut, signOutDestination, type TwoFactorChallenge } from "../api.ts";
import type { Abilities, User } from "../api-schema.ts";
import { Loadable, queryClient, useApi } from "../data.tsx";
import { t } from "../i18n/index.ts";
import { PageHeading } from "../router.tsx";
import { ErrorText, Field, StatusText } from "./Field.tsx";
import { TwoFactorSetup } from "./TwoFactor.tsx";
import { CodeStep, type CodeStepTexts } from "./CodeStep.tsx";
import { PasskeysSection } from "./Passkeys.tsx";
import { signInAgainUsed, ssoStartHref } from "./sso-start.ts";

/** Who is signed in, what the server says they may do, and whether a one-time password must be replaced first. */
export type SignedIn = { me: User; abilities: Abilities; mustChangePassword: boolean; mustEnrolTwoFactor: boolean };
export const SESSION_KEY = ["session"] as const;

async function loadSession(signal: AbortSignal): Promise<SignedIn | null> {
  const s = await currentSession();
  if (!s) return null;
  const me = await ok(client.GET("/api/v2/users/me", { signal }));
  return { me: me.user, abilities: s.abilities, mustChangePassword: s.mustChangePassword, mustEnrolTwoFactor: s.mustEnrolTwoFactor };
}

/** Forgets everything loaded for the person who was signed in (another may sign in next on this screen). */
function forgetLoadedData(): void {
  queryClient.removeQueries({ predicate: (q) => q.queryKey[0] !== SESSION_KEY[0] });
}

/**
 * The one sign-in and session gate of the agent workspace and the admin center. It signs the
 * person in, has them replace a one-time password, and shows `children` once signed in, or
 * `denied` when the server's abilities say the page is not for them (the API refuses them
 * anyway). When the session ends mid-work (a 401 from any call), the sign-in form is shown over
 * the page, which stays mounted, so a reply being typed is kept (in memory only) and can be sent
 * after signing in again as the same person.
 */
export function SessionGate(props: {
  /** A sentence under the sign-in heading (what this part of the app is for). */
  intro?: string;
  /** Whether the signed-in person may use what is behind the gate, from the server's abilities. */
  allowed?: (abilities: Abilities) => boolean;
  denied?: ReactNode;
  children: (session: { me: User; abilities: Abilities; signOut: () => void }) => ReactNode;
}) {
  const session = useApi(SESSION_KEY, loadSession);
  const [expired, setExpired] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [previousPassword, setPreviousPassword] = useState("");

  useEffect(() => onUnauthorized(() => setExpired(true)), []);

  async function signedIn(password: string) {
    const before = session.data?.me.id;
    setPreviousPassword(password);
    const next = await queryClient.fetchQuery({ queryKey: SESSION_KEY, queryFn: ({ signal }) => loadSession(signal), staleTime: 0 });
    if (next?.me.id !== before) forgetLoadedData();
    setExpired(false);
  }

  function signedOut() {
    const role = session.data?.me.vaultdesk_role ?? "";
    // The provider's sign-out address only once this one's session is ended (not on a failure).
    void signOut().then(() => true, () => false).then(async (ended) => {
      const away = ended ? await signOutDestination(role) : null;
      if (away) return window.location.assign(away);
      forgetLoadedData();
      queryClient.setQueryData(SESSION_KEY, null);
      setNotice(t("signout.done"));
      setExpired(false);
    });
  }

  const s = session.data;
  if (s === undefined)
    return (
      <main id="main" className="page narrow">
        <Loadable state={session}>{() => null}</Loadable>
      </main>
    );
  if (!s) return <SignInForm intro={props.intro} notice={notice} onSignedIn={signedIn} />;
  if (s.mustChangePassword) return <ChangePassword previous={previousPassword} onDone={() => void session.reload()} />;
  if (s.mustEnrolTwoFactor)
    return (
      <main id="main" className="page narrow">
        <PageHeading>{t("tf.required.title")}</PageHeading>
        <p>{t("tf.required.intro")}</p>
        <TwoFactorSetup onDone={() => void session.reload()} />
        <PasskeysSection onAdded={() => void session.reload()} />
        <p>
          <button type="button" className="link" onClick={signedOut}>
            {t("signout")}
          </button>
        </p>
      </main>
    );
  if (props.allowed && !props.allowed(s.abilities)) return <>{props.denied ?? null}</>;
  return (
    <>
      {expired ? <SignInForm id="main-signin" intro={props.intro} notice={t("signin.expired")} onSignedIn={signedIn} /> : null}
      <div hidden={expired}>{props.children({ me: s.me, abilities: s.abilities, signOut: signedOut })}</div>
    </>
  );
}

function SignInForm(props: { id?: string; intro?: string | undefined; notice: string | null; onSignedIn: (password: string) => Promise<void> }) {
  const [forgot, setForgot] = useState(false);
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [challenge, setChallenge] = useState<TwoFactorChallenge | null>(null);
  const [pkError, setPkError] = useState<string | null>(null);
  const options = useApi(["sign_in_options"], async (signal) => (await ok(client.GET("/api/v2/sign_in_options", { signal }))).sign_in_options);
  async function withPasskey() {
    setPkError(null);
    setBusy(true);
    try {
      await signInWithPasskey();
      await props.onSignedIn("");
    } catch (err) {
      setBusy(false);
      setPkError(passkeyCancelled(err) ? t("hc.passkeys.cancelled") : err instanceof ApiError && err.status === 401 ? t("hc.passkeys.signInFailed") : explain(err));
    }
  }
  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const r = await signIn(email, password);
      if ("challenge" in r) {
        setBusy(false);
        return setChallenge(r);
      }
      await props.onSignedIn(password);
    } catch (err) {
      setBusy(false);
      if (err instanceof ApiError && err.status === 401) setError(t("signin.failed"));
      else if (err instanceof ApiError && err.status === 404 && err.body?.error === "RecordNotFound") setError(t("error.noAccount"));
      else setError(explain(err));
    }
  }
  if (forgot) return <ForgotPassword id={props.id} email={email} onBack={() => setForgot(false)} />;
  if (challenge)
    return (
      <StaffCodeStep
        id={props.id}
        challenge={challenge.challenge}
        methods={challenge.methods}
        onSignedIn={() => props.onSignedIn(password)}
        onBack={() => {
          setChallenge(null);
          setPassword("");
        }}
      />
    );
  const sso = options.data?.staff.sso ?? null;
  // With staff signing in only through single sign-on, the password form is the owners' way in, folded.
  const passwordOn = options.data?.staff.password ?? true;
  const passwordForm = (
    <>
      <form onSubmit={submit} aria-busy={busy}>
        <Field id="signin-email" label={t("signin.email")}>
          <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} required autoComplete="username" />
        </Field>
        <Field id="signin-password" label={t("signin.password")}>
          <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} required autoComplete="current-password" />
        </Field>
        <ErrorText text={error} />
        <button type="submit" disabled={busy} className={sso ? "secondary" : undefined}>
          {busy ? t("signin.working") : t("signin.submit")}
        </button>
      </form>
      {passwordOn ? (
        <p>
          <button type="button" className="link" onClick={() => setForgot(true)}>
            {t("signin.forgot")}
          </button>
        </p>
      ) : null}
    </>
  );
  return (
    <main id={props.id ?? "main"} className="page narrow">
      <PageHeading>{t("signin.title")}</PageHeading>
      {props.intro ? <p>{props.intro}</p> : null}
      <StatusText text={props.notice} />
      {sso ? (
        <>
          <p>
            <a className="button" href={ssoStartHref(sso.start_path, window.location.pathname + window.location.search)} onClick={signInAgainUsed}>
              {t("sso.signin.button")}
            </a>
          </p>
          {passwordOn ? <p className="muted">{t("sso.signin.or")}</p> : null}
        </>
      ) : null}
      {passwordOn ? (
        passwordForm
      ) : (
        <details className="password-signin">
          <summary>{t("sso.signin.ownerOnly")}</summary>
          {passwordForm}
        </details>
      )}
      <ErrorText text={pkError} />
      <p>
        <button type="button" className="secondary" onClick={() => void withPasskey()} disabled={busy}>
          {t("hc.passkeys.signIn")}
        </button>
      </p>
    </main>
  );
}

const STAFF_CODE_TEXTS: CodeStepTexts = { title: "tf.code.title", intro: "tf.code.intro", label: "tf.code.label", help: "tf.code.help", submit: "tf.code.submit", working: "tf.code.working", failed: "tf.code.failed", back: "tf.code.back" };

/** The staff sign-in page's code step: the shared one (CodeStep.tsx) with the staff pages' words. */
function StaffCodeStep(props: { id?: string | undefined; challenge: string; methods: TwoFactorChallenge["methods"]; onSignedIn: () => Promise<void>; onBack: () => void }) {
  return <CodeStep fieldId="signin-code" texts={STAFF_CODE_TEXTS} explain={explain} {...props} />;
}

/**
 * "Forgot your password?" for staff: asks for a reset link by e-mail. The answer is the same
 * whatever the address, and so is what the page says. The link leads to `/reset-password`.
 */
function ForgotPassword(props: { id?: string | undefined; email: string; onBack: () => void }) {
  const [email, setEmail] = useState(props.email);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setStatus(null);
    setBusy(true);
    try {
      await ok(client.POST("/api/v2/password_resets", { body: { email } }));
      setStatus(t("forgot.sent", { email }));
    } catch (err) {
      setError(fieldError(err, "email") === "Unavailable" ? t("forgot.unavailable") : explain(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <main id={props.id ?? "main"} className="page narrow">
      <PageHeading>{t("forgot.title")}</PageHeading>
      <p>{t("forgot.intro")}</p>
      <StatusText text={status} />
      <form onSubmit={submit} aria-busy={busy}>
        <Field id="forgot-email" label={t("forgot.email")}>
          <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} required maxLength={254} autoComplete="username" />
        </Field>
        <ErrorText text={error} />
        <button type="submit" disabled={busy}>
          {busy ? t("forgot.sending") : t("forgot.submit")}
        </button>
      </form>
      <p>
        <button type="button" className="link" onClick={props.onBack}>
          {t("forgot.back")}
        </button>
      </p>
    </main>
  );
}

/** The password rules in one sentence, from the server's words (or the default policy's until they load). */
export function requirementsText(requirements: readonly string[] | undefined): string {
  return requirements && requirements.length > 0 ? t("password.requirements", { rules: requirements.join("; ") }) : t("setup.passwordHelp");
}

function ChangePassword(props: { previous: string; onDone: () => void }) {
  const rules = useApi(["password-requirements"], async (signal) => (await ok(client.GET("/api/v2/users/me/password/requirements", { signal }))).requirements);
  const [previous, setPrevious] = useState(props.previous);
  const [next, setNext] = useState("");
  const [again, setAgain] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    if (next !== again) return setError(t("password.mismatch"));
    setBusy(true);
    try {
      await changePassword(previous, next);
      props.onDone();
    } catch (err) {
      setBusy(false);
      setError(explain(err));
    }
  }
  return (
    <main id="main" className="page narrow">
      <PageHeading>{t("password.title")}</PageHeading>
      <p>{t("password.intro")}</p>
      <form onSubmit={submit} aria-busy={busy}>
        <Field id="pw-current" label={t("password.current")}>
          <input type="password" value={previous} onChange={(e) => setPrevious(e.target.value)} required autoComplete="current-password" />
        </Field>
        <Field id="pw-new" label={t("password.new")} help={requirementsText(rules.data)}>
          <input type="password" value={next} onChange={(e) => setNext(e.target.value)} required autoComplete="new-password" />
        </Field>
        <Field id="pw-again" label={t("password.confirm")}>
          <input type="password" value={again} onChange={(e) => setAgain(e.target.value)} required autoComplete="new-password" />
        </Field>
        <ErrorText text={error} />
        <button type="submit" disabled={busy}>
          {t("password.submit")}
        </button>
      </form>
    </main>
  );
}
