import { useState, type FormEvent } from "react";
import { client, fieldError, ok } from "../api.ts";
import type { IpRestriction } from "../api-schema.ts";
import { CheckField, Field, StatusText } from "../components/Field.tsx";
import { Loadable, useApi, useSetData } from "../data.tsx";
import { t } from "../i18n/index.ts";
import { PageHeading } from "../router.tsx";
import { useFailure } from "../components/SignInAgain.tsx";

const KEY = ["ip_restrictions"];

/**
 * `/admin/ip-restrictions`: the networks staff (and optionally end users) may use the account
 * from, and the two-factor exception. Shows the admin's address as the server sees it; a change
 * the server says would shut the admin out is saved only after they confirm it.
 */
export function IpRestrictionsPage() {
  const state = useApi(KEY, async (signal) => (await ok(client.GET("/api/v2/ip_restrictions", { signal }))).ip_restriction);
  return (
    <main id="main" className="main">
      <PageHeading>{t("ipr.title")}</PageHeading>
      <p className="muted">{t("ipr.intro")}</p>
      <Loadable state={state}>{(s) => <RestrictionForm settings={s} />}</Loadable>
    </main>
  );
}

type Body = { enabled: boolean; allowed_ips: string; enforce_end_users: boolean; allow_two_factor: boolean };

function RestrictionForm(props: { settings: IpRestriction }) {
  const s = props.settings;
  const setData = useSetData();
  const [enabled, setEnabled] = useState(s.enabled);
  const [ranges, setRanges] = useState(s.allowed_ips.split(" ").filter(Boolean).join("\n"));
  const [endUsers, setEndUsers] = useState(s.enforce_end_users);
  const [twoFactor, setTwoFactor] = useState(s.allow_two_factor);
  const failure = useFailure();
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  /** The change the server refused as a lockout, waiting for the admin's confirmation. */
  const [risky, setRisky] = useState<Body | null>(null);

  async function save(body: Body, confirmLockout: boolean) {
    setBusy(true);
    failure.clear();
    setStatus(null);
    try {
      const r = (await ok(client.PUT("/api/v2/ip_restrictions", { body: { ip_restriction: body, ...(confirmLockout ? { confirm_lockout: true as const } : {}) } }))).ip_restriction;
      setRisky(null);
      setData(KEY, r);
      setRanges(r.allowed_ips.split(" ").filter(Boolean).join("\n"));
      setStatus(t("admin.saved"));
    } catch (err) {
      if (fieldError(err, "allowed_ips") === "LockoutRisk") setRisky(body);
      else failure.fail(err);
    } finally {
      setBusy(false);
    }
  }
  function submit(e: FormEvent) {
    e.preventDefault();
    void save({ enabled, allowed_ips: ranges.split(/\s+/).filter(Boolean).join(" "), enforce_end_users: endUsers, allow_two_factor: twoFactor }, false);
  }
  return (
    <form className="form" onSubmit={submit} aria-busy={busy}>
      <p className="panel" id="ipr-current">
        {s.current_ip ? t("ipr.current", { ip: s.current_ip }) : t("ipr.currentUnknown")} {s.current_ip ? (s.current_ip_allowed ? t("ipr.currentIn") : t("ipr.currentOut")) : null}
      </p>
      <CheckField id="ipr-enabled" label={t("ipr.enabled")} checked={enabled} onChange={setEnabled} />
      <Field id="ipr-ranges" label={t("ipr.ranges")} help={t("ipr.rangesHelp")}>
        <textarea rows={6} spellCheck={false} value={ranges} onChange={(e) => setRanges(e.target.value)} />
      </Field>
      <CheckField id="ipr-end-users" label={t("ipr.endUsers")} checked={endUsers} onChange={setEndUsers} />
      <CheckField id="ipr-2fa" label={t("ipr.twoFactor")} checked={twoFactor} onChange={setTwoFactor} help={t("ipr.twoFactorHelp")} />
      {failure.notice}
      <StatusText text={status} />
      {risky ? (
        <div className="panel" role="alertdialog" aria-labelledby="ipr-lockout">
          <p className="error" id="ipr-lockout">
            {t("ipr.lockout")}
          </p>
          <p className="actions">
            <button type="button" className="danger" disabled={busy} onClick={() => void save(risky, true)}>
              {t("ipr.lockoutConfirm")}
            </button>
            <button type="button" className="secondary" disabled={busy} onClick={() => setRisky(null)}>
              {t("ipr.cancel")}
            </button>
          </p>
        </div>
      ) : null}
      <p className="actions">
        <button type="submit" disabled={busy}>
          {t("admin.save")}
        </button>
      </p>
    </form>
  );
}
