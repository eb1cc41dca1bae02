import { useCallback, useEffect, useState, type FormEvent } from "react";
import { api, explain } from "../api.ts";
import { ErrorText, Field, StatusText } from "../components/Field.tsx";
import { t } from "../i18n/index.ts";
import { Link, PageHeading } from "../router.tsx";
import { staff, usersById, type AdminUser, type Group, type Membership } from "./admin-api.ts";

/** `/admin/groups`: the account's groups, and a form to create one. */
export function GroupsPage() {
  const [groups, setGroups] = useState<Group[] | null>(null);
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const load = useCallback(() => {
    api<{ groups: Group[] }>("GET", "groups.json?per_page=100").then(
      (r) => setGroups(r.groups.filter((g) => !g.deleted)),
      (err: unknown) => setError(explain(err)),
    );
  }, []);
  useEffect(load, [load]);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    try {
      const r = await api<{ group: Group }>("POST", "groups.json", { group: { name } });
      setStatus(t("admin.groups.created", { name: r.group.name }));
      setName("");
      load();
    } catch (err) {
      setError(explain(err));
    }
  }
  return (
    <main id="main" className="main">
      <PageHeading>{t("admin.groups.title")}</PageHeading>
      <form className="form inline-form" onSubmit={submit}>
        <Field id="group-name" label={t("admin.groups.newName")}>
          <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={255} />
        </Field>
        <button type="submit">{t("admin.groups.create")}</button>
      </form>
      <ErrorText text={error} />
      <StatusText text={status} />
      {!groups ? <p role="status">{t("app.loading")}</p> : null}
      {groups && groups.length === 0 ? <p className="empty">{t("admin.groups.empty")}</p> : null}
      {groups && groups.length > 0 ? (
        <ul className="plain-list">
          {groups.map((g) => (
            <li key={g.id}>
              <Link to={`/admin/groups/${g.id}`}>{g.name}</Link>
            </li>
          ))}
        </ul>
      ) : null}
    </main>
  );
}

/** `/admin/groups/:id`: rename a group and manage its members. */
export function GroupPage(props: { id: number }) {
  const [group, setGroup] = useState<Group | null>(null);
  const [name, setName] = useState("");
  const [members, setMembers] = useState<Array<{ membership: Membership; user: AdminUser | undefined }> | null>(null);
  const [people, setPeople] = useState<AdminUser[]>([]);
  const [pick, setPick] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);

  const load = useCallback(() => {
    (async () => {
      const [g, m, s] = await Promise.all([
        api<{ group: Group }>("GET", `groups/${props.id}.json`),
        api<{ group_memberships: Membership[] }>("GET", `groups/${props.id}/memberships.json?per_page=100`),
        staff(),
      ]);
      const users = await usersById(m.group_memberships.map((x) => x.user_id));
      setGroup(g.group);
      setName((n) => n || g.group.name);
      setMembers(m.group_memberships.map((membership) => ({ membership, user: users.get(membership.user_id) })));
      setPeople(s);
    })().catch((err: unknown) => setError(explain(err)));
  }, [props.id]);
  useEffect(load, [load]);

  async function run(call: () => Promise<unknown>, done: string) {
    setError(null);
    setStatus(null);
    try {
      await call();
      setStatus(done);
      load();
    } catch (err) {
      setError(explain(err));
    }
  }

  if (!group)
    return (
      <main id="main" className="main">
        {error ? <ErrorText text={error} /> : <p role="status">{t("app.loading")}</p>}
      </main>
    );
  const memberIds = new Set(members?.map((m) => m.membership.user_id));
  return (
    <main id="main" className="main">
      <p className="back">
        <Link to="/admin/groups">{t("admin.groups.back")}</Link>
      </p>
      <PageHeading>{t("admin.groups.pageTitle", { name: group.name })}</PageHeading>
      <StatusText text={status} />
      <ErrorText text={error} />
      <form
        className="form inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void run(() => api("PUT", `groups/${group.id}.json`, { group: { name } }), t("admin.groups.renamed"));
        }}
      >
        <Field id="group-rename" label={t("admin.groups.name")}>
          <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={255} />
        </Field>
        <button type="submit">{t("admin.groups.rename")}</button>
      </form>
      <h2>{t("admin.groups.members")}</h2>
      {members && members.length === 0 ? <p className="empty">{t("admin.groups.noMembers")}</p> : null}
      <ul className="plain-list">
        {members?.map(({ membership, user }) => (
          <li key={membership.id}>
            <span>{user?.name ?? t("ticket.unknownUser", { id: membership.user_id })}</span>
            <button
              type="button"
              className="small"
              aria-label={t("admin.groups.removeFor", { name: user?.name ?? String(membership.user_id) })}
              onClick={() => void run(() => api("DELETE", `group_memberships/${membership.id}.json`), t("admin.groups.removed"))}
            >
              {t("admin.groups.remove")}
            </button>
          </li>
        ))}
      </ul>
      <form
        className="form inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (pick) void run(() => api("POST", "group_memberships.json", { group_membership: { user_id: Number(pick), group_id: group.id } }), t("admin.groups.added"));
        }}
      >
        <Field id="group-add" label={t("admin.groups.addMember")} help={t("admin.groups.addHelp")}>
          <select value={pick} onChange={(e) => setPick(e.target.value)} required>
            <option value="">{t("admin.groups.choose")}</option>
            {people
              .filter((p) => !memberIds.has(p.id))
              .map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
          </select>
        </Field>
        <button type="submit">{t("admin.groups.add")}</button>
      </form>
    </main>
  );
}
