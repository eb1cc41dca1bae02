import { useState, type FormEvent } from "react";
import { client, ok } from "../api.ts";
import { Field, StatusText } from "../components/Field.tsx";
import { useFailure } from "../components/SignInAgain.tsx";
import { Loadable, useApi } from "../data.tsx";
import { formatDate, t } from "../i18n/index.ts";

type Grant = Awaited<ReturnType<typeof loadGrants>>["support_access_grants"][number];
type Level = Grant["level"];

const loadGrants = async (signal: AbortSignal) => ok(client.GET("/api/v2/support_access", { signal }));

/**
 * The account page's "Support access" section: the live grant (level, who granted it, when it
 * ends) with a revoke button, the grant form for owners, and the earlier grants. What the viewer
 * may do comes from the server's `abilities`.
 */
export function SupportAccessSection() {
  const state = useApi(["support_access"], loadGrants);
  return (
    <section className="panel" aria-labelledby="support-access-heading">
      <h2 id="support-access-heading">{t("support.title")}</h2>
      <p className="muted">{t("support.intro")}</p>
      <Loadable state={state}>{(r) => <SupportAccess grants={r.support_access_grants} abilities={r.abilities} reload={state.reload} />}</Loadable>
    </section>
  );
}

function SupportAccess(props: { grants: Grant[]; abilities: { can_grant: boolean; can_revoke: boolean }; reload: () => Promise<unknown> }) {
  const { grants, abilities } = props;
  const live = grants.find((g) => g.status === "live");
  const earlier = grants.filter((g) => g !== live);
  const [days, setDays] = useState(3);
  const [level, setLevel] = useState<Level>("read_only");
  const [reason, setReason] = useState("");
  const failure = useFailure();
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function run(action: () => Promise<unknown>, done: string) {
    setBusy(true);
    failure.clear();
    setStatus(null);
    try {
      await action();
      setStatus(done);
      await props.reload();
    } catch (err) {
      // Granting needs a recent sign-in: the notice then offers to sign in again in place.
      failure.fail(err);
    } finally {
      setBusy(false);
    }
  }
  function grant(e: FormEvent) {
    e.preventDefault();
    void run(() => ok(client.POST("/api/v2/support_access", { body: { support_access: { days, level, ...(reason.trim() ? { reason: reason.trim() } : {}) } } })), t("support.granted"));
  }

  return (
    <>
      {live ? (
        <div className="support-live" data-testid="support-live">
          <p>
            <strong>{t("support.live", { expires: formatDate(live.expires_at) })}</strong>
          </p>
          <dl className="facts">
            <dt>{t("support.level")}</dt>
            <dd>{t(`support.level.${live.level}`)}</dd>
            <dt>{t("support.grantedBy")}</dt>
            <dd>{live.granted_by_name ?? "—"}</dd>
            <dt>{t("support.grantedAt")}</dt>
            <dd>
              <time dateTime={live.created_at}>{formatDate(live.created_at)}</time>
            </dd>
            <dt>{t("support.expires")}</dt>
            <dd>
              <time dateTime={live.expires_at}>{formatDate(live.expires_at)}</time>
            </dd>
            {live.reason ? (
              <>
                <dt>{t("support.reason")}</dt>
                <dd>{live.reason}</dd>
              </>
            ) : null}
          </dl>
          {abilities.can_revoke ? (
            <button type="button" className="secondary" disabled={busy} onClick={() => void run(() => ok(client.DELETE("/api/v2/support_access/{id}", { params: { path: { id: live.id } } })), t("support.revoked"))}>
              {t("support.revoke")}
            </button>
          ) : null}
        </div>
      ) : (
        <p>{t("support.none")}</p>
      )}
      {!live && abilities.can_grant ? (
        <form className="form" onSubmit={grant} aria-busy={busy}>
          <Field id="support-days" label={t("support.days")} help={t("support.daysHelp")}>
            <input type="number" min={1} max={30} step={1} value={days} onChange={(e) => setDays(Number(e.target.value))} required />
          </Field>
          <fieldset className="choice">
            <legend>{t("support.level")}</legend>
            {(["read_only", "read_write"] as const).map((l) => (
              <label key={l}>
                <input type="radio" name="support-level" checked={level === l} onChange={() => setLevel(l)} />
                {t(`support.level.${l}`)}
              </label>
            ))}
          </fieldset>
          <Field id="support-reason" label={t("support.reason")} help={t("support.reasonHelp")}>
            <input value={reason} onChange={(e) => setReason(e.target.value)} maxLength={500} />
          </Field>
          <button type="submit" disabled={busy}>
            {t("support.grant")}
          </button>
        </form>
      ) : null}
      {!live && !abilities.can_grant ? <p className="help">{t("support.ownerOnly")}</p> : null}
      {failure.notice}
      <StatusText text={status} />
      {earlier.length > 0 ? (
        <>
          <h3>{t("support.history")}</h3>
          <table className="admin">
            <caption className="sr-only">{t("support.history")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("support.grantedAt")}</th>
                <th scope="col">{t("support.level")}</th>
                <th scope="col">{t("support.grantedBy")}</th>
                <th scope="col">{t("support.status")}</th>
              </tr>
            </thead>
            <tbody>
              {earlier.map((g) => (
                <tr key={g.id}>
                  <td data-label={t("support.grantedAt")}>
                    <time dateTime={g.created_at}>{formatDate(g.created_at)}</time>
                  </td>
                  <td data-label={t("support.level")}>{t(`support.level.${g.level}`)}</td>
                  <td data-label={t("support.grantedBy")}>{g.granted_by_name ?? "—"}</td>
                  <td data-label={t("support.status")}>{t(`support.status.${g.status}`)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </>
  );
}

