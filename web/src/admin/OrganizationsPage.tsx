import { useEffect, useState, type FormEvent } from "react";
import { client, explain, ok } from "../api.ts";
import { nextCursor, type Abilities, type Organization, type User } from "../api-schema.ts";
import { ErrorText, Field, StatusText } from "../components/Field.tsx";
import { LoadError, Loadable, useApi, useApiPages, useSetData } from "../data.tsx";
import { formatDate, t } from "../i18n/index.ts";
import { Link, PageHeading, useLocation } from "../router.tsx";
import { Pager } from "./Pager.tsx";

const PER_PAGE = 25;

/** Zendesk's `organization.domain_names`: people whose e-mail address is at one of these domains join the organization. */
const domainsOf = (o: Organization): string[] => o.domain_names;
const MEMBERS_PAGE = 50;

/** Domain names typed one per line, or separated by spaces or commas. */
const parseDomains = (text: string) => [...new Set(text.split(/[\s,]+/).map((d) => d.trim().toLowerCase()).filter(Boolean))];

/** `/admin/organizations`: list and create organizations. */
export function OrganizationsPage() {
  const { query } = useLocation();
  const page = Math.max(1, Number(query.get("page")) || 1);
  const list = useApi(["organizations", page], async (signal) => {
    const r = await ok(client.GET("/api/v2/organizations", { params: { query: { per_page: PER_PAGE, page } }, signal }));
    return { organizations: r.organizations, count: r.count ?? r.organizations.length };
  });
  const data = list.data;
  const [name, setName] = useState("");
  const [notes, setNotes] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    try {
      const r = await ok(client.POST("/api/v2/organizations", { body: { organization: { name, ...(notes ? { notes } : {}) } } }));
      setStatus(t("admin.orgs.created", { name: r.organization.name }));
      setName("");
      setNotes("");
      await list.reload();
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
      <Loadable state={list}>{() => null}</Loadable>
      {data && data.organizations.length === 0 ? <p className="empty">{t("admin.orgs.empty")}</p> : null}
      {data && data.organizations.length > 0 ? (
        <>
          <table className="admin">
            <caption className="sr-only">{t("admin.orgs.title")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("admin.orgs.name")}</th>
                <th scope="col">{t("admin.orgs.domains")}</th>
                <th scope="col">{t("admin.orgs.createdAt")}</th>
              </tr>
            </thead>
            <tbody>
              {data.organizations.map((o) => (
                <tr key={o.id}>
                  <td data-label={t("admin.orgs.name")} className="primary">
                    <Link to={`/admin/organizations/${o.id}`}>{o.name}</Link>
                  </td>
                  <td data-label={t("admin.orgs.domains")}>{domainsOf(o).join(", ") || "—"}</td>
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

/**
 * `/admin/organizations/:id`: an organization's name, notes and domain names, and adding members.
 * What the person may change follows their abilities: sharing requests is the admins' decision,
 * and moving people in or out edits those people (end-user editing).
 */
export function OrganizationPage(props: { id: number; abilities: Abilities }) {
  const key = ["organization", props.id];
  const org = useApi(key, async (signal) => (await ok(client.GET("/api/v2/organizations/{id}", { params: { path: { id: props.id } }, signal }))).organization);
  return (
    <main id="main" className="main">
      <p className="back">
        <Link to="/admin/organizations">{t("admin.orgs.back")}</Link>
      </p>
      <Loadable state={org}>
        {(o) => (
          <>
            <PageHeading>{o.name}</PageHeading>
            <OrganizationForm queryKey={key} org={o} mayShare={props.abilities.can_share_organization_requests} />
            <Members org={o} mayEdit={props.abilities.can_edit_end_users} mayOpenPeople={props.abilities.can_manage_admin} />
          </>
        )}
      </Loadable>
    </main>
  );
}

function OrganizationForm(props: { queryKey: unknown[]; org: Organization; mayShare: boolean }) {
  const { org } = props;
  const setData = useSetData();
  const [name, setName] = useState(org.name);
  const [notes, setNotes] = useState(org.notes ?? "");
  const [domains, setDomains] = useState(domainsOf(org).join("\n"));
  const [shared, setShared] = useState(org.shared_tickets);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setStatus(null);
    try {
      const r = await ok(client.PUT("/api/v2/organizations/{id}", { params: { path: { id: org.id } }, body: { organization: { name, notes, domain_names: parseDomains(domains), ...(shared !== org.shared_tickets ? { shared_tickets: shared } : {}) } } }));
      setData(props.queryKey, r.organization);
      setStatus(t("admin.saved"));
    } catch (err) {
      setError(explain(err));
    }
  }
  return (
    <form className="form" onSubmit={submit}>
      <Field id="org-edit-name" label={t("admin.orgs.name")}>
        <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={255} />
      </Field>
      <Field id="org-edit-notes" label={t("admin.orgs.notes")}>
        <textarea rows={4} value={notes} onChange={(e) => setNotes(e.target.value)} />
      </Field>
      {props.mayShare ? (
        <>
          <label className="check">
            <input type="checkbox" checked={shared} onChange={(e) => setShared(e.target.checked)} /> {t("admin.orgs.shared")}
          </label>
          <p className="muted">{t("admin.orgs.sharedHelp")}</p>
        </>
      ) : (
        <p className="muted">{t(org.shared_tickets ? "admin.orgs.sharedOn" : "admin.orgs.sharedOff")}</p>
      )}
      <Field id="org-edit-domains" label={t("admin.orgs.domains")} help={t("admin.orgs.domainsHelp")}>
        <textarea rows={3} value={domains} onChange={(e) => setDomains(e.target.value)} spellCheck={false} autoComplete="off" />
      </Field>
      <ErrorText text={error} />
      <StatusText text={status} />
      <button type="submit">{t("admin.save")}</button>
    </form>
  );
}

/** How long the member picker waits after the last key before it suggests people (type-ahead). */
const TYPE_AHEAD_MS = 300;
const SUGGESTIONS = 8;

/**
 * The organization's members, a page at a time (cursor pages of GET /organizations/{id}/users),
 * each with a way out; and adding a person: by their exact e-mail address, or by picking one of
 * the people whose name or address starts with what was typed (users/search, the name index). A
 * person belongs to one organization: adding moves them from the one they were in.
 */
function Members(props: { org: Organization; mayEdit: boolean; mayOpenPeople: boolean }) {
  const members = useApiPages(
    ["organization", props.org.id, "members"],
    async (cursor, signal) => {
      const r = await ok(
        client.GET("/api/v2/organizations/{id}/users", {
          params: { path: { id: props.org.id }, query: { page: cursor ? { size: MEMBERS_PAGE, after: cursor } : { size: MEMBERS_PAGE } } },
          signal,
        }),
      );
      return { users: r.users, next: nextCursor(r) };
    },
    (page) => page.next,
  );
  const [email, setEmail] = useState("");
  const [suggestions, setSuggestions] = useState<User[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const list = (members.data ?? []).flatMap((p) => p.users);

  async function run(call: () => Promise<string | null>) {
    setError(null);
    setStatus(null);
    setBusy(true);
    try {
      const done = await call();
      if (done) setStatus(done);
      await members.reload();
    } catch (err) {
      setError(explain(err));
    } finally {
      setBusy(false);
    }
  }
  useEffect(() => {
    const term = email.trim();
    if (!props.mayEdit || term === "") {
      setSuggestions([]);
      return undefined;
    }
    const ctl = new AbortController();
    const timer = window.setTimeout(() => {
      ok(client.GET("/api/v2/users/search", { params: { query: { query: term, per_page: SUGGESTIONS } }, signal: ctl.signal }))
        .then((r) => setSuggestions(r.users.filter((u) => u.organization_id !== props.org.id)))
        .catch(() => setSuggestions([]));
    }, TYPE_AHEAD_MS);
    return () => {
      window.clearTimeout(timer);
      ctl.abort();
    };
  }, [email, props.mayEdit, props.org.id]);
  const join = (u: User) =>
    void run(async () => {
      await ok(client.PUT("/api/v2/users/{id}", { params: { path: { id: u.id } }, body: { user: { organization_id: props.org.id } } }));
      setEmail("");
      return t("admin.orgs.memberAdded", { name: u.name, org: props.org.name });
    });
  const add = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const found = (await ok(client.GET("/api/v2/users/search", { params: { query: { email: email.trim() } } }))).users[0];
      if (!found) {
        setError(t("admin.orgs.noSuchPerson", { email: email.trim() }));
        return null;
      }
      await ok(client.PUT("/api/v2/users/{id}", { params: { path: { id: found.id } }, body: { user: { organization_id: props.org.id } } }));
      setEmail("");
      return t("admin.orgs.memberAdded", { name: found.name, org: props.org.name });
    });
  };
  const remove = (u: User) =>
    void run(async () => {
      await ok(client.PUT("/api/v2/users/{id}", { params: { path: { id: u.id } }, body: { user: { organization_id: null } } }));
      return t("admin.orgs.memberRemoved", { name: u.name, org: props.org.name });
    });

  return (
    <section className="panel" aria-labelledby="org-members-heading">
      <h2 id="org-members-heading">{t("admin.orgs.members")}</h2>
      <p className="muted">{t("admin.orgs.membersIntro")}</p>
      {members.error ? <LoadError error={members.error} retry={() => void members.reload()} busy={members.loading} /> : null}
      {members.data && list.length === 0 ? <p>{t("admin.orgs.noMembers")}</p> : null}
      {!members.data && !members.error ? <p role="status">{t("app.loading")}</p> : null}
      {list.length ? (
        <ul className="plain-list" aria-label={t("admin.orgs.members")}>
          {list.map((u) => (
            <li key={u.id} className="member">
              {props.mayOpenPeople ? <Link to={`/admin/people/${u.id}`}>{u.name}</Link> : <span>{u.name}</span>} <span className="muted">{u.email ?? ""}</span>
              {props.mayEdit ? (
                <button type="button" className="small" disabled={busy} aria-label={t("admin.orgs.removeMember", { name: u.name })} onClick={() => remove(u)}>
                  {t("admin.groups.remove")}
                </button>
              ) : null}
            </li>
          ))}
        </ul>
      ) : null}
      {members.hasMore ? (
        <p>
          <button type="button" className="secondary" disabled={members.loadingMore} onClick={() => void members.loadMore()}>
            {t("admin.orgs.moreMembers")}
          </button>
        </p>
      ) : null}
      {props.mayEdit ? (
        <form className="form inline-form" onSubmit={add} aria-busy={busy}>
          <Field id="org-add-member" label={t("admin.orgs.addMember")} help={t("admin.orgs.addMemberHelp")}>
            <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} required maxLength={254} autoComplete="off" />
          </Field>
          <button type="submit" disabled={busy}>
            {t("admin.orgs.add")}
          </button>
        </form>
      ) : null}
      {props.mayEdit && suggestions.length ? (
        <ul className="plain-list" aria-label={t("admin.orgs.suggestions")}>
          {suggestions.map((u) => (
            <li key={u.id} className="member">
              <button type="button" className="small secondary" disabled={busy} onClick={() => join(u)}>
                {t("admin.orgs.pick", { name: u.name })}
              </button>{" "}
              <span className="muted">{u.email ?? ""}</span>
            </li>
          ))}
        </ul>
      ) : null}
      <ErrorText text={error} />
      <StatusText text={status} />
    </section>
  );
}
