import { useState, type FormEvent } from "react";
import { client, ok } from "../api.ts";
import type { SessionSettings } from "../api-schema.ts";
import { Field, StatusText } from "../components/Field.tsx";
import { useFailure } from "../components/SignInAgain.tsx";
import { Loadable, useApi, useSetData } from "../data.tsx";
import { t } from "../i18n/index.ts";
import { PageHeading } from "../router.tsx";

const KEY = ["session_settings"];

/** `/admin/sessions`: the tenant's idle timeout and absolute session length. */
export function SessionSettingsPage() {
  const settings = useApi(KEY, async (signal) => (await ok(client.GET("/api/v2/session_settings", { signal }))).session_settings);
  return (
    <main id="main" className="main">
      <PageHeading>{t("admin.sessions.title")}</PageHeading>
      <p className="muted">{t("admin.sessions.intro")}</p>
      <Loadable state={settings}>{(s) => <SettingsForm settings={s} />}</Loadable>
    </main>
  );
}

function SettingsForm(props: { settings: SessionSettings }) {
  const s = props.settings;
  const setData = useSetData();
  const [idle, setIdle] = useState(String(s.idle_minutes));
  const [max, setMax] = useState(String(s.max_hours));
  const failure = useFailure();
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function save(body: { idle_minutes?: number | null; max_hours?: number | null }) {
    setBusy(true);
    failure.clear();
    setStatus(null);
    try {
      const r = (await ok(client.PUT("/api/v2/session_settings", { body: { session_settings: body } }))).session_settings;
      setData(KEY, r);
      setIdle(String(r.idle_minutes));
      setMax(String(r.max_hours));
      setStatus(t("admin.saved"));
    } catch (err) {
      failure.fail(err);
    } finally {
      setBusy(false);
    }
  }
  function submit(e: FormEvent) {
    e.preventDefault();
    // Only what was changed is sent: a value left as it was keeps following the server's default.
    void save({ ...(Number(idle) !== s.idle_minutes ? { idle_minutes: Number(idle) } : {}), ...(Number(max) !== s.max_hours ? { max_hours: Number(max) } : {}) });
  }
  return (
    <form className="form" onSubmit={submit} aria-busy={busy}>
      <Field id="session-idle" label={t("admin.sessions.idle")} help={t("admin.sessions.idleHelp", { minutes: s.default_idle_minutes })}>
        <input type="number" min={5} max={1440} step={1} required value={idle} onChange={(e) => setIdle(e.target.value)} />
      </Field>
      <Field id="session-max" label={t("admin.sessions.max")} help={t("admin.sessions.maxHelp", { hours: s.default_max_hours })}>
        <input type="number" min={1} max={720} step={1} required value={max} onChange={(e) => setMax(e.target.value)} />
      </Field>
      <p className="help">{t("admin.sessions.applies")}</p>
      {failure.notice}
      <StatusText text={status} />
      <p className="actions">
        <button type="submit" disabled={busy}>
          {t("admin.save")}
        </button>
        <button type="button" className="secondary" disabled={busy} onClick={() => void save({ idle_minutes: null, max_hours: null })}>
          {t("admin.sessions.defaults")}
        </button>
      </p>
    </form>
  );
}
