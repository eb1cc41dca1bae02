import { useEffect, useState, type FormEvent } from "react";
import { PersonPasskeys, PersonTwoFactor } from "./SecurityPage.tsx";
import { client, ok } from "../api.ts";
import type { Role, User } from "../api-schema.ts";
import { Field, StatusText } from "../components/Field.tsx";
import { Loadable, useApi, useSetData } from "../data.tsx";
import { formatDate, t } from "../i18n/index.ts";
import { Link, navigate, PageHeading, useLocation } from "../router.tsx";
import { peoplePage, ROLES, roleLabel, statusOf } from "./admin-api.ts";
import { Pager } from "./Pager.tsx";
import { EndUserPanels } from "./EndUserPanels.tsx";
import { SessionsList } from "../components/SessionsList.tsx";
import { RestrictionBanner } from "../components/RestrictionBanner.tsx";
import { useFailure } from "../components/SignInAgain.tsx";

const PER_PAGE = 25;
/** The list's role filter, in the API's terms (admin = owners and admins, agent = agents and light agents). */
const FILTERS = ["", "admin", "agent", "light-agent", "end-user"] as const;
type NewRole = "end-user" | "light-agent" | "agent" | "admin";

/** How long the search box waits after the last key before it searches (type-ahead). */
const TYPE_AHEAD_MS = 300;

/** The people list's address: its role filter, search words and page. */
function peopleUrl(role: string, q: string, page = 1): string {
  const u = new URLSearchParams();
  if (role) u.set("role", role);
  if (q) u.set("q", q);
  if (page > 1) u.set("page", String(page));
  return `/admin/people${u.toString() ? `?${u.toString()}` : ""}`;
}

/** `/admin/people`: everyone in the account, filtered by role, or found by the start of their name or e-mail address as one types. */
export function PeoplePage() {
  const { query } = useLocation();
  const role = FILTERS.find((f) => f === query.get("role")) ?? "";
  // `email` is the parameter's earlier name (bookmarks keep working).
  const q = (query.get("q") ?? query.get("email") ?? "").trim();
  const page = Math.max(1, Number(query.get("page")) || 1);
  const [roleInput, setRoleInput] = useState<string>(role);
  const [qInput, setQInput] = useState(q);
  useEffect(() => {
    const term = qInput.trim();
    if (term === q) return undefined;
    const timer = window.setTimeout(() => navigate(peopleUrl(role, term), { replace: true }), TYPE_AHEAD_MS);
    return () => window.clearTimeout(timer);
  }, [qInput, q, role]);
  const people = useApi(["people", role, q, page], async (signal): Promise<{ users: User[]; count: number }> => {
    if (q) {
      const r = await ok(client.GET("/api/v2/users/search", { params: { query: { query: q, page, per_page: PER_PAGE } }, signal }));
      return { users: r.users, count: r.count ?? r.users.length };
    }
    return peoplePage({ role, page, perPage: PER_PAGE }, signal);
  });
  const data = people.data;

  function apply(e: FormEvent) {
    e.preventDefault();
    navigate(peopleUrl(roleInput, qInput.trim()));
  }

  const pages = data ? Math.max(1, Math.ceil(data.count / PER_PAGE)) : 1;
  const base = `/admin/people?${role ? `role=${role}&` : ""}${q ? `q=${encodeURIComponent(q)}&` : ""}`;
  return (
    <main id="main" className="main">
      <PageHeading>{t("admin.people.title")}</PageHeading>
      <p className="actions">
        <Link to="/admin/people/new" className="button">
          {t("admin.people.add")}
        </Link>
        <Link to="/admin/invitations">{t("admin.people.inviteHint")}</Link>
      </p>
      <form className="filters" onSubmit={apply} aria-label={t("admin.people.filters")}>
        <Field id="people-role" label={t("admin.people.roleFilter")}>
          <select value={roleInput} onChange={(e) => setRoleInput(e.target.value)}>
            {FILTERS.map((f) => (
              <option key={f} value={f}>
                {t(f ? (`admin.people.filter.${f}` as const) : "admin.people.filter.all")}
              </option>
            ))}
          </select>
        </Field>
        <Field id="people-search" label={t("admin.people.search")} help={t("admin.people.searchHelp")}>
          <input type="search" autoComplete="off" value={qInput} onChange={(e) => setQInput(e.target.value)} />
        </Field>
        <button type="submit">{t("admin.filter.apply")}</button>
      </form>
      <Loadable state={people}>{() => null}</Loadable>
      {data && data.users.length === 0 ? <p className="empty">{t("admin.people.empty")}</p> : null}
      {data && data.users.length > 0 ? (
        <>
          <p className="summary">{t("admin.people.count", { count: data.count })}</p>
          <table className="admin">
            <caption className="sr-only">{t("admin.people.title")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("admin.people.name")}</th>
                <th scope="col">{t("admin.people.email")}</th>
                <th scope="col">{t("admin.people.role")}</th>
                <th scope="col">{t("admin.people.status")}</th>
              </tr>
            </thead>
            <tbody>
              {data.users.map((u) => (
                <tr key={u.id}>
                  <td data-label={t("admin.people.name")} className="primary">
                    <Link to={`/admin/people/${u.id}`}>{u.name}</Link>
                  </td>
                  <td data-label={t("admin.people.email")}>{u.email ?? "—"}</td>
                  <td data-label={t("admin.people.role")}>{t(roleLabel(u.vaultdesk_role))}</td>
                  <td data-label={t("admin.people.status")}>
                    {t(statusOf(u))}
                    {u.restricted ? <span className="badge restricted"> {t("privacy.restrictedMark")}</span> : null}
                  </td>
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

/** `/admin/people/new`: adds a person without a password (end users, or staff who will be invited later). */
export function NewPersonPage() {
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [role, setRole] = useState("end-user");
  const failure = useFailure();
  const [busy, setBusy] = useState(false);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    failure.clear();
    try {
      const r = await ok(client.POST("/api/v2/users", { body: { user: { name, email, role: role as NewRole } } }));
      // Staff added here get an invitation to choose a password (the server makes and mails it).
      navigate(`/admin/people/${r.user.id}${role === "end-user" ? "" : "?invited=1"}`);
    } catch (err) {
      setBusy(false);
      failure.fail(err);
    }
  }
  return (
    <main id="main" className="main">
      <PageHeading>{t("admin.people.addTitle")}</PageHeading>
      <p className="muted">{t("admin.people.addIntro")}</p>
      <form className="form" onSubmit={submit} aria-busy={busy}>
        <Field id="new-person-name" label={t("admin.people.name")}>
          <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={255} />
        </Field>
        <Field id="new-person-email" label={t("admin.people.email")}>
          <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} required />
        </Field>
        <Field id="new-person-role" label={t("admin.people.role")}>
          <select value={role} onChange={(e) => setRole(e.target.value)}>
            <option value="end-user">{t("admin.role.end_user")}</option>
            <option value="light-agent">{t("admin.role.light_agent")}</option>
            <option value="agent">{t("admin.role.agent")}</option>
            <option value="admin">{t("admin.role.admin")}</option>
          </select>
        </Field>
        {failure.notice}
        <button type="submit" disabled={busy}>
          {t("admin.people.create")}
        </button>
      </form>
    </main>
  );
}

/** `/admin/people/:id`: one person; change role, suspend or unsuspend, delete. */
export function PersonPage(props: { id: number; me: User; invited?: boolean }) {
  const key = ["person", props.id];
  const person = useApi(key, async (signal) => (await ok(client.GET("/api/v2/users/{id}", { params: { path: { id: props.id } }, signal }))).user);
  const setData = useSetData();
  const user = person.data;
  const [roleChoice, setRole] = useState<Role | null>(null);
  const role = roleChoice ?? user?.vaultdesk_role ?? "agent";
  const failure = useFailure();
  const [status, setStatus] = useState<string | null>(props.invited ? t("admin.people.invitedNotice") : null);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);

  async function unlock(id: number) {
    setBusy(true);
    failure.clear();
    setStatus(null);
    try {
      const r = await ok(client.PUT("/api/v2/users/{id}/unlock", { params: { path: { id } } }));
      setStatus(t(r.unlocked ? "admin.people.unlocked" : "admin.people.notLocked"));
    } catch (err) {
      failure.fail(err);
    } finally {
      setBusy(false);
    }
  }

  async function act(call: () => Promise<{ user: User }>, done: string) {
    setBusy(true);
    failure.clear();
    setStatus(null);
    try {
      const r = await call();
      setData(key, r.user);
      setRole(null);
      setStatus(done);
    } catch (err) {
      failure.fail(err);
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  }

  if (!user)
    return (
      <main id="main" className="main">
        <Loadable state={person}>{() => null}</Loadable>
      </main>
    );
  const self = user.id === props.me.id;
  return (
    <main id="main" className="main">
      <p className="back">
        <Link to="/admin/people">{t("admin.people.back")}</Link>
      </p>
      <PageHeading>{user.name}</PageHeading>
      <RestrictionBanner user={user} />
      <dl className="facts">
        <dt>{t("admin.people.email")}</dt>
        <dd>{user.email ?? "—"}</dd>
        <dt>{t("admin.people.role")}</dt>
        <dd>{t(roleLabel(user.vaultdesk_role))}</dd>
        <dt>{t("admin.people.status")}</dt>
        <dd>{t(statusOf(user))}</dd>
        <dt>{t("admin.people.created")}</dt>
        <dd>
          <time dateTime={user.created_at}>{formatDate(user.created_at)}</time>
        </dd>
      </dl>
      <StatusText text={status} />
      {failure.notice}
      {user.active ? (
        <>
          <section aria-labelledby="role-heading" className="panel">
            <h2 id="role-heading">{t("admin.people.changeRole")}</h2>
            <form
              className="inline-form"
              onSubmit={(e) => {
                e.preventDefault();
                void act(() => ok(client.PUT("/api/v2/users/{id}/role", { params: { path: { id: user.id } }, body: { role } })), t("admin.people.roleChanged"));
              }}
            >
              <Field id="person-role" label={t("admin.people.newRole")} help={t("admin.people.roleHelp")}>
                <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
                  {ROLES.map((r) => (
                    <option key={r} value={r}>
                      {t(roleLabel(r))}
                    </option>
                  ))}
                </select>
              </Field>
              <button type="submit" disabled={busy || role === user.vaultdesk_role}>
                {t("admin.people.saveRole")}
              </button>
            </form>
          </section>
          {user.vaultdesk_role === "agent" ? <CustomRolePicker user={user} onSaved={(u) => setData(key, u)} /> : null}
          {self ? null : (
            <section aria-labelledby="access-heading" className="panel">
              <h2 id="access-heading">{t("admin.people.access")}</h2>
              <p className="muted">{t(user.suspended ? "admin.people.suspendedHelp" : "admin.people.suspendHelp")}</p>
              <div className="actions">
                <button
                  type="button"
                  className="secondary"
                  disabled={busy}
                  onClick={() =>
                    void act(
                      () => ok(client.PUT("/api/v2/users/{id}", { params: { path: { id: user.id } }, body: { user: { suspended: !user.suspended } } })),
                      t(user.suspended ? "admin.people.unsuspended" : "admin.people.suspendedDone"),
                    )
                  }
                >
                  {t(user.suspended ? "admin.people.unsuspend" : "admin.people.suspend")}
                </button>
                <button type="button" className="secondary" disabled={busy} onClick={() => void unlock(user.id)}>
                  {t("admin.people.unlock")}
                </button>
                {confirming ? (
                  <>
                    <span role="alert">{t("admin.people.deleteConfirm", { name: user.name })}</span>
                    <button type="button" className="danger" disabled={busy} onClick={() => void act(() => ok(client.DELETE("/api/v2/users/{id}", { params: { path: { id: user.id } } })), t("admin.people.deletedDone"))}>
                      {t("admin.people.deleteYes")}
                    </button>
                    <button type="button" className="secondary" onClick={() => setConfirming(false)}>
                      {t("admin.cancel")}
                    </button>
                  </>
                ) : (
                  <button type="button" className="secondary" disabled={busy} onClick={() => setConfirming(true)}>
                    {t("admin.people.delete")}
                  </button>
                )}
              </div>
              <p className="help">{t("admin.people.deleteHelp")}</p>
            </section>
          )}
        </>
      ) : (
        <p className="notice">{t("admin.people.deletedNotice")}</p>
      )}
      {user.active ? (
        <PersonOrganization
          user={user}
          busy={busy}
          onRemove={() =>
            void act(() => ok(client.PUT("/api/v2/users/{id}", { params: { path: { id: user.id } }, body: { user: { organization_id: null } } })), t("admin.people.removedFromOrg"))
          }
        />
      ) : null}
      {user.active ? (
        <section aria-labelledby="person-sessions-heading" className="panel">
          <h2 id="person-sessions-heading">{t("sessions.personHeading")}</h2>
          <p className="muted">{t("sessions.personHelp")}</p>
          <SessionsList userId={user.id} own={self} headingId="person-sessions-heading" />
        </section>
      ) : null}
      {user.active && user.vaultdesk_role !== "end_user" ? <PersonTwoFactor user={user} self={self} /> : null}
      {user.active ? <PersonPasskeys user={user} /> : null}
      {user.active && user.vaultdesk_role === "end_user" ? <EndUserPanels userId={user.id} /> : null}
      <PersonRestriction user={user} onSaved={(u) => setData(key, u)} />
    </main>
  );
}

/** The organization a person belongs to, with a way out of it (people join one from the organization's page). */
function PersonOrganization(props: { user: User; busy: boolean; onRemove: () => void }) {
  const orgId = props.user.organization_id;
  const org = useApi(orgId === null ? null : ["organization", orgId], async (signal) => (await ok(client.GET("/api/v2/organizations/{id}", { params: { path: { id: orgId ?? 0 } }, signal }))).organization);
  return (
    <section aria-labelledby="person-org-heading" className="panel">
      <h2 id="person-org-heading">{t("admin.people.organization")}</h2>
      {orgId === null ? (
        <p>{t("admin.people.noOrganization")}</p>
      ) : (
        <Loadable state={org}>
          {(o) => (
            <p className="actions">
              <Link to={`/admin/organizations/${o.id}`}>{o.name}</Link>
              <button type="button" className="secondary" disabled={props.busy} onClick={props.onRemove}>
                {t("admin.people.removeFromOrg", { org: o.name })}
              </button>
            </p>
          )}
        </Loadable>
      )}
    </section>
  );
}

/** An agent's custom role (`custom_role_id`): one of the account's custom roles, or the built-in agent role. */
function CustomRolePicker(props: { user: User; onSaved: (u: User) => void }) {
  const roles = useApi(["custom-roles"], async (signal) => (await ok(client.GET("/api/v2/custom_roles", { signal }))).custom_roles);
  const [choice, setChoice] = useState<number | null>(null);
  const failure = useFailure();
  const [status, setStatus] = useState<string | null>(null);
  const current = props.user.custom_role_id ?? 2;
  const value = choice ?? current;
  async function save(e: FormEvent) {
    e.preventDefault();
    failure.clear();
    setStatus(null);
    try {
      const r = await ok(client.PUT("/api/v2/users/{id}", { params: { path: { id: props.user.id } }, body: { user: { custom_role_id: value === 2 ? null : value } } }));
      props.onSaved(r.user);
      setChoice(null);
      setStatus(t("roles.given"));
    } catch (err) {
      failure.fail(err);
    }
  }
  return (
    <section aria-labelledby="custom-role-heading" className="panel">
      <h2 id="custom-role-heading">{t("roles.customRole")}</h2>
      <form className="inline-form" onSubmit={save}>
        <Field id="person-custom-role" label={t("roles.customRole")} help={t("roles.giveHelp")}>
          <select value={value} onChange={(e) => setChoice(Number(e.target.value))}>
            <option value={2}>{t("roles.none")}</option>
            {(roles.data ?? []).filter((r) => !r.built_in).map((r) => (
              <option key={r.id} value={r.id}>
                {r.name}
              </option>
            ))}
          </select>
        </Field>
        <button type="submit" disabled={value === current}>
          {t("roles.give")}
        </button>
      </form>
      <StatusText text={status} />
      {failure.notice}
    </section>
  );
}

/** Restricting (or lifting the restriction of) the processing of a person's data; the server refuses all but owners and admins. */
function PersonRestriction(props: { user: User; onSaved: (u: User) => void }) {
  const [reason, setReason] = useState(props.user.restriction_reason ?? "");
  const [busy, setBusy] = useState(false);
  const failure = useFailure();
  const [status, setStatus] = useState<string | null>(null);
  async function save(restricted: boolean) {
    setBusy(true);
    failure.clear();
    setStatus(null);
    try {
      await ok(client.PUT("/api/v2/users/{id}/restriction", { params: { path: { id: props.user.id } }, body: { restriction: restricted ? { restricted, reason } : { restricted } } }));
      const { user } = await ok(client.GET("/api/v2/users/{id}", { params: { path: { id: props.user.id } } }));
      props.onSaved(user);
      if (!restricted) setReason("");
      setStatus(t(restricted ? "privacy.restricted" : "privacy.lifted"));
    } catch (err) {
      failure.fail(err);
    } finally {
      setBusy(false);
    }
  }
  return (
    <section aria-labelledby="restriction-heading" className="panel">
      <h2 id="restriction-heading">{t("privacy.restriction")}</h2>
      <p className="muted">{t("privacy.restrictionIntro")}</p>
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void save(true);
        }}
        aria-busy={busy}
      >
        <Field id="restriction-reason" label={t("privacy.reason")}>
          <input value={reason} onChange={(e) => setReason(e.target.value)} maxLength={500} required />
        </Field>
        <button type="submit" disabled={busy}>
          {t(props.user.restricted ? "privacy.updateReason" : "privacy.restrict")}
        </button>
        {props.user.restricted ? (
          <button type="button" className="secondary" disabled={busy} onClick={() => void save(false)}>
            {t("privacy.lift")}
          </button>
        ) : null}
      </form>
      <StatusText text={status} />
      {failure.notice}
    </section>
  );
}
