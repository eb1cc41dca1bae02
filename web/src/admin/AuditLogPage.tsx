import { useState, type ChangeEvent, type FormEvent } from "react";
import { ApiError, client, explain, ok } from "../api.ts";
import type { AuditCheckpoint, AuditCheckpointCheck, AuditEntry, User } from "../api-schema.ts";
import { Field } from "../components/Field.tsx";
import { Loadable, useApi } from "../data.tsx";
import { formatDate, t, type MessageKey } from "../i18n/index.ts";
import { navigate, PageHeading, useLocation } from "../router.tsx";
import { staff, usersById } from "./admin-api.ts";
import { Pager } from "./Pager.tsx";

const PER_PAGE = 25;
const FILTER_KEYS = ["actor", "action", "type", "id", "from", "to"] as const;
type Filters = Record<(typeof FILTER_KEYS)[number], string>;

/** The verification in words: every entry verifies, or which entry broke the chain. */
function VerificationPanel() {
  const state = useApi(["audit", "verification"], async (signal) => (await ok(client.GET("/api/v2/audit_logs/verification", { signal }))).verification);
  const v = state.data;
  const error = state.error ? explain(state.error) : null;
  let text: string;
  let cls = "verification";
  if (error) {
    text = error;
    cls += " bad";
  } else if (!v) text = t("admin.audit.verifying");
  else if (v.verified) {
    text = t("admin.audit.verified", { count: v.entries_checked });
    cls += " good";
  } else {
    text = v.reason === "entry missing" ? t("admin.audit.missing", { id: v.first_broken_id ?? 0 }) : t("admin.audit.altered", { id: v.first_broken_id ?? 0 });
    cls += " bad";
  }
  return (
    <section className={cls} aria-labelledby="verification-heading">
      <h2 id="verification-heading">{t("admin.audit.chain")}</h2>
      <p role="status">{text}</p>
    </section>
  );
}

/** The most checkpoints one check sends (the API's limit), and the largest file read for them. */
const MAX_CHECKPOINTS = 100;
const MAX_CHECKPOINT_FILE_BYTES = 256 * 1024;

const CHECK_TEXT: Record<AuditCheckpointCheck["result"], MessageKey> = {
  matches: "admin.audit.check.matches",
  archived: "admin.audit.check.archived",
  differs: "admin.audit.check.differs",
  missing: "admin.audit.check.missing",
  unsigned: "admin.audit.check.unsigned",
  other_tenant: "admin.audit.check.otherTenant",
};

/**
 * Signed checkpoints (docs/api.md, Audit checkpoints): one downloaded as a file of one JSON line
 * to keep outside Vaultdesk, and saved ones checked against the chain as stored now.
 */
function CheckpointsPanel() {
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [checks, setChecks] = useState<AuditCheckpointCheck[] | null>(null);

  async function download() {
    setBusy(true);
    setError(null);
    setSaved(null);
    try {
      const c: AuditCheckpoint = (await ok(client.GET("/api/v2/audit_logs/checkpoint"))).checkpoint;
      const url = URL.createObjectURL(new Blob([`${JSON.stringify(c)}\n`], { type: "application/x-ndjson" }));
      const link = document.createElement("a");
      link.href = url;
      link.download = `audit-checkpoint-${c.tenant}-${c.seq}.jsonl`;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      setSaved(t("admin.audit.checkpointSaved", { id: c.seq }));
    } catch (err) {
      setError(explain(err));
    } finally {
      setBusy(false);
    }
  }

  async function check(e: ChangeEvent<HTMLInputElement>) {
    const files = [...(e.target.files ?? [])];
    e.target.value = "";
    if (files.length === 0) return;
    setError(null);
    setChecks(null);
    if (files.some((f) => f.size > MAX_CHECKPOINT_FILE_BYTES)) return setError(t("admin.audit.checkUnreadable"));
    const lines = (await Promise.all(files.map((f) => f.text()))).flatMap((text) => text.split(/\r?\n/)).map((l) => l.trim()).filter(Boolean);
    let checkpoints: AuditCheckpoint[];
    try {
      // The server validates every field; here only that each line is JSON.
      checkpoints = lines.map((l) => JSON.parse(l) as AuditCheckpoint);
    } catch {
      return setError(t("admin.audit.checkUnreadable"));
    }
    if (checkpoints.length === 0) return setError(t("admin.audit.checkUnreadable"));
    if (checkpoints.length > MAX_CHECKPOINTS) return setError(t("admin.audit.checkTooMany", { max: MAX_CHECKPOINTS }));
    setBusy(true);
    try {
      setChecks((await ok(client.POST("/api/v2/audit_logs/checkpoints/check", { body: { checkpoints } }))).checks);
    } catch (err) {
      setError(err instanceof ApiError && err.status === 422 ? t("admin.audit.checkUnreadable") : explain(err));
    } finally {
      setBusy(false);
    }
  }

  const failed = checks?.some((c) => c.result !== "matches" && c.result !== "archived") ?? false;
  return (
    <section className="checkpoints" aria-labelledby="checkpoints-heading">
      <h2 id="checkpoints-heading">{t("admin.audit.checkpoints")}</h2>
      <p>{t("admin.audit.checkpointsIntro")}</p>
      <div className="actions">
        <button type="button" onClick={() => void download()} disabled={busy}>
          {t("admin.audit.downloadCheckpoint")}
        </button>
      </div>
      {saved ? <p role="status">{saved}</p> : null}
      <Field id="audit-checkpoint-file" label={t("admin.audit.checkFile")} help={t("admin.audit.checkFileHelp")}>
        <input type="file" accept=".jsonl,.json,application/json,application/x-ndjson" multiple disabled={busy} onChange={(e) => void check(e)} />
      </Field>
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
      {checks ? (
        <div className={failed ? "verification bad" : "verification good"}>
          <ul aria-label={t("admin.audit.checkResults")}>
            {checks.map((c, i) => (
              <li key={i} className={c.result === "matches" || c.result === "archived" ? undefined : "bad"}>
                {t(CHECK_TEXT[c.result], { id: c.seq, when: formatDate(c.at) })}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </section>
  );
}

/** `/admin/audit`: the audit log with filters (actor, action, resource, dates) and paging. */
export function AuditLogPage() {
  const { query } = useLocation();
  const applied = Object.fromEntries(FILTER_KEYS.map((k) => [k, query.get(k) ?? ""])) as Filters;
  const page = Math.max(1, Number(query.get("page")) || 1);
  const [form, setForm] = useState<Filters>(applied);
  const people = useApi(["staff"], (signal) => staff(signal), { staleTime: 60_000 }).data ?? [];
  const key = query.toString();
  const log = useApi(["audit", key], async (signal): Promise<{ entries: AuditEntry[]; count: number; names: Map<number, User> }> => {
    const filter: { actor_id?: number; action?: string; source_type?: string; source_id?: string } = {};
    let createdAt: string[] | undefined;
    if (applied.actor) filter.actor_id = Number(applied.actor);
    if (applied.action) filter.action = applied.action.trim();
    if (applied.type) filter.source_type = applied.type.trim();
    if (applied.id) filter.source_id = applied.id.trim();
    if (applied.from || applied.to) {
      createdAt = [
        applied.from ? new Date(`${applied.from}T00:00:00`).toISOString() : "1970-01-01T00:00:00Z",
        applied.to ? new Date(new Date(`${applied.to}T00:00:00`).getTime() + 86_400_000).toISOString() : "9999-12-31T00:00:00Z",
      ];
    }
    const r = await ok(client.GET("/api/v2/audit_logs", { params: { query: { per_page: PER_PAGE, page, filter, ...(createdAt ? { "filter[created_at][]": createdAt } : {}) } }, signal }));
    const names = await usersById(r.audit_logs.flatMap((e) => (e.actor_id ? [e.actor_id] : [])), signal).catch(() => new Map<number, User>());
    return { entries: r.audit_logs, count: r.count ?? r.audit_logs.length, names };
  });
  const data = log.data;

  function apply(e: FormEvent) {
    e.preventDefault();
    const q = new URLSearchParams();
    for (const k of FILTER_KEYS) if (form[k].trim()) q.set(k, form[k].trim());
    navigate(`/admin/audit${q.toString() ? `?${q.toString()}` : ""}`);
  }
  const set = (k: keyof Filters) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [k]: e.target.value }));
  const actorName = (e: AuditEntry) =>
    e.actor_id ? (data?.names.get(e.actor_id)?.name ?? t("ticket.unknownUser", { id: e.actor_id })) : t(e.actor_type === "operator" ? "admin.audit.operator" : e.actor_type === "setup" ? "admin.audit.setup" : "admin.audit.anonymous");
  const pages = data ? Math.max(1, Math.ceil(data.count / PER_PAGE)) : 1;
  const base = `/admin/audit?${FILTER_KEYS.filter((k) => applied[k]).map((k) => `${k}=${encodeURIComponent(applied[k])}&`).join("")}`;

  return (
    <main id="main" className="main">
      <PageHeading>{t("admin.audit.title")}</PageHeading>
      <VerificationPanel />
      <CheckpointsPanel />
      <form className="filters" onSubmit={apply} aria-label={t("admin.audit.filters")}>
        <Field id="audit-actor" label={t("admin.audit.actor")}>
          <select value={form.actor} onChange={set("actor")}>
            <option value="">{t("admin.audit.anyone")}</option>
            {people.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </Field>
        <Field id="audit-action" label={t("admin.audit.action")} help={t("admin.audit.actionHelp")}>
          <input value={form.action} onChange={set("action")} />
        </Field>
        <Field id="audit-type" label={t("admin.audit.resourceType")} help={t("admin.audit.resourceTypeHelp")}>
          <input value={form.type} onChange={set("type")} />
        </Field>
        <Field id="audit-id" label={t("admin.audit.resourceId")}>
          <input value={form.id} onChange={set("id")} />
        </Field>
        <Field id="audit-from" label={t("admin.audit.from")}>
          <input type="date" value={form.from} onChange={set("from")} />
        </Field>
        <Field id="audit-to" label={t("admin.audit.to")}>
          <input type="date" value={form.to} onChange={set("to")} />
        </Field>
        <button type="submit">{t("admin.filter.apply")}</button>
      </form>
      <Loadable state={log}>{() => null}</Loadable>
      {data && data.entries.length === 0 ? <p className="empty">{t("admin.audit.empty")}</p> : null}
      {data && data.entries.length > 0 ? (
        <>
          <p className="summary">{t("admin.audit.count", { count: data.count })}</p>
          <table className="admin">
            <caption className="sr-only">{t("admin.audit.title")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("admin.audit.entry")}</th>
                <th scope="col">{t("admin.audit.when")}</th>
                <th scope="col">{t("admin.audit.actor")}</th>
                <th scope="col">{t("admin.audit.action")}</th>
                <th scope="col">{t("admin.audit.resource")}</th>
                <th scope="col">{t("admin.audit.fields")}</th>
              </tr>
            </thead>
            <tbody>
              {data.entries.map((e) => (
                <tr key={e.id}>
                  <td data-label={t("admin.audit.entry")}>#{e.id}</td>
                  <td data-label={t("admin.audit.when")}>
                    <time dateTime={e.created_at}>{formatDate(e.created_at)}</time>
                  </td>
                  <td data-label={t("admin.audit.actor")} className="actor">
                    {actorName(e)}
                  </td>
                  <td data-label={t("admin.audit.action")} className="primary">
                    <code>{e.action}</code>
                  </td>
                  <td data-label={t("admin.audit.resource")}>
                    {e.source_type} {e.source_id}
                  </td>
                  <td data-label={t("admin.audit.fields")}>{e.changed_fields.join(", ") || "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager base={base} page={page} pages={pages} />
        </>
      ) : null}
    </main>
  );
}
