import { useState, type FormEvent } from "react";
import { ApiError, client, explain, ok } from "../api.ts";
import type { JobStatus, TicketChange } from "../api-schema.ts";
import { ErrorText, Field } from "../components/Field.tsx";
import { t } from "../i18n/index.ts";
import { AssigneeSelect, GroupSelect, PrioritySelect, StatusSelect } from "./fields.tsx";
import { parseTags } from "./model.ts";
import type { Pickers } from "./workspace.ts";

/** What a bulk update did; `cancelled` when it was cancelled, with how many tickets it never got to. */
export type Outcome = { updated: number; failed: Array<{ id: number; reason: string }>; cancelled?: { left: number } };

/** How often the job status is read while the job runs. */
const POLL_MS = 300;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Changes the selected tickets together: one `PUT /tickets/update_many` queues a job on the
 * server, which changes each ticket on its own; its job status is polled for the progress bar and,
 * once the job has finished, names each ticket that could not be changed and the server's reason.
 * While it runs it can be cancelled, where the server says this person may (`abilities.can_cancel`:
 * they started it; tickets left to do): it stops before its next ticket, and the tickets already
 * changed keep their change.
 */
export function BulkUpdate(props: { ids: number[]; pickers: Pickers | null; onDone: (outcome: Outcome) => void }) {
  const [status, setStatus] = useState("");
  const [priority, setPriority] = useState("");
  const [assignee, setAssignee] = useState("");
  const [group, setGroup] = useState("");
  const [addTags, setAddTags] = useState("");
  const [removeTags, setRemoveTags] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  // The running job, while it may be cancelled, and whether a cancellation has been sent.
  const [cancellable, setCancellable] = useState<string | null>(null);
  const [cancelling, setCancelling] = useState(false);

  const noChange = [{ value: "", label: t("bulk.noChange") }];

  function change(): NonNullable<TicketChange> {
    const c: NonNullable<TicketChange> = {};
    if (status) c.status = status as NonNullable<TicketChange["status"]>;
    if (priority) c.priority = priority === "none" ? null : (priority as NonNullable<TicketChange["priority"]>);
    if (assignee) c.assignee_id = assignee === "none" ? null : Number(assignee);
    if (group) c.group_id = group === "none" ? null : Number(group);
    if (parseTags(addTags).length) c.additional_tags = parseTags(addTags);
    if (parseTags(removeTags).length) c.remove_tags = parseTags(removeTags);
    return c;
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    const ticket = change();
    if (Object.keys(ticket).length === 0) return setError(t("bulk.nothing"));
    const ids = [...props.ids].sort((a, b) => a - b);
    setProgress({ done: 0, total: ids.length });
    let job: JobStatus;
    try {
      job = (await ok(client.PUT("/api/v2/tickets/update_many", { params: { query: { ids: ids.join(",") } }, body: { ticket } }))).job_status;
      while (job.status === "queued" || job.status === "working") {
        setProgress({ done: job.progress, total: job.total });
        setCancellable(job.abilities.can_cancel ? job.id : null);
        await sleep(POLL_MS);
        job = (await ok(client.GET("/api/v2/job_statuses/{id}", { params: { path: { id: job.id } } }))).job_status;
      }
    } catch (err) {
      setProgress(null);
      return setError(explain(err));
    } finally {
      setCancellable(null);
      setCancelling(false);
    }
    setProgress({ done: job.progress, total: job.total });
    const result: Outcome = { updated: 0, failed: [] };
    for (const x of job.results) {
      if (x.success === false) result.failed.push({ id: x.id ?? 0, reason: x.details ?? x.error ?? t("error.generic") });
      else result.updated += 1;
    }
    // A job that failed as a whole did not get to some tickets: name them too.
    const reported = new Set(job.results.map((x) => x.id));
    if (job.status === "failed") for (const id of ids) if (!reported.has(id)) result.failed.push({ id, reason: t("error.generic") });
    // Cancelled: the tickets it did not get to are untouched.
    if (job.status === "killed") result.cancelled = { left: Math.max(0, job.total - job.progress) };
    setProgress(null);
    props.onDone(result);
  }

  // The poll above then sees the job cancelled, or finished meanwhile, and reports what it did.
  async function cancel(id: string) {
    setCancelling(true);
    try {
      await ok(client.POST("/api/v2/job_statuses/{id}/cancel", { params: { path: { id } } }));
    } catch (err) {
      // 409: it finished before the cancellation reached it; the result the poll shows says so.
      if (err instanceof ApiError && err.status === 409) return;
      setError(explain(err));
      setCancelling(false);
    }
  }

  const busy = progress !== null;
  return (
    <section className="bulk" aria-labelledby="bulk-heading">
      <h2 id="bulk-heading">{t("bulk.title", { count: props.ids.length })}</h2>
      <form onSubmit={(e) => void submit(e)} aria-busy={busy}>
        <div className="row">
          <StatusSelect id="bulk-status" label={t("bulk.status")} value={status} onChange={setStatus} first={noChange} only={["open", "pending", "hold", "solved"]} />
          <PrioritySelect id="bulk-priority" label={t("bulk.priority")} value={priority} onChange={setPriority} first={[...noChange, { value: "none", label: t("priority.none") }]} />
          <AssigneeSelect id="bulk-assignee" label={t("bulk.assignee")} value={assignee} onChange={setAssignee} pickers={props.pickers} first={[...noChange, { value: "none", label: t("ticket.unassigned") }]} />
          <GroupSelect id="bulk-group" label={t("bulk.group")} value={group} onChange={setGroup} pickers={props.pickers} first={[...noChange, { value: "none", label: t("props.noGroup") }]} />
          <Field id="bulk-add-tags" label={t("bulk.addTags")} help={t("new.tagsHelp")}>
            <input value={addTags} onChange={(e) => setAddTags(e.target.value)} autoComplete="off" spellCheck={false} />
          </Field>
          <Field id="bulk-remove-tags" label={t("bulk.removeTags")}>
            <input value={removeTags} onChange={(e) => setRemoveTags(e.target.value)} autoComplete="off" spellCheck={false} />
          </Field>
        </div>
        <ErrorText text={error} />
        <button type="submit" disabled={busy}>
          {busy ? t("bulk.working") : t("bulk.submit", { count: props.ids.length })}
        </button>
      </form>
      <div role="status" className="bulk-progress">
        {progress ? (
          <>
            <progress value={progress.done} max={progress.total} aria-label={t("bulk.progressLabel")} />
            <span>{t("bulk.progress", { done: progress.done, count: progress.total })}</span>
          </>
        ) : null}
      </div>
      {progress && cancellable ? (
        <button type="button" className="secondary" disabled={cancelling} onClick={() => void cancel(cancellable)}>
          {t("bulk.cancel")}
        </button>
      ) : null}
    </section>
  );
}

/** What a bulk update did: how many tickets changed, and each one that did not, with the reason. */
export function BulkResult(props: { outcome: Outcome }) {
  const { updated, failed, cancelled } = props.outcome;
  const summary = cancelled
    ? t("bulk.cancelled", { count: updated, left: cancelled.left })
    : failed.length
      ? t("bulk.partly", { count: updated, failed: failed.length })
      : t("bulk.done", { count: updated });
  return (
    <div className={failed.length || cancelled ? "bulk-result partial" : "bulk-result"} role="status">
      <p>{summary}</p>
      {failed.length ? (
        <ul className="bulk-failures" aria-label={t("bulk.failures")}>
          {failed.map((f) => (
            <li key={f.id}>{t("bulk.failure", { id: f.id, reason: f.reason })}</li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
