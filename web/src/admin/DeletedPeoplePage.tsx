import { useState } from "react";
import { client, ok } from "../api.ts";
import type { Answer, User } from "../api-schema.ts";
import { StatusText } from "../components/Field.tsx";
import { useApi } from "../data.tsx";
import { formatDate, t } from "../i18n/index.ts";
import { Link, PageHeading, useLocation } from "../router.tsx";
import { usersById } from "./admin-api.ts";
import { ListTable } from "./ListTable.tsx";
import { Pager } from "./Pager.tsx";
import { useFailure } from "../components/SignInAgain.tsx";

type DeletedUser = Answer<"listDeletedUsers">["deleted_users"][number];
type Preview = Answer<"previewUserErasure">["erasure_preview"];
type Receipt = Answer<"listErasureReceipts">["erasure_receipts"][number];

const PAGE = 25;

/**
 * `/admin/deleted-people`: people deleted from the People page, restorable for 30 days, then erased
 * by the upkeep; erasing one now ("Erase permanently") first shows what goes, what stays, the legal
 * holds in the way and other tickets mentioning them (to redact), then asks for confirmation. The
 * receipts of past erasures follow. Admins only; the server checks and audits everything.
 */
export function DeletedPeoplePage() {
  const { query } = useLocation();
  const page = Math.max(1, Number(query.get("page")) || 1);
  const people = useApi(["deleted_users", page], async (signal) => {
    const r = await ok(client.GET("/api/v2/deleted_users", { signal, params: { query: { page, per_page: PAGE } } }));
    const users = await usersById(r.deleted_users.flatMap((u) => (u.deleted_by_id ? [u.deleted_by_id] : [])), signal).catch(() => new Map<number, User>());
    return { people: r.deleted_users, count: r.count ?? r.deleted_users.length, users };
  });
  const receipts = useApi(["erasure_receipts"], async (signal) => (await ok(client.GET("/api/v2/erasure_receipts", { signal, params: { query: { per_page: 100, sort_order: "desc" } } }))).erasure_receipts);
  const failure = useFailure();
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  /** The person whose erasure is being confirmed, with what it would do. */
  const [erasing, setErasing] = useState<{ person: DeletedUser; preview: Preview } | null>(null);

  async function run(fn: () => Promise<void>) {
    setBusy(true);
    failure.clear();
    setStatus(null);
    try {
      await fn();
    } catch (err) {
      failure.fail(err);
    } finally {
      setBusy(false);
    }
  }

  const restore = (p: DeletedUser) =>
    run(async () => {
      await ok(client.PUT("/api/v2/deleted_users/{id}/restore", { params: { path: { id: p.id } } }));
      setStatus(t("erasure.restored", { name: p.name }));
      await people.reload();
    });
  const preview = (p: DeletedUser) =>
    run(async () => {
      const r = (await ok(client.GET("/api/v2/deleted_users/{id}/erasure_preview", { params: { path: { id: p.id } } }))).erasure_preview;
      setErasing({ person: p, preview: r });
    });
  const erase = (p: DeletedUser) =>
    run(async () => {
      const r = (await ok(client.DELETE("/api/v2/deleted_users/{id}", { params: { path: { id: p.id } } }))).erasure_receipt;
      setErasing(null);
      setStatus(t("erasure.erased", { name: p.name, pseudonym: r.pseudonym }));
      await Promise.all([people.reload(), receipts.reload()]);
    });

  const deletedBy = (p: DeletedUser) => {
    const name = p.deleted_by_id === null ? null : (people.data?.users.get(p.deleted_by_id)?.name ?? t("holds.someone", { id: p.deleted_by_id }));
    return name ? t("holds.by", { when: formatDate(p.deleted_at), name }) : formatDate(p.deleted_at);
  };
  const pages = people.data ? Math.max(1, Math.ceil(people.data.count / PAGE)) : 1;
  return (
    <main id="main" className="main">
      <PageHeading>{t("erasure.title")}</PageHeading>
      <p className="muted">{t("erasure.intro")}</p>
      {failure.notice}
      <StatusText text={status} />
      {erasing ? <ErasurePanel person={erasing.person} preview={erasing.preview} busy={busy} onErase={() => void erase(erasing.person)} onCancel={() => setErasing(null)} /> : null}
      <ListTable
        state={people}
        rows={(d) => d.people}
        rowKey={(p) => p.id}
        caption={t("erasure.caption")}
        empty={t("erasure.empty")}
        columns={[
          { label: t("erasure.name"), primary: true, cell: (p) => p.name },
          { label: t("erasure.email"), cell: (p) => p.email ?? "—" },
          { label: t("erasure.deleted"), cell: deletedBy },
          { label: t("erasure.eraseAfter"), cell: (p) => <time dateTime={p.erase_after}>{formatDate(p.erase_after)}</time> },
        ]}
        actions={(p) => (
          <span className="actions">
            <button type="button" className="secondary" disabled={busy} aria-label={t("erasure.restoreFor", { name: p.name })} onClick={() => void restore(p)}>
              {t("erasure.restore")}
            </button>
            <button type="button" className="danger" disabled={busy} aria-label={t("erasure.eraseFor", { name: p.name })} onClick={() => void preview(p)}>
              {t("erasure.erase")}
            </button>
          </span>
        )}
      />
      <Pager base="/admin/deleted-people?" page={page} pages={pages} />
      <section aria-labelledby="receipts-heading">
        <h2 id="receipts-heading">{t("erasure.receipts")}</h2>
        <p className="muted">{t("erasure.receiptsIntro")}</p>
        <ListTable
          state={receipts}
          rows={(d) => d}
          rowKey={(r) => r.id}
          caption={t("erasure.receipts")}
          empty={t("erasure.noReceipts")}
          columns={[
            { label: t("erasure.person"), primary: true, cell: (r) => t("erasure.personLabel", { id: r.user_id, pseudonym: r.pseudonym }) },
            { label: t("erasure.erasedAt"), cell: (r) => <time dateTime={r.erased_at}>{formatDate(r.erased_at)}</time> },
            { label: t("erasure.cause"), cell: (r) => (r.cause === "expiry" ? t("erasure.causeExpiry") : t("erasure.causeRequest")) },
            { label: t("erasure.receipt"), cell: (r) => <ReceiptDetails receipt={r} /> },
          ]}
        />
      </section>
    </main>
  );
}

function ErasurePanel(props: { person: DeletedUser; preview: Preview; busy: boolean; onErase: () => void; onCancel: () => void }) {
  const { person, preview } = props;
  const held = preview.legal_hold_ids.length > 0;
  const rows = Object.entries(preview.rows_deleted).filter(([, n]) => n > 0);
  return (
    <div className="panel" role="alertdialog" aria-labelledby="erase-heading" aria-describedby="erase-what">
      <h2 id="erase-heading">{t("erasure.confirmHeading", { name: person.name })}</h2>
      <div id="erase-what">
        <p>{t("erasure.confirmText")}</p>
        <ul>
          <li>{t("erasure.ticketsDeleted", { count: preview.tickets_deleted.length })}</li>
          {preview.comments_erased > 0 ? <li>{t("erasure.commentsErased", { count: preview.comments_erased })}</li> : null}
          {rows.map(([kind, n]) => (
            <li key={kind}>{t("erasure.rows", { kind: kind.replace(/_/g, " "), count: n })}</li>
          ))}
        </ul>
        {held ? (
          <p className="error" role="alert">
            {t("erasure.held", { ids: preview.legal_hold_ids.join(", ") })} <Link to="/admin/retention">{t("erasure.holdsLink")}</Link>
          </p>
        ) : null}
        {preview.mentions.length > 0 ? (
          <>
            <p>{t("erasure.mentions", { count: preview.mentions.length })}</p>
            <ul>
              {preview.mentions.map((m) => (
                <li key={m.ticket_id}>
                  <a href={`/agent/tickets/${m.ticket_id}`}>#{m.ticket_id}</a> ({m.found_by.map((k) => t(`erasure.by.${k}`)).join(", ")})
                </li>
              ))}
            </ul>
          </>
        ) : (
          <p className="muted">{t("erasure.noMentions")}</p>
        )}
      </div>
      <p className="actions">
        <button type="button" className="danger" disabled={props.busy || held} onClick={props.onErase}>
          {t("erasure.confirmErase")}
        </button>
        <button type="button" className="secondary" disabled={props.busy} onClick={props.onCancel} autoFocus>
          {t("erasure.cancel")}
        </button>
      </p>
    </div>
  );
}

/** A receipt's contents, folded: counts deleted, what was kept and why, and its audit entry. */
function ReceiptDetails(props: { receipt: Receipt }) {
  const r = props.receipt;
  return (
    <details>
      <summary>{t("erasure.show")}</summary>
      <dl className="receipt">
        {Object.entries(r.deleted)
          .filter(([, v]) => v !== 0)
          .map(([k, v]) => (
          <div key={k}>
            <dt>{k.replace(/_/g, " ")}</dt>
            <dd>{Array.isArray(v) ? v.join(", ") : String(v)}</dd>
          </div>
        ))}
      </dl>
      <ul>
        {r.kept.map((k) => (
          <li key={k.what}>
            <strong>{k.what.replace(/_/g, " ")}</strong>: {k.detail} <em>{k.basis}</em>
          </li>
        ))}
      </ul>
      <p className="help">{r.audit_entry.seq === null ? t("erasure.auditPending", { id: r.audit_entry.id }) : t("erasure.audit", { seq: r.audit_entry.seq, hash: r.audit_entry.hash ?? "" })}</p>
    </details>
  );
}
