import { useCallback, useEffect, useState, type FormEvent } from "react";
import { api, explain } from "../api.ts";
import { ErrorText, Field, StatusText } from "../components/Field.tsx";
import { formatDate, t } from "../i18n/index.ts";
import { Link, PageHeading, useLocation } from "../router.tsx";
import type { Organization } from "./admin-api.ts";
import { Pager } from "./Pager.tsx";

const PER_PAGE = 25;

/** `/admin/organizations`: list and create organizations. */
export function OrganizationsPage() {
  const { query } = useLocation();
  const page = Math.max(1, Number(query.get("page")) || 1);
  const [data, setData] = useState<{ organizations: Organization[]; count: number } | null>(null);
  const [name, setName] = useState("");
  const [notes, setNotes] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const load = useCallback(() => {
    api<{ organizations: Organization[]; count: number }>("GET", `organizations.json?per_page=${PER_PAGE}&page=${page}`).then(setData, (err: unknown) => setError(explain(err)));
  }, [page]);
  useEffect(load, [load]);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    try {
      const r = await api<{ organization: Organization }>("POST", "organizations.json", { organization: { name, ...(notes ? { notes } : {}) } });
      setStatus(t("admin.orgs.created", { name: r.organization.name }));
      setName("");
      setNotes("");
      load();
    } catch (err) {
      setError(explain(err));
    }
  }
  const pages = data ? Math.max(1, Math.ceil(data.count / PER_PAGE)) : 1;
  return (
    <main id="main" className="main">
      <PageHeading>{t("admin.orgs.title")}</PageHeading>
      <form className="form" onSubmit={submit}>
        <h2>{t("admin.orgs.new")}</h2>
        <Field id="org-name" label={t("admin.orgs.name")}>
          <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={255} />
        </Field>
        <Field id="org-notes" label={t("admin.orgs.notes")}>
          <textarea rows={2} value={notes} onChange={(e) => setNotes(e.target.value)} />
        </Field>
        <button type="submit">{t("admin.orgs.create")}</button>
      </form>
      <ErrorText text={error} />
      <StatusText text={status} />
      {!data && !error ? <p role="status">{t("app.loading")}</p> : null}
      {data && data.organizations.length === 0 ? <p className="empty">{t("admin.orgs.empty")}</p> : null}
      {data && data.organizations.length > 0 ? (
        <>
          <table className="admin">
            <caption className="sr-only">{t("admin.orgs.title")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("admin.orgs.name")}</th>
                <th scope="col">{t("admin.orgs.createdAt")}</th>
              </tr>
            </thead>
            <tbody>
              {data.organizations.map((o) => (
                <tr key={o.id}>
                  <td data-label={t("admin.orgs.name")} className="primary">
                    <Link to={`/admin/organizations/${o.id}`}>{o.name}</Link>
                  </td>
                  <td data-label={t("admin.orgs.createdAt")}>
                    <time dateTime={o.created_at}>{formatDate(o.created_at)}</time>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager base="/admin/organizations?" page={page} pages={pages} />
        </>
      ) : null}
    </main>
  );
}

/** `/admin/organizations/:id`: edit an organization's name and notes. */
export function OrganizationPage(props: { id: number }) {
  const [org, setOrg] = useState<Organization | null>(null);
  const [name, setName] = useState("");
  const [notes, setNotes] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  useEffect(() => {
    api<{ organization: Organization }>("GET", `organizations/${props.id}.json`).then(
      (r) => {
        setOrg(r.organization);
        setName(r.organization.name);
        setNotes(r.organization.notes ?? "");
      },
      (err: unknown) => setError(explain(err)),
    );
  }, [props.id]);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setStatus(null);
    try {
      const r = await api<{ organization: Organization }>("PUT", `organizations/${props.id}.json`, { organization: { name, notes } });
      setOrg(r.organization);
      setStatus(t("admin.saved"));
    } catch (err) {
      setError(explain(err));
    }
  }
  if (!org)
    return (
      <main id="main" className="main">
        {error ? <ErrorText text={error} /> : <p role="status">{t("app.loading")}</p>}
      </main>
    );
  return (
    <main id="main" className="main">
      <p className="back">
        <Link to="/admin/organizations">{t("admin.orgs.back")}</Link>
      </p>
      <PageHeading>{org.name}</PageHeading>
      <form className="form" onSubmit={submit}>
        <Field id="org-edit-name" label={t("admin.orgs.name")}>
          <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={255} />
        </Field>
        <Field id="org-edit-notes" label={t("admin.orgs.notes")}>
          <textarea rows={4} value={notes} onChange={(e) => setNotes(e.target.value)} />
        </Field>
        <ErrorText text={error} />
        <StatusText text={status} />
        <button type="submit">{t("admin.save")}</button>
      </form>
    </main>
  );
}
