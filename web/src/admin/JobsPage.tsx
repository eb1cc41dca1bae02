import { useState } from "react";
import { client, explain, ok } from "../api.ts";
import { Loadable, useApi } from "../data.tsx";
import { formatDate, t } from "../i18n/index.ts";
import { PageHeading } from "../router.tsx";

const STATES = ["queued", "working", "completed", "failed", "killed"] as const;
const stateLabel = (status: string) => {
  const known = STATES.find((x) => x === status);
  return known ? t(`admin.jobs.status.${known}`) : status;
};

/** How often the page asks again while a job is still queued or working. */
const REFRESH_MS = 2000;

/**
 * `/admin/jobs`: the tenant's recent bulk ticket jobs (GET /api/v2/job_statuses), with progress
 * while they run and how many tickets each could not change. Finished jobs disappear after the
 * retention the server is configured with.
 */
export function JobsPage() {
  const list = useApi(["job_statuses"], async (signal) => (await ok(client.GET("/api/v2/job_statuses", { signal }))).job_statuses, {
    // Asked again while a job is still queued or working.
    refetchInterval: (jobs) => (jobs?.some((j) => j.status === "queued" || j.status === "working") ? REFRESH_MS : false),
  });
  const jobs = list.data;
  const [busy, setBusy] = useState<string | null>(null);
  const [said, setSaid] = useState<{ text: string; error: boolean } | null>(null);
  // A queued job never starts; a running one stops before its next ticket. Offered only where the
  // server says the viewer's cancellation would be accepted (`abilities.can_cancel`: its starter or
  // an admin, a bulk ticket job, tickets left to do).
  async function cancel(id: string) {
    setBusy(id);
    setSaid(null);
    try {
      await ok(client.POST("/api/v2/job_statuses/{id}/cancel", { params: { path: { id } } }));
      setSaid({ text: t("admin.jobs.cancelled"), error: false });
    } catch (err) {
      setSaid({ text: explain(err), error: true });
    } finally {
      setBusy(null);
      await list.reload();
    }
  }
  const kind = (type: string) => (type === "bulk_update_job" ? t("admin.jobs.update") : type === "bulk_create_job" ? t("admin.jobs.create") : type);
  return (
    <main id="main" className="main">
      <PageHeading>{t("admin.jobs.title")}</PageHeading>
      <p className="muted">{t("admin.jobs.intro")}</p>
      <Loadable state={list}>{() => null}</Loadable>
      {said ? (
        <p role={said.error ? "alert" : "status"} className={said.error ? "error" : undefined}>
          {said.text}
        </p>
      ) : null}
      {jobs && jobs.length === 0 ? <p className="empty">{t("admin.jobs.empty")}</p> : null}
      {jobs && jobs.length > 0 ? (
        <table className="admin">
          <caption className="sr-only">{t("admin.jobs.title")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("admin.jobs.kind")}</th>
              <th scope="col">{t("admin.jobs.status")}</th>
              <th scope="col">{t("admin.jobs.progress")}</th>
              <th scope="col">{t("admin.jobs.failed")}</th>
              <th scope="col">{t("admin.jobs.queued")}</th>
              <th scope="col">{t("admin.jobs.finished")}</th>
              <th scope="col">
                <span className="sr-only">{t("admin.jobs.actions")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {jobs.map((j) => (
              <tr key={j.id}>
                <td data-label={t("admin.jobs.kind")} className="primary state">
                  {kind(j.job_type)}
                </td>
                <td data-label={t("admin.jobs.status")} className="state">{stateLabel(j.status)}</td>
                <td data-label={t("admin.jobs.progress")} className="state">
                  <progress max={j.total} value={j.progress} aria-label={t("admin.jobs.progressOf", { done: j.progress, total: j.total })} /> {t("admin.jobs.progressOf", { done: j.progress, total: j.total })}
                </td>
                <td data-label={t("admin.jobs.failed")}>{j.results.filter((r) => r.success === false).length}</td>
                <td data-label={t("admin.jobs.queued")}>{j.created_at ? <time dateTime={j.created_at}>{formatDate(j.created_at)}</time> : "—"}</td>
                <td data-label={t("admin.jobs.finished")}>{j.finished_at ? <time dateTime={j.finished_at}>{formatDate(j.finished_at)}</time> : "—"}</td>
                <td>
                  {j.abilities.can_cancel ? (
                    <button type="button" className="secondary" disabled={busy !== null} onClick={() => void cancel(j.id)} aria-label={t("admin.jobs.cancelFor", { kind: kind(j.job_type), when: j.created_at ? formatDate(j.created_at) : "" })}>
                      {t("admin.jobs.cancel")}
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </main>
  );
}
