import { useState, type FormEvent } from "react";
import { client, explain, ok } from "../api.ts";
import { ErrorText, Field, StatusText } from "../components/Field.tsx";
import { Loadable, queryClient, useApi } from "../data.tsx";
import { t } from "../i18n/index.ts";
import { Link, navigate, PageHeading } from "../router.tsx";
import { staff, usersById } from "./admin-api.ts";

/** `/admin/groups`: the account's groups, and a form to create one. */
export function GroupsPage() {
  const list = useApi(["groups"], async (signal) => (await ok(client.GET("/api/v2/groups", { params: { query: { per_page: 100 } }, signal }))).groups.filter((g) => !g.deleted));
  const groups = list.data;
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    try {
      const r = await ok(client.POST("/api/v2/groups", { body: { group: { name } } }));
      setStatus(t("admin.groups.created", { name: r.group.name }));
      setName("");
      await list.reload();
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
      <Loadable state={list}>{() => null}</Loadable>
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
  const state = useApi(["group", props.id], async (signal) => {
    const [g, m, people] = await Promise.all([
      ok(client.GET("/api/v2/groups/{id}", { params: { path: { id: props.id } }, signal })),
      ok(client.GET("/api/v2/groups/{id}/memberships", { params: { path: { id: props.id }, query: { per_page: 100 } }, signal })),
      staff(signal),
    ]);
    const users = await usersById(m.group_memberships.map((x) => x.user_id), signal);
    return { group: g.group, members: m.group_memberships.map((membership) => ({ membership, user: users.get(membership.user_id) })), people };
  });
  const [renamed, setName] = useState<string | null>(null);
  const [pick, setPick] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const group = state.data?.group;
  const members = state.data?.members;
  const people = state.data?.people ?? [];
  const name = renamed ?? group?.name ?? "";

  async function run(call: () => Promise<unknown>, done: string) {
    setError(null);
    setStatus(null);
    try {
      await call();
      setStatus(done);
      await state.reload();
    } catch (err) {
      setError(explain(err));
    }
  }

  if (!group)
    return (
      <main id="main" className="main">
        <Loadable state={state}>{() => null}</Loadable>
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
          void run(() => ok(client.PUT("/api/v2/groups/{id}", { params: { path: { id: group.id } }, body: { group: { name } } })), t("admin.groups.renamed"));
        }}
      >
        <Field id="group-rename" label={t("admin.groups.name")}>
          <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={255} />
        </Field>
        <button type="submit">{t("admin.groups.rename")}</button>
      </form>
      <DeleteGroup id={group.id} name={group.name} onError={setError} />
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
              onClick={() => void run(() => ok(client.DELETE("/api/v2/group_memberships/{id}", { params: { path: { id: membership.id } } })), t("admin.groups.removed"))}
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
          if (pick) void run(() => ok(client.POST("/api/v2/group_memberships", { body: { group_membership: { user_id: Number(pick), group_id: group.id } } })), t("admin.groups.added"));
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

/** Deleting a group, after a confirmation; its tickets keep no group. Back to the list afterwards. */
function DeleteGroup(props: { id: number; name: string; onError: (message: string | null) => void }) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  async function remove() {
    setBusy(true);
    props.onError(null);
    try {
      await ok(client.DELETE("/api/v2/groups/{id}", { params: { path: { id: props.id } } }));
      // The list must not show the deleted group again, even for a moment.
      queryClient.removeQueries({ queryKey: ["groups"] });
      navigate("/admin/groups");
    } catch (err) {
      setBusy(false);
      setConfirming(false);
      props.onError(explain(err));
    }
  }
  return (
    <section aria-labelledby="group-delete" className="panel">
      <h2 id="group-delete">{t("admin.groups.delete")}</h2>
      {confirming ? (
        <>
          <p>{t("admin.groups.deleteConfirm", { name: props.name })}</p>
          <button type="button" className="danger" onClick={() => void remove()} disabled={busy}>
            {t("admin.groups.deleteYes")}
          </button>{" "}
          <button type="button" className="secondary" onClick={() => setConfirming(false)} disabled={busy}>
            {t("admin.groups.deleteNo")}
          </button>
        </>
      ) : (
        <button type="button" className="danger" onClick={() => setConfirming(true)}>
          {t("admin.groups.delete")}
        </button>
      )}
    </section>
  );
}
