import { useState } from "react";
import { client, ok } from "../api.ts";
import type { User } from "../api-schema.ts";
import { StatusText } from "../components/Field.tsx";
import { TwoFactorSection } from "../components/TwoFactor.tsx";
import { PasskeysSection } from "../components/Passkeys.tsx";
import { Loadable, useApi, useSetData } from "../data.tsx";
import { formatDate, t } from "../i18n/index.ts";
import { PageHeading } from "../router.tsx";
import { useFailure } from "../components/SignInAgain.tsx";

const KEY = ["two-factor-settings"];

/**
 * `/admin/security`: whether two-factor authentication is required for all staff (the server
 * refuses to require it of others before the admin uses it), and the admin's own set-up.
 */
export function SecurityPage() {
  const settings = useApi(KEY, async (signal) => (await ok(client.GET("/api/v2/two_factor_settings", { signal }))).two_factor_settings);
  const setData = useSetData();
  const failure = useFailure();
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  /** The switch's state while a change is on its way (shown at once; put back if it is refused). */
  const [pending, setPending] = useState<boolean | null>(null);
  async function change(require: boolean) {
    failure.clear();
    setStatus(null);
    setBusy(true);
    setPending(require);
    try {
      const r = await ok(client.PUT("/api/v2/two_factor_settings", { body: { two_factor_settings: { require_staff_two_factor: require } } }));
      setData(KEY, r.two_factor_settings);
      setStatus(t("admin.saved"));
    } catch (err) {
      failure.fail(err);
    } finally {
      setPending(null);
      setBusy(false);
    }
  }
  return (
    <main id="main" className="main">
      <PageHeading>{t("tf.admin.title")}</PageHeading>
      <Loadable state={settings}>
        {(s) => (
          <section className="panel" aria-labelledby="tf-require-heading">
            <h2 id="tf-require-heading">{t("tf.admin.staffTitle")}</h2>
            <label className="check">
              <input type="checkbox" role="switch" checked={pending ?? s.require_staff_two_factor} disabled={busy} onChange={(e) => void change(e.target.checked)} aria-describedby="tf-require-help" /> {t("tf.admin.require")}
            </label>
            <p className="help" id="tf-require-help">
              {t("tf.admin.requireHelp")}
            </p>
            {failure.notice}
            <StatusText text={status} />
          </section>
        )}
      </Loadable>
      <div className="panel">
        <TwoFactorSection />
      </div>
      <div className="panel">
        <PasskeysSection />
      </div>
    </main>
  );
}

/**
 * A person's two-factor status on their admin page, with the reset (audited; they are signed out
 * and told by e-mail). Not on one's own page: one's own is turned off with a current code, on the
 * security page (the server refuses the reset on oneself).
 */
export function PersonTwoFactor(props: { user: User; self: boolean }) {
  const key = ["two-factor", props.user.id];
  const state = useApi(key, async (signal) => (await ok(client.GET("/api/v2/users/{id}/two_factor", { params: { path: { id: props.user.id } }, signal }))).two_factor);
  const [confirming, setConfirming] = useState(false);
  const failure = useFailure();
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function reset() {
    failure.clear();
    setBusy(true);
    try {
      await ok(client.DELETE("/api/v2/users/{id}/two_factor", { params: { path: { id: props.user.id } } }));
      setStatus(t("tf.admin.resetDone", { name: props.user.name }));
      setConfirming(false);
      await state.reload();
    } catch (err) {
      failure.fail(err);
    } finally {
      setBusy(false);
    }
  }
  return (
    <section aria-labelledby="person-tf-heading" className="panel">
      <h2 id="person-tf-heading">{t("tf.admin.person")}</h2>
      <StatusText text={status} />
      {failure.notice}
      <Loadable state={state}>
        {(s) => (
          <>
            <p>
              {s.enabled ? t("tf.admin.personOn", { count: s.recovery_codes_left }) : t("tf.admin.personOff")}
              {s.passkeys > 0 ? ` ${t("tf.admin.personPasskeys", { count: s.passkeys })}` : null}
            </p>
            {props.self && (s.enabled || s.passkeys > 0) ? <p className="help">{t("tf.admin.resetOwn")}</p> : null}
            {!props.self && (s.enabled || s.passkeys > 0) ? (
              <div className="actions">
                {confirming ? (
                  <>
                    <span role="alert">{t("tf.admin.resetConfirm", { name: props.user.name })}</span>
                    <button type="button" className="danger" disabled={busy} onClick={() => void reset()}>
                      {t("tf.admin.reset")}
                    </button>
                    <button type="button" className="secondary" onClick={() => setConfirming(false)}>
                      {t("admin.cancel")}
                    </button>
                  </>
                ) : (
                  <button type="button" className="secondary" disabled={busy} onClick={() => setConfirming(true)}>
                    {t("tf.admin.reset")}
                  </button>
                )}
              </div>
            ) : null}
          </>
        )}
      </Loadable>
    </section>
  );
}

/** A person's passkeys on their admin page, each removable (audited; the person is told by e-mail). */
export function PersonPasskeys(props: { user: User }) {
  const key = ["passkeys", props.user.id];
  const state = useApi(key, async (signal) => (await ok(client.GET("/api/v2/users/{id}/passkeys", { params: { path: { id: props.user.id } }, signal }))).passkeys);
  const [confirming, setConfirming] = useState<string | null>(null);
  const failure = useFailure();
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function remove(passkeyId: string) {
    failure.clear();
    setBusy(true);
    try {
      await ok(client.DELETE("/api/v2/users/{id}/passkeys/{passkey_id}", { params: { path: { id: props.user.id, passkey_id: passkeyId } } }));
      setStatus(t("pk.admin.removed"));
      setConfirming(null);
      await state.reload();
    } catch (err) {
      failure.fail(err);
    } finally {
      setBusy(false);
    }
  }
  return (
    <section aria-labelledby="person-pk-heading" className="panel">
      <h2 id="person-pk-heading">{t("pk.admin.person")}</h2>
      <StatusText text={status} />
      {failure.notice}
      <Loadable state={state}>
        {(passkeys) =>
          passkeys.length === 0 ? (
            <p>{t("pk.admin.none")}</p>
          ) : (
            <ul className="passkey-list">
              {passkeys.map((p) => (
                <li key={p.id}>
                  <strong>{p.name}</strong> <span className="muted">{t("hc.passkeys.created", { date: formatDate(p.created_at) })}</span>{" "}
                  {confirming === p.id ? (
                    <span className="actions">
                      <span role="alert">{t("pk.admin.removeConfirm", { name: p.name, person: props.user.name })}</span>{" "}
                      <button type="button" className="danger" disabled={busy} onClick={() => void remove(p.id)}>
                        {t("pk.admin.remove")}
                      </button>{" "}
                      <button type="button" className="secondary" onClick={() => setConfirming(null)}>
                        {t("admin.cancel")}
                      </button>
                    </span>
                  ) : (
                    <button type="button" className="link" disabled={busy} onClick={() => setConfirming(p.id)} aria-label={`${t("pk.admin.remove")}: ${p.name}`}>
                      {t("pk.admin.remove")}
                    </button>
                  )}
                </li>
              ))}
            </ul>
          )
        }
      </Loadable>
    </section>
  );
}
