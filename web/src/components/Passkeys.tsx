import { useState, type FormEvent } from "react";
import { ApiError, client, explain, ok, passkeyCancelled, registerPasskey } from "../api.ts";
import { Loadable, useApi, useInvalidate } from "../data.tsx";
import { formatDate, t } from "../i18n/index.ts";
import { ErrorText, Field, StatusText } from "./Field.tsx";
import { needsSignInAgain, RECENT_SIGN_IN_MINUTES, SignInAgain } from "./SignInAgain.tsx";
import { loadOwnStatus, RecoveryCodes, TWO_FACTOR_KEY } from "./TwoFactor.tsx";

/**
 * The signed-in person's passkeys (agent workspace's security page, the help center's account
 * page, the enrol-only page when the team requires a second factor): add one under a name (the
 * browser creates it; the server verifies and stores it), rename, remove. The texts are the help
 * center's (`hc.passkeys.*`, in its five languages), shared with the staff pages. An owner without
 * a second factor while staff sign in through single sign-on only gives their current password
 * with a new passkey (the two-factor status's `set_up_needs_password`, or a refusal that asks for
 * it), as with an authenticator app (`tf.setup.password`).
 */

export const PASSKEYS_KEY = ["passkeys", "me"] as const;

export function PasskeysSection(props: { headingLevel?: 2 | 3; onAdded?: () => void; explainError?: (err: unknown) => string }) {
  const state = useApi(PASSKEYS_KEY, async (signal) => (await ok(client.GET("/api/v2/users/me/passkeys", { signal }))).passkeys);
  const [name, setName] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [renaming, setRenaming] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [newName, setNewName] = useState("");
  const [codes, setCodes] = useState<string[] | null>(null);
  const [signInAgain, setSignInAgain] = useState(false);
  const own = useApi(TWO_FACTOR_KEY, loadOwnStatus);
  const [password, setPassword] = useState("");
  const [asked, setAsked] = useState(false);
  const askPassword = asked || own.data?.set_up_needs_password === true;
  const explainError = props.explainError ?? explain;
  const Heading = props.headingLevel === 3 ? "h3" : "h2";

  const invalidate = useInvalidate();
  const refresh = () => invalidate(PASSKEYS_KEY);
  async function act(fn: () => Promise<void>, done: string) {
    setError(null);
    setSignInAgain(false);
    setStatus(null);
    setBusy(true);
    try {
      await fn();
      setStatus(done);
      await refresh();
    } catch (err) {
      if (err instanceof ApiError && err.body?.details?.password) setAsked(true);
      if (needsSignInAgain(err)) setSignInAgain(true);
      else setError(passkeyCancelled(err) ? t("hc.passkeys.cancelled") : explainError(err));
    } finally {
      setBusy(false);
    }
  }
  async function add(e: FormEvent) {
    e.preventDefault();
    await act(async () => {
      const codes = await registerPasskey(name.trim() || undefined, askPassword ? password : undefined);
      setName("");
      setPassword("");
      setAsked(false);
      void invalidate(TWO_FACTOR_KEY);
      // A first second factor's recovery codes are shown before anything moves on (onAdded may leave the page).
      if (codes) setCodes(codes);
      else props.onAdded?.();
    }, t("hc.passkeys.added"));
  }
  async function rename(e: FormEvent, id: string) {
    e.preventDefault();
    await act(async () => {
      await ok(client.PUT("/api/v2/users/me/passkeys/{id}", { params: { path: { id } }, body: { passkey: { name: newName } } }));
      setRenaming(null);
    }, t("hc.passkeys.renamed"));
  }
  async function remove(id: string) {
    await act(async () => {
      await ok(client.DELETE("/api/v2/users/me/passkeys/{id}", { params: { path: { id } } }));
      setConfirming(null);
    }, t("hc.passkeys.removed"));
  }

  if (codes) {
    return (
      <section aria-labelledby="passkeys-heading" className="passkeys">
        <Heading id="passkeys-heading">{t("hc.passkeys.title")}</Heading>
        <StatusText text={status} />
        <RecoveryCodes
          codes={codes}
          onDone={() => {
            setCodes(null);
            props.onAdded?.();
          }}
        />
      </section>
    );
  }
  return (
    <section aria-labelledby="passkeys-heading" className="passkeys">
      <Heading id="passkeys-heading">{t("hc.passkeys.title")}</Heading>
      <p>{t("hc.passkeys.intro")}</p>
      <Loadable state={state}>
        {(passkeys) =>
          passkeys.length === 0 ? (
            <p>{t("hc.passkeys.none")}</p>
          ) : (
            <ul className="passkey-list">
              {passkeys.map((p) => (
                <li key={p.id}>
                  {renaming === p.id ? (
                    <form onSubmit={(e) => void rename(e, p.id)} className="inline-form">
                      <Field id={`passkey-rename-${p.id}`} label={t("hc.passkeys.renameLabel", { name: p.name })}>
                        <input value={newName} onChange={(e) => setNewName(e.target.value)} required maxLength={100} autoFocus />
                      </Field>
                      <button type="submit" disabled={busy}>
                        {t("hc.passkeys.save")}
                      </button>{" "}
                      <button type="button" className="secondary" onClick={() => setRenaming(null)}>
                        {t("hc.passkeys.cancel")}
                      </button>
                    </form>
                  ) : (
                    <>
                      <strong>{p.name}</strong>{" "}
                      <span className="muted">
                        {t("hc.passkeys.created", { date: formatDate(p.created_at) })}, {p.last_used_at ? t("hc.passkeys.lastUsed", { date: formatDate(p.last_used_at) }) : t("hc.passkeys.neverUsed")}
                      </span>{" "}
                      <button
                        type="button"
                        className="link"
                        onClick={() => {
                          setRenaming(p.id);
                          setNewName(p.name);
                        }}
                        aria-label={`${t("hc.passkeys.rename")}: ${p.name}`}
                      >
                        {t("hc.passkeys.rename")}
                      </button>{" "}
                      {confirming === p.id ? (
                        <span className="actions">
                          <span role="alert">{t("hc.passkeys.removeConfirm", { name: p.name })}</span>{" "}
                          <button type="button" className="danger" disabled={busy} onClick={() => void remove(p.id)}>
                            {t("hc.passkeys.remove")}
                          </button>{" "}
                          <button type="button" className="secondary" onClick={() => setConfirming(null)}>
                            {t("hc.passkeys.cancel")}
                          </button>
                        </span>
                      ) : (
                        <button type="button" className="link" disabled={busy} onClick={() => setConfirming(p.id)} aria-label={`${t("hc.passkeys.remove")}: ${p.name}`}>
                          {t("hc.passkeys.remove")}
                        </button>
                      )}
                    </>
                  )}
                </li>
              ))}
            </ul>
          )
        }
      </Loadable>
      <form onSubmit={(e) => void add(e)} aria-busy={busy}>
        <Field id="passkey-name" label={t("hc.passkeys.name")} help={t("hc.passkeys.nameHelp")}>
          <input value={name} onChange={(e) => setName(e.target.value)} maxLength={100} />
        </Field>
        {askPassword ? (
          <Field id="passkey-password" label={t("tf.setup.password")} help={t("tf.setup.passwordHelp")}>
            <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} required autoComplete="current-password" maxLength={256} />
          </Field>
        ) : null}
        <ErrorText text={error} />
        <StatusText text={status} />
        {signInAgain && <SignInAgain intro={t("hc.passkeys.signInAgainIntro", { minutes: RECENT_SIGN_IN_MINUTES })} />}
        <button type="submit" disabled={busy}>
          {busy ? t("hc.passkeys.adding") : t("hc.passkeys.add")}
        </button>
      </form>
    </section>
  );
}
