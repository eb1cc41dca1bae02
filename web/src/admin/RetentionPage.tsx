import { useState, type FormEvent } from "react";
import { client, explain, ok } from "../api.ts";
import type { Answer, User } from "../api-schema.ts";
import { ErrorText, Field, StatusText } from "../components/Field.tsx";
import { Loadable, useApi, useSetData } from "../data.tsx";
import { formatDate, t } from "../i18n/index.ts";
import { Link, PageHeading, useLocation } from "../router.tsx";
import { usersById } from "./admin-api.ts";
import { ExportsSection } from "./ExportsSection.tsx";
import { ListTable } from "./ListTable.tsx";
import { Pager } from "./Pager.tsx";

type Policy = Answer<"showRetentionPolicy">["retention_policy"];
type Preview = Answer<"previewRetentionPolicy">;
type LegalHold = Answer<"listLegalHolds">["legal_holds"][number];
type TargetType = LegalHold["target_type"];

const POLICY_KEY = ["retention_policy"];
const HOLDS_PAGE = 25;
const TARGET_TYPES: readonly TargetType[] = ["ticket", "user", "organization"];
const isTargetType = (s: string): s is TargetType => (TARGET_TYPES as readonly string[]).includes(s);

/** Tags as typed (spaces or commas between them), without blanks or repeats. */
const tagsOf = (text: string): string[] => [...new Set(text.split(/[\s,]+/).filter(Boolean))];

/**
 * `/admin/retention`: the retention policy (old solved tickets move to Deleted tickets every hour,
 * and how long the trash keeps them), with a dry run of the form's values before saving; and the
 * legal holds, which keep a ticket, a person's requests or an organization's tickets from being
 * deleted permanently until released. Admins only; the server checks and audits every change.
 */
export function RetentionPage() {
  const policy = useApi(POLICY_KEY, async (signal) => (await ok(client.GET("/api/v2/retention_policy", { signal }))).retention_policy);
  return (
    <main id="main" className="main">
      <PageHeading>{t("retention.title")}</PageHeading>
      <p className="muted">{t("retention.intro")}</p>
      <section aria-labelledby="retention-policy-heading">
        <h2 id="retention-policy-heading">{t("retention.policy")}</h2>
        <Loadable state={policy}>{(p) => <PolicyForm policy={p} />}</Loadable>
      </section>
      <LegalHolds />
      <ExportsSection />
    </main>
  );
}

function PolicyForm(props: { policy: Policy }) {
  const p = props.policy;
  const setData = useSetData();
  const [enabled, setEnabled] = useState(p.enabled);
  const [solvedDays, setSolvedDays] = useState(String(p.solved_days));
  const [tags, setTags] = useState(p.excluded_tags.join(" "));
  const [trashDays, setTrashDays] = useState(String(p.trash_days));
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [previewing, setPreviewing] = useState(false);

  async function save(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setStatus(null);
    try {
      const r = (await ok(client.PUT("/api/v2/retention_policy", { body: { retention_policy: { enabled, solved_days: Number(solvedDays), excluded_tags: tagsOf(tags), trash_days: Number(trashDays) } } }))).retention_policy;
      setData(POLICY_KEY, r);
      setTags(r.excluded_tags.join(" "));
      setStatus(t("admin.saved"));
    } catch (err) {
      setError(explain(err));
    } finally {
      setBusy(false);
    }
  }

  async function dryRun() {
    setPreviewing(true);
    setError(null);
    setStatus(null);
    try {
      // Always sent, empty too: an absent `excluded_tags` would preview the saved policy's tags instead of the form's.
      const excluded = tagsOf(tags);
      setPreview(await ok(client.GET("/api/v2/retention_policy/preview", { params: { query: { solved_days: Number(solvedDays), excluded_tags: excluded.join(",") } } })));
    } catch (err) {
      setPreview(null);
      setError(explain(err));
    } finally {
      setPreviewing(false);
    }
  }

  return (
    <form className="form" onSubmit={(e) => void save(e)} aria-busy={busy}>
      <p className="muted">{p.last_run_at ? t("retention.lastRun", { when: formatDate(p.last_run_at) }) : t("retention.neverRun")}</p>
      <label className="check">
        <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} /> {t("retention.enabled")}
      </label>
      <div className="row">
        <Field id="retention-solved-days" label={t("retention.solvedDays")} help={t("retention.solvedDaysHelp")}>
          <input type="number" min={1} max={36500} required value={solvedDays} onChange={(e) => setSolvedDays(e.target.value)} />
        </Field>
        <Field id="retention-trash-days" label={t("retention.trashDays")} help={t("retention.trashDaysHelp")}>
          <input type="number" min={1} max={365} required value={trashDays} onChange={(e) => setTrashDays(e.target.value)} />
        </Field>
      </div>
      <Field id="retention-tags" label={t("retention.excludedTags")} help={t("retention.excludedTagsHelp")}>
        <input type="text" spellCheck={false} value={tags} onChange={(e) => setTags(e.target.value)} />
      </Field>
      <ErrorText text={error} />
      <StatusText text={status} />
      <p className="actions">
        <button type="submit" disabled={busy}>
          {t("admin.save")}
        </button>
        <button type="button" className="secondary" disabled={previewing} onClick={() => void dryRun()}>
          {previewing ? t("retention.previewing") : t("retention.preview")}
        </button>
      </p>
      <div aria-live="polite">{preview ? <PreviewResult preview={preview} /> : null}</div>
    </form>
  );
}

function PreviewResult(props: { preview: Preview }) {
  const { preview } = props;
  const date = formatDate(preview.solved_before);
  const shown = preview.count_capped ? `${preview.count.toLocaleString()}+` : preview.count.toLocaleString();
  return (
    <section className="panel" aria-labelledby="retention-preview-heading">
      <h3 id="retention-preview-heading">{t("retention.previewHeading")}</h3>
      <p>{preview.count === 0 ? t("retention.previewNone", { date }) : t("retention.previewCount", { count: preview.count, shown, date })}</p>
      <p className="help">{t("retention.previewNote")}</p>
      {preview.tickets.length > 0 ? (
        <table className="admin">
          <caption>{t("retention.previewFirst")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("retention.id")}</th>
              <th scope="col">{t("trash.subject")}</th>
              <th scope="col">{t("retention.status")}</th>
              <th scope="col">{t("retention.solvedAt")}</th>
              <th scope="col">{t("retention.tags")}</th>
            </tr>
          </thead>
          <tbody>
            {preview.tickets.map((tk) => (
              <tr key={tk.id}>
                <td data-label={t("retention.id")}>
                  <a href={`/agent/tickets/${tk.id}`}>#{tk.id}</a>
                </td>
                <td data-label={t("trash.subject")} className="primary">
                  {tk.subject}
                </td>
                <td data-label={t("retention.status")}>{tk.status}</td>
                <td data-label={t("retention.solvedAt")}>
                  <time dateTime={tk.solved_at}>{formatDate(tk.solved_at)}</time>
                </td>
                <td data-label={t("retention.tags")}>{tk.tags.join(", ") || "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

const targetName = (h: Pick<LegalHold, "target_type" | "target_id">) => (h.target_id === null ? t("holds.gone", { type: t(`holds.type.${h.target_type}`) }) : t("holds.targetLabel", { type: t(`holds.type.${h.target_type}`), id: h.target_id }));

/** The held thing, linked to its page: a ticket in the workspace, a person or an organization here. */
function TargetLink(props: { hold: LegalHold }) {
  const h = props.hold;
  const name = targetName(h);
  if (h.target_id === null) return <>{name}</>;
  if (h.target_type === "ticket") return <a href={`/agent/tickets/${h.target_id}`}>{name}</a>;
  return <Link to={`/admin/${h.target_type === "user" ? "people" : "organizations"}/${h.target_id}`}>{name}</Link>;
}

function LegalHolds() {
  const { query } = useLocation();
  const all = query.get("holds") === "all";
  const page = Math.max(1, Number(query.get("page")) || 1);
  const holds = useApi(["legal_holds", all, page], async (signal) => {
    const r = await ok(client.GET("/api/v2/legal_holds", { signal, params: { query: { page, per_page: HOLDS_PAGE, ...(all ? {} : { active: "true" as const }) } } }));
    const users = await usersById(r.legal_holds.flatMap((h) => [h.created_by_id ?? 0, h.released_by_id ?? 0]), signal).catch(() => new Map<number, User>());
    return { holds: r.legal_holds, count: r.count ?? r.legal_holds.length, users };
  });
  const [type, setType] = useState<TargetType>("ticket");
  const [targetId, setTargetId] = useState("");
  const [reason, setReason] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  /** The hold waiting for the release confirmation. */
  const [releasing, setReleasing] = useState<LegalHold | null>(null);

  async function place(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setStatus(null);
    try {
      const r = (await ok(client.POST("/api/v2/legal_holds", { body: { legal_hold: { target_type: type, target_id: Number(targetId), reason } } }))).legal_hold;
      setStatus(t("holds.placed", { target: targetName(r) }));
      setTargetId("");
      setReason("");
      await holds.reload();
    } catch (err) {
      setError(explain(err));
    } finally {
      setBusy(false);
    }
  }

  async function release(h: LegalHold) {
    setBusy(true);
    setError(null);
    setStatus(null);
    try {
      await ok(client.PUT("/api/v2/legal_holds/{id}/release", { params: { path: { id: h.id } } }));
      setReleasing(null);
      setStatus(t("holds.releasedOk", { target: targetName(h) }));
      await holds.reload();
    } catch (err) {
      setReleasing(null);
      setError(explain(err));
    } finally {
      setBusy(false);
    }
  }

  const by = (when: string, id: number | null) => {
    const name = id === null ? null : (holds.data?.users.get(id)?.name ?? t("holds.someone", { id }));
    return name ? t("holds.by", { when: formatDate(when), name }) : formatDate(when);
  };
  const pages = holds.data ? Math.max(1, Math.ceil(holds.data.count / HOLDS_PAGE)) : 1;
  return (
    <section aria-labelledby="holds-heading">
      <h2 id="holds-heading">{t("holds.title")}</h2>
      <p className="muted">{t("holds.intro")}</p>
      <form className="form" onSubmit={(e) => void place(e)} aria-busy={busy} aria-labelledby="holds-place-heading">
        <h3 id="holds-place-heading">{t("holds.place")}</h3>
        <div className="row">
          <Field id="hold-type" label={t("holds.targetType")}>
            <select value={type} onChange={(e) => isTargetType(e.target.value) && setType(e.target.value)}>
              {TARGET_TYPES.map((tt) => (
                <option key={tt} value={tt}>
                  {t(`holds.type.${tt}`)}
                </option>
              ))}
            </select>
          </Field>
          <Field id="hold-target" label={t("holds.targetId")} help={t("holds.targetIdHelp")}>
            <input type="number" min={1} required value={targetId} onChange={(e) => setTargetId(e.target.value)} />
          </Field>
        </div>
        <Field id="hold-reason" label={t("holds.reason")} help={t("holds.reasonHelp")}>
          <input type="text" required maxLength={500} value={reason} onChange={(e) => setReason(e.target.value)} />
        </Field>
        <p className="actions">
          <button type="submit" disabled={busy}>
            {t("holds.placeButton")}
          </button>
        </p>
      </form>
      <ErrorText text={error} />
      <StatusText text={status} />
      {releasing ? (
        <div className="panel" role="alertdialog" aria-labelledby="hold-release-text">
          <p id="hold-release-text">{t("holds.releaseConfirm", { target: targetName(releasing) })}</p>
          <p className="actions">
            <button type="button" className="danger" disabled={busy} onClick={() => void release(releasing)}>
              {t("holds.releaseYes")}
            </button>
            <button type="button" className="secondary" disabled={busy} onClick={() => setReleasing(null)} autoFocus>
              {t("holds.releaseNo")}
            </button>
          </p>
        </div>
      ) : null}
      <nav className="sort-switch" aria-label={t("holds.show")}>
        <span aria-hidden="true">{t("holds.show")}:</span>
        <ul>
          <li>
            <Link to="/admin/retention" aria-current={all ? undefined : "true"}>
              {t("holds.active")}
            </Link>
          </li>
          <li>
            <Link to="/admin/retention?holds=all" aria-current={all ? "true" : undefined}>
              {t("holds.all")}
            </Link>
          </li>
        </ul>
      </nav>
      <ListTable
        state={holds}
        rows={(d) => d.holds}
        rowKey={(h) => h.id}
        caption={t("holds.caption")}
        empty={all ? t("holds.empty") : t("holds.emptyActive")}
        columns={[
          { label: t("holds.target"), primary: true, cell: (h) => <TargetLink hold={h} /> },
          { label: t("holds.reason"), cell: (h) => h.reason },
          { label: t("holds.created"), cell: (h) => by(h.created_at, h.created_by_id) },
          { label: t("holds.released"), cell: (h) => (h.released_at ? by(h.released_at, h.released_by_id) : t("holds.notReleased")) },
        ]}
        actions={(h) =>
          h.active ? (
            <button type="button" className="secondary" disabled={busy} aria-label={t("holds.releaseFor", { target: targetName(h) })} onClick={() => setReleasing(h)}>
              {t("holds.release")}
            </button>
          ) : null
        }
      />
      <Pager base={all ? "/admin/retention?holds=all&" : "/admin/retention?"} page={page} pages={pages} />
    </section>
  );
}
