import { useState, type FormEvent } from "react";
import { client, ok } from "../api.ts";
import type { Answer } from "../api-schema.ts";
import { Field, StatusText } from "../components/Field.tsx";
import { useFailure } from "../components/SignInAgain.tsx";
import { t } from "../i18n/index.ts";

type Export = Answer<"showExport">["export"];
type Resource = Export["resource"];
type Format = Export["format"];

/**
 * The Data exports section of `/admin/retention`: starts a tenant export (POST /api/v2/exports),
 * follows its progress, and offers its single-use download link once ready. Admins only; the
 * server checks and audits.
 */
export function ExportsSection() {
  const [resource, setResource] = useState<Resource>("tickets");
  const [format, setFormat] = useState<Format>("csv");
  const [since, setSince] = useState("");
  const [until, setUntil] = useState("");
  const [current, setCurrent] = useState<Export | null>(null);
  const failure = useFailure();
  const busy = current?.status === "queued" || current?.status === "working";

  async function start(e: FormEvent) {
    e.preventDefault();
    failure.clear();
    try {
      const iso = (d: string) => (d ? new Date(`${d}T00:00:00Z`).toISOString() : undefined);
      const body = { export: { resource, format, ...(since ? { start_time: iso(since) } : {}), ...(until ? { end_time: iso(until) } : {}) } };
      let x = (await ok(client.POST("/api/v2/exports", { body }))).export;
      setCurrent(x);
      while (x.status === "queued" || x.status === "working") {
        await new Promise((r) => setTimeout(r, 1000));
        x = (await ok(client.GET("/api/v2/exports/{id}", { params: { path: { id: x.id } } }))).export;
        setCurrent(x);
      }
    } catch (err) {
      failure.fail(err);
    }
  }

  const status =
    !current ? null
    : busy ? t("exports.working", { count: current.rows_done })
    : current.status === "ready" ? t("exports.ready", { count: current.rows_done })
    : current.status === "failed" ? t("exports.failed")
    : t("exports.gone");
  return (
    <section aria-labelledby="exports-heading">
      <h2 id="exports-heading">{t("exports.title")}</h2>
      <p className="muted">{t("exports.intro")}</p>
      <form className="form" onSubmit={(e) => void start(e)} aria-busy={busy}>
        <div className="row">
          <Field id="exports-resource" label={t("exports.resource")}>
            <select value={resource} onChange={(e) => setResource(e.target.value as Resource)}>
              <option value="tickets">{t("exports.tickets")}</option>
              <option value="users">{t("exports.users")}</option>
              <option value="organizations">{t("exports.organizations")}</option>
            </select>
          </Field>
          <Field id="exports-format" label={t("exports.format")}>
            <select value={format} onChange={(e) => setFormat(e.target.value as Format)}>
              <option value="csv">CSV</option>
              <option value="json">JSON</option>
            </select>
          </Field>
          <Field id="exports-since" label={t("exports.since")}>
            <input type="date" value={since} onChange={(e) => setSince(e.target.value)} />
          </Field>
          <Field id="exports-until" label={t("exports.until")}>
            <input type="date" value={until} onChange={(e) => setUntil(e.target.value)} />
          </Field>
        </div>
        <button type="submit" disabled={busy}>
          {t("exports.start")}
        </button>
      </form>
      <StatusText text={status} />
      {failure.notice}
      {current?.status === "ready" && current.download_url ? (
        <p>
          <a href={current.download_url} download onClick={() => setTimeout(() => setCurrent({ ...current, status: "downloaded", download_url: null }), 0)}>
            {t("exports.download")}
          </a>
        </p>
      ) : null}
    </section>
  );
}
