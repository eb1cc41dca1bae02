import { useState, type FormEvent } from "react";
import { client, ok } from "../api.ts";
import type { AttachmentSettings } from "../api-schema.ts";
import { Field, StatusText } from "../components/Field.tsx";
import { useFailure } from "../components/SignInAgain.tsx";
import { Loadable, useApi, useSetData } from "../data.tsx";
import { formatBytes, t } from "../i18n/index.ts";
import { PageHeading } from "../router.tsx";

const KEY = ["attachment-settings"];
const MB = 1_000_000;

/**
 * `/admin/attachments`: what this helpdesk accepts as files — on or off, for customers too, the
 * size limit (up to the installation's), refused extensions and, optionally, the only types
 * accepted — and whether files are scanned for malware (the installation's setting, shown).
 */
export function AttachmentsPage() {
  const settings = useApi(KEY, async (signal) => (await ok(client.GET("/api/v2/attachment_settings", { signal }))).settings);
  return (
    <main id="main" className="main">
      <Loadable state={settings}>{(s) => <SettingsForm settings={s} />}</Loadable>
    </main>
  );
}

const list = (text: string) => text.split(/[\s,]+/).map((x) => x.trim()).filter(Boolean);

function SettingsForm(props: { settings: AttachmentSettings }) {
  const s = props.settings;
  const setData = useSetData();
  const [enabled, setEnabled] = useState(s.enabled);
  const [customers, setCustomers] = useState(s.end_users_may_attach);
  const [maxMb, setMaxMb] = useState(String(Math.round((s.max_bytes / MB) * 10) / 10));
  const [blocked, setBlocked] = useState(s.blocked_extensions.join(", "));
  const [allowed, setAllowed] = useState((s.allowed_types ?? []).join(", "));
  const failure = useFailure();
  const [status, setStatus] = useState<string | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    failure.clear();
    setStatus(null);
    const types = list(allowed);
    try {
      const r = await ok(
        client.PUT("/api/v2/attachment_settings", {
          body: { settings: { enabled, end_users_may_attach: customers, max_bytes: Math.round(Number(maxMb) * MB), blocked_extensions: list(blocked), allowed_types: types.length ? types : null } },
        }),
      );
      setData(KEY, r.settings);
      setStatus(t("admin.saved"));
    } catch (err) {
      failure.fail(err);
    }
  }

  return (
    <>
      <PageHeading>{t("admin.files.title")}</PageHeading>
      <p>{s.scanning ? t("admin.files.scanning") : t("admin.files.notScanning")}</p>
      <form className="form" onSubmit={submit}>
        <label className="check">
          <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} /> {t("admin.files.enabled")}
        </label>
        <label className="check">
          <input type="checkbox" checked={customers} disabled={!enabled} onChange={(e) => setCustomers(e.target.checked)} /> {t("admin.files.customers")}
        </label>
        <Field id="files-max" label={t("admin.files.max")} help={t("admin.files.maxHelp", { limit: formatBytes(s.max_bytes_limit) })}>
          <input type="number" min={0.1} step={0.1} max={s.max_bytes_limit / MB} value={maxMb} onChange={(e) => setMaxMb(e.target.value)} required />
        </Field>
        <Field id="files-blocked" label={t("admin.files.blocked")} help={t("admin.files.blockedHelp")}>
          <textarea value={blocked} onChange={(e) => setBlocked(e.target.value)} rows={3} />
        </Field>
        <Field id="files-allowed" label={t("admin.files.allowed")} help={t("admin.files.allowedHelp")}>
          <input value={allowed} onChange={(e) => setAllowed(e.target.value)} placeholder="image/*, application/pdf" />
        </Field>
        {failure.notice}
        <StatusText text={status} />
        <button type="submit">{t("admin.save")}</button>
      </form>
    </>
  );
}
