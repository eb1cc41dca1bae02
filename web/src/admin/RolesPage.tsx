import { useState, type FormEvent } from "react";
import { client, explain, ok } from "../api.ts";
import type { Answer, BodyOf } from "../api-schema.ts";
import { ErrorText, Field, StatusText } from "../components/Field.tsx";
import { Loadable, useApi } from "../data.tsx";
import { t, type MessageKey } from "../i18n/index.ts";
import { Link, navigate, PageHeading } from "../router.tsx";

/**
 * `/admin/roles`: the built-in roles and the account's custom agent roles; `/admin/roles/:id`: one
 * role's permissions. What each permission allows is decided by the server (docs/security-model.md);
 * this page only edits the configuration.
 */
type CustomRole = Answer<"listCustomRoles">["custom_roles"][number];
type Configuration = CustomRole["configuration"];
type ConfigurationInput = NonNullable<BodyOf<"createCustomRole">["custom_role"]["configuration"]>;

const ACCESS = ["all", "within-groups", "assigned-only"] as const;
const SWITCHES: ReadonlyArray<{ key: keyof Configuration; label: MessageKey }> = [
  { key: "ticket_editing", label: "roles.ticketEditing" },
  { key: "ticket_deletion", label: "roles.ticketDeletion" },
  { key: "ticket_redaction", label: "roles.ticketRedaction" },
  { key: "group_access", label: "roles.groupAccess" },
  { key: "organization_editing", label: "roles.organizationEditing" },
  { key: "audit_log_access", label: "roles.auditLog" },
  { key: "api_token_access", label: "roles.apiTokens" },
  { key: "data_export_access", label: "roles.dataExport" },
];

export function RolesPage() {
  const list = useApi(["custom-roles"], async (signal) => (await ok(client.GET("/api/v2/custom_roles", { signal }))).custom_roles);
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  async function create(e: FormEvent) {
    e.preventDefault();
    setError(null);
    try {
      const r = await ok(client.POST("/api/v2/custom_roles", { body: { custom_role: { name } } }));
      navigate(`/admin/roles/${r.custom_role.id}?created=1`);
    } catch (err) {
      setError(explain(err));
    }
  }
  return (
    <main id="main" className="main">
      <PageHeading>{t("roles.title")}</PageHeading>
      <p className="muted">{t("roles.intro")}</p>
      <Loadable state={list}>
        {(roles) => (
          <table className="admin">
            <thead>
              <tr>
                <th scope="col">{t("roles.name")}</th>
                <th scope="col">{t("roles.ticketAccess")}</th>
                <th scope="col">{t("admin.people.title")}</th>
              </tr>
            </thead>
            <tbody>
              {roles.map((r) => (
                <tr key={r.id}>
                  <td data-label={t("roles.name")}>
                    <Link to={`/admin/roles/${r.id}`}>{r.name}</Link> {r.built_in ? <span className="badge">{t("roles.builtIn")}</span> : null}
                  </td>
                  <td data-label={t("roles.ticketAccess")}>{t(`roles.access.${r.configuration.ticket_access}`)}</td>
                  <td data-label={t("admin.people.title")}>{t("roles.members", { count: r.team_member_count })}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Loadable>
      <section aria-labelledby="new-role" className="panel">
        <h2 id="new-role">{t("roles.new")}</h2>
        <form className="form inline-form" onSubmit={create}>
          <Field id="role-name" label={t("roles.name")}>
            <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={255} />
          </Field>
          <button type="submit">{t("roles.create")}</button>
        </form>
        <ErrorText text={error} />
      </section>
    </main>
  );
}

export function RolePage(props: { id: number; created?: boolean }) {
  const state = useApi(["custom-role", props.id], async (signal) => (await ok(client.GET("/api/v2/custom_roles/{id}", { params: { path: { id: props.id } }, signal }))).custom_role);
  const role = state.data;
  const [draft, setDraft] = useState<{ name: string; description: string; configuration: Configuration } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(props.created && role ? t("roles.created", { name: role.name }) : null);
  if (!role)
    return (
      <main id="main" className="main">
        <Loadable state={state}>{() => null}</Loadable>
      </main>
    );
  const d = draft ?? { name: role.name, description: role.description, configuration: role.configuration };
  const set = (c: Partial<Configuration>) => setDraft({ ...d, configuration: { ...d.configuration, ...c } });
  const readOnly = role.built_in;

  async function save(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setStatus(null);
    try {
      const configuration: ConfigurationInput = { ...d.configuration };
      await ok(client.PUT("/api/v2/custom_roles/{id}", { params: { path: { id: props.id } }, body: { custom_role: { name: d.name, description: d.description, configuration } } }));
      setDraft(null);
      await state.reload();
      setStatus(t("roles.saved"));
    } catch (err) {
      setError(explain(err));
    }
  }
  async function remove() {
    setError(null);
    try {
      await ok(client.DELETE("/api/v2/custom_roles/{id}", { params: { path: { id: props.id } } }));
      navigate("/admin/roles");
    } catch (err) {
      setError(explain(err));
    }
  }

  return (
    <main id="main" className="main">
      <p className="back">
        <Link to="/admin/roles">{t("roles.back")}</Link>
      </p>
      <PageHeading>{role.name}</PageHeading>
      {readOnly ? <p className="muted">{t("roles.builtInNote")}</p> : null}
      <StatusText text={status} />
      <ErrorText text={error} />
      <form className="form" onSubmit={save}>
        <fieldset className="role-permissions" disabled={readOnly}>
          <Field id="role-edit-name" label={t("roles.name")}>
            <input value={d.name} onChange={(e) => setDraft({ ...d, name: e.target.value })} required maxLength={255} />
          </Field>
          <Field id="role-edit-description" label={t("roles.description")}>
            <input value={d.description} onChange={(e) => setDraft({ ...d, description: e.target.value })} maxLength={1000} />
          </Field>
          <Field id="role-access" label={t("roles.ticketAccess")} help={t("roles.accessHelp")}>
            <select value={d.configuration.ticket_access} onChange={(e) => set({ ticket_access: e.target.value as Configuration["ticket_access"] })}>
              {ACCESS.map((a) => (
                <option key={a} value={a}>
                  {t(`roles.access.${a}`)}
                </option>
              ))}
            </select>
          </Field>
          <label className="check">
            <input type="checkbox" checked={d.configuration.ticket_comment_access === "public"} onChange={(e) => set({ ticket_comment_access: e.target.checked ? "public" : "internal" })} />{" "}
            {t("roles.publicReplies")}
          </label>
          {SWITCHES.map((s) => (
            <label className="check" key={s.key}>
              <input type="checkbox" checked={d.configuration[s.key] === true} onChange={(e) => set({ [s.key]: e.target.checked })} /> {t(s.label)}
            </label>
          ))}
          <Field id="role-end-users" label={t("roles.endUsers")}>
            <select value={d.configuration.end_user_profile_access} onChange={(e) => set({ end_user_profile_access: e.target.value as Configuration["end_user_profile_access"] })}>
              <option value="readonly">{t("roles.endUsers.readonly")}</option>
              <option value="edit">{t("roles.endUsers.edit")}</option>
            </select>
          </Field>
        </fieldset>
        {readOnly ? null : (
          <div className="actions">
            <button type="submit">{t("roles.save")}</button>
            <button type="button" className="secondary" onClick={() => void remove()}>
              {t("roles.delete")}
            </button>
          </div>
        )}
      </form>
    </main>
  );
}
