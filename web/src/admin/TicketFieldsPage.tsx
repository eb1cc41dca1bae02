import { useState, type FormEvent } from "react";
import { client, explain, ok } from "../api.ts";
import type { Answer, BodyOf } from "../api-schema.ts";
import { ErrorText, Field, StatusText } from "../components/Field.tsx";
import { Loadable, useApi } from "../data.tsx";
import { t } from "../i18n/index.ts";
import { Link, navigate, PageHeading } from "../router.tsx";

/**
 * `/admin/ticket-fields`: the account's custom ticket fields; `/admin/ticket-fields/:id`: one
 * field, with what customers see of it and its permissions per role (the agent and light-agent
 * presets and every custom role). The server enforces them (docs/api.md, Field permissions); this
 * page only edits the definition.
 */
type TicketField = Answer<"listTicketFields">["ticket_fields"][number];
type FieldType = BodyOf<"createTicketField">["ticket_field"]["type"];
type Access = "edit" | "read_only" | "hidden";
type Portal = "none" | "visible" | "editable";

const TYPES = ["text", "number", "date", "tagger", "checkbox"] as const;
const PORTAL: readonly Portal[] = ["none", "visible", "editable"];
const ACCESS: readonly Access[] = ["edit", "read_only", "hidden"];

const portalOf = (f: Pick<TicketField, "visible_in_portal" | "editable_in_portal">): Portal => (f.editable_in_portal ? "editable" : f.visible_in_portal ? "visible" : "none");
const portalBody = (p: Portal) => ({ visible_in_portal: p !== "none", editable_in_portal: p === "editable" });

/** "Name=value" lines to options; undefined when a line lacks either part. */
function parseOptions(text: string): Array<{ name: string; value: string }> | undefined {
  const out: Array<{ name: string; value: string }> = [];
  for (const line of text.split("\n").map((l) => l.trim()).filter(Boolean)) {
    const at = line.lastIndexOf("=");
    const name = at > 0 ? line.slice(0, at).trim() : "";
    const value = at > 0 ? line.slice(at + 1).trim() : "";
    if (!name || !value) return undefined;
    out.push({ name, value });
  }
  return out;
}
const optionsText = (f: TicketField) => f.custom_field_options.map((o) => `${o.name}=${o.value}`).join("\n");

export function TicketFieldsPage() {
  const list = useApi(["ticket-fields-admin"], async (signal) => (await ok(client.GET("/api/v2/ticket_fields", { signal }))).ticket_fields);
  const [title, setTitle] = useState("");
  const [type, setType] = useState<(typeof TYPES)[number]>("text");
  const [options, setOptions] = useState("");
  const [error, setError] = useState<string | null>(null);
  async function create(e: FormEvent) {
    e.preventDefault();
    setError(null);
    const parsed = type === "tagger" ? parseOptions(options) : [];
    if (!parsed) return setError(t("fields.badOptions"));
    try {
      const body: BodyOf<"createTicketField">["ticket_field"] = { title, type: type as FieldType, ...(type === "tagger" ? { custom_field_options: parsed } : {}) };
      const r = await ok(client.POST("/api/v2/ticket_fields", { body: { ticket_field: body } }));
      navigate(`/admin/ticket-fields/${r.ticket_field.id}?created=1`);
    } catch (err) {
      setError(explain(err));
    }
  }
  return (
    <main id="main" className="main">
      <PageHeading>{t("fields.title")}</PageHeading>
      <p className="muted">{t("fields.intro")}</p>
      <Loadable state={list}>
        {(fields) =>
          fields.length === 0 ? (
            <p className="muted">{t("fields.none")}</p>
          ) : (
            <table className="admin">
              <thead>
                <tr>
                  <th scope="col">{t("fields.name")}</th>
                  <th scope="col">{t("fields.type")}</th>
                  <th scope="col">{t("fields.portal")}</th>
                  <th scope="col">{t("fields.permissions")}</th>
                </tr>
              </thead>
              <tbody>
                {fields.map((f) => (
                  <tr key={f.id}>
                    <td data-label={t("fields.name")}>
                      <Link to={`/admin/ticket-fields/${f.id}`}>{f.title}</Link> {f.active ? null : <span className="badge">{t("fields.inactive")}</span>}
                    </td>
                    <td data-label={t("fields.type")}>{t(`fields.type.${f.type as (typeof TYPES)[number]}`)}</td>
                    <td data-label={t("fields.portal")}>{t(`fields.portal.${portalOf(f)}`)}</td>
                    <td data-label={t("fields.permissions")}>{f.permissions.length ? t("fields.restricted", { count: f.permissions.length }) : "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Loadable>
      <section aria-labelledby="new-field" className="panel">
        <h2 id="new-field">{t("fields.new")}</h2>
        <form className="form" onSubmit={create}>
          <Field id="field-title" label={t("fields.name")}>
            <input value={title} onChange={(e) => setTitle(e.target.value)} required maxLength={255} />
          </Field>
          <Field id="field-type" label={t("fields.type")}>
            <select value={type} onChange={(e) => setType(e.target.value as (typeof TYPES)[number])}>
              {TYPES.map((x) => (
                <option key={x} value={x}>
                  {t(`fields.type.${x}`)}
                </option>
              ))}
            </select>
          </Field>
          {type === "tagger" ? (
            <Field id="field-options" label={t("fields.options")} help={t("fields.optionsHelp")}>
              <textarea value={options} onChange={(e) => setOptions(e.target.value)} rows={4} />
            </Field>
          ) : null}
          <button type="submit">{t("fields.create")}</button>
        </form>
        <ErrorText text={error} />
      </section>
    </main>
  );
}

type Draft = { title: string; active: boolean; required: boolean; portal: Portal; options: string; access: Record<number, Access> };

export function TicketFieldPage(props: { id: number; created?: boolean }) {
  const state = useApi(["ticket-field-admin", props.id], async (signal) => (await ok(client.GET("/api/v2/ticket_fields/{id}", { params: { path: { id: props.id } }, signal }))).ticket_field);
  const roles = useApi(["custom-roles"], async (signal) => (await ok(client.GET("/api/v2/custom_roles", { signal }))).custom_roles);
  const field = state.data;
  const [draft, setDraft] = useState<Draft | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(props.created && field ? t("fields.created", { name: field.title }) : null);
  if (!field)
    return (
      <main id="main" className="main">
        <Loadable state={state}>{() => null}</Loadable>
      </main>
    );
  const d: Draft = draft ?? {
    title: field.title,
    active: field.active,
    required: field.required,
    portal: portalOf(field),
    options: optionsText(field),
    access: Object.fromEntries(field.permissions.map((p) => [p.role_id, p.access])),
  };
  const set = (c: Partial<Draft>) => setDraft({ ...d, ...c });
  // Every role but the administrators' (who always edit): the presets and the custom roles.
  const limitable = (roles.data ?? []).filter((r) => r.id !== 1);

  async function save(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setStatus(null);
    const parsed = field!.type === "tagger" ? parseOptions(d.options) : undefined;
    if (field!.type === "tagger" && !parsed) return setError(t("fields.badOptions"));
    try {
      const permissions = Object.entries(d.access)
        .filter(([, a]) => a !== "edit")
        .map(([id, a]) => ({ role_id: Number(id), access: a }));
      await ok(
        client.PUT("/api/v2/ticket_fields/{id}", {
          params: { path: { id: props.id } },
          body: { ticket_field: { title: d.title, active: d.active, required: d.required, ...portalBody(d.portal), permissions, ...(parsed ? { custom_field_options: parsed } : {}) } },
        }),
      );
      setDraft(null);
      await state.reload();
      setStatus(t("fields.saved"));
    } catch (err) {
      setError(explain(err));
    }
  }
  async function remove() {
    setError(null);
    try {
      await ok(client.DELETE("/api/v2/ticket_fields/{id}", { params: { path: { id: props.id } } }));
      navigate("/admin/ticket-fields");
    } catch (err) {
      setError(explain(err));
    }
  }

  return (
    <main id="main" className="main">
      <p className="back">
        <Link to="/admin/ticket-fields">{t("fields.back")}</Link>
      </p>
      <PageHeading>{field.title}</PageHeading>
      <p className="muted">{t(`fields.type.${field.type as (typeof TYPES)[number]}`)}</p>
      <StatusText text={status} />
      <ErrorText text={error} />
      <form className="form" onSubmit={save}>
        <Field id="field-edit-title" label={t("fields.name")}>
          <input value={d.title} onChange={(e) => set({ title: e.target.value })} required maxLength={255} />
        </Field>
        {field.type === "tagger" ? (
          <Field id="field-edit-options" label={t("fields.options")} help={t("fields.optionsHelp")}>
            <textarea value={d.options} onChange={(e) => set({ options: e.target.value })} rows={4} />
          </Field>
        ) : null}
        <label className="check">
          <input type="checkbox" checked={d.active} onChange={(e) => set({ active: e.target.checked })} /> {t("fields.active")}
        </label>
        <label className="check">
          <input type="checkbox" checked={d.required} onChange={(e) => set({ required: e.target.checked })} /> {t("fields.required")}
        </label>
        <Field id="field-edit-portal" label={t("fields.portal")} help={t("fields.portalHelp")}>
          <select value={d.portal} onChange={(e) => set({ portal: e.target.value as Portal })}>
            {PORTAL.map((p) => (
              <option key={p} value={p}>
                {t(`fields.portal.${p}`)}
              </option>
            ))}
          </select>
        </Field>
        <fieldset className="field-permissions">
          <legend>{t("fields.permissions")}</legend>
          <p className="muted">{t("fields.permissionsHelp")}</p>
          <Loadable state={roles}>
            {() => (
              <table className="admin">
                <thead>
                  <tr>
                    <th scope="col">{t("fields.role")}</th>
                    <th scope="col">{t("fields.access")}</th>
                  </tr>
                </thead>
                <tbody>
                  <tr>
                    <td data-label={t("fields.role")}>{t("fields.admins")}</td>
                    <td data-label={t("fields.access")}>{t("fields.adminsAlways")}</td>
                  </tr>
                  {limitable.map((r) => (
                    <tr key={r.id}>
                      <td data-label={t("fields.role")}>
                        <label htmlFor={`field-access-${r.id}`}>{r.name}</label>
                      </td>
                      <td data-label={t("fields.access")}>
                        <select id={`field-access-${r.id}`} value={d.access[r.id] ?? "edit"} onChange={(e) => set({ access: { ...d.access, [r.id]: e.target.value as Access } })}>
                          {ACCESS.map((a) => (
                            <option key={a} value={a}>
                              {t(`fields.access.${a}`)}
                            </option>
                          ))}
                        </select>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Loadable>
        </fieldset>
        <div className="actions">
          <button type="submit">{t("fields.save")}</button>
          <button type="button" className="secondary" onClick={() => void remove()}>
            {t("fields.delete")}
          </button>
        </div>
      </form>
    </main>
  );
}
