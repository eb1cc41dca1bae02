import { useEffect, useRef, useState, type FormEvent } from "react";
import { ApiError, explain } from "../api.ts";
import type { SavedView, ViewCondition, ViewConditionField, ViewConditions, ViewOperator, ViewSortBy } from "../api-schema.ts";
import { ConfirmDelete } from "../components/ConfirmDelete.tsx";
import { CheckField, ErrorText, Field } from "../components/Field.tsx";
import { TypeAhead, type TypeAheadOption } from "../components/TypeAhead.tsx";
import { useApi, useInvalidate } from "../data.tsx";
import { t } from "../i18n/index.ts";
import { navigate, PageHeading } from "../router.tsx";
import { AssigneeSelect, GroupSelect, PrioritySelect, StatusSelect, TypeSelect } from "./fields.tsx";
import { findOrganizations, findPeople, organizationNames } from "./lookups.ts";
import { filterTerms, KEYS, usersById, VIEW_SORTS, type Filters } from "./model.ts";
import { TicketList, type ListSource, type ListState } from "./TicketList.tsx";
import {
  audienceOf,
  blankCondition,
  canChangeView,
  CONDITION_FIELDS,
  conditionsFor,
  conditionsOfQuery,
  countView,
  createView,
  deleteView,
  getView,
  isViewSort,
  personByEmail,
  restrictionOf,
  updateView,
  viewTicketsPage,
  type Audience,
} from "./views.ts";
import { useWorkspace } from "./workspace.ts";

const OPERATORS: readonly string[] = ["is", "is_not", "less_than", "greater_than", "includes", "not_includes"] satisfies ViewOperator[];
const isOperator = (o: string): o is ViewOperator => OPERATORS.includes(o);

/**
 * Whether a built-in view's list with these filters can be said as view conditions (the requester's
 * address is looked up on saving). A filter on what the view already fixes (the status of Pending,
 * the assignee of My open) is refused: the search takes either value there, a view both at once.
 */
export function savable(base: readonly ViewCondition[], filters: Filters): boolean {
  if (filters.status && base.some((c) => c.field === "status" && c.operator === "is")) return false;
  if (filters.assignee && base.some((c) => c.field === "assignee_id")) return false;
  if (filters.assignee && !/^(me|none|\d+)$/.test(filters.assignee)) return false;
  if (filters.group && !/^(none|\d+)$/.test(filters.group)) return false;
  if (filters.tag && /[\s"]/.test(filters.tag)) return false;
  return true;
}

/** "Who can see it": only me, every agent, or one group's members (offered to admins and owners only). */
function AudienceField(props: { id: string; value: Audience; onChange: (a: Audience) => void }) {
  const { pickers } = useWorkspace();
  return (
    <>
      <Field id={props.id} label={t("views.audience")}>
        <select value={props.value.kind} onChange={(e) => props.onChange(e.target.value === "group" ? { kind: "group", group: pickers?.groups[0]?.id ?? null } : { kind: e.target.value === "all" ? "all" : "me" })}>
          <option value="me">{t("views.audience.me")}</option>
          <option value="all">{t("views.audience.all")}</option>
          <option value="group">{t("views.audience.group")}</option>
        </select>
      </Field>
      {props.value.kind === "group" ? (
        <GroupSelect
          id={`${props.id}-group`}
          label={t("views.audience.groupPick")}
          value={props.value.group === null ? "" : String(props.value.group)}
          onChange={(v) => props.onChange({ kind: "group", group: v ? Number(v) : null })}
          pickers={pickers}
          first={props.value.group === null ? [{ value: "", label: t("views.audience.chooseGroup") }] : []}
        />
      ) : null}
    </>
  );
}

/** "Save as view" on a built-in view's list: its conditions and the list's filters. */
export function SaveBuiltInView(props: { base: readonly ViewCondition[]; state: ListState }) {
  return <SaveAsView state={props.state} offered={savable(props.base, props.state.filters)} conditions={() => conditionsFor(props.base, props.state.filters, personByEmail)} />;
}

/** "Save as view" on a search of filters only (no words): offered when every part of it is a condition. */
export function SaveSearchAsView(props: { query: string; state: ListState }) {
  const { pickers } = useWorkspace();
  const groups = pickers?.groups ?? [];
  const full = [props.query, filterTerms(props.state.filters)].filter(Boolean).join(" ");
  // Checked with any id for an address (looked up on saving): the shape is what decides here.
  const check = useApi(["views-savable", full, groups.length], () => conditionsOfQuery(full, groups, () => Promise.resolve(1)));
  return <SaveAsView state={props.state} offered={check.data != null} conditions={() => conditionsOfQuery(full, groups, personByEmail)} />;
}

/**
 * "Save as view" above a list: its conditions and order become a saved view (personal, or shared
 * by an admin), and the page goes to it.
 */
function SaveAsView(props: { state: ListState; offered: boolean; conditions: () => Promise<ViewConditions | null> }) {
  const { me, abilities } = useWorkspace();
  const invalidate = useInvalidate();
  const [open, setOpen] = useState(false);
  const [title, setTitle] = useState("");
  const [audience, setAudience] = useState<Audience>({ kind: "me" });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (!props.offered) return null;

  async function save(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const conditions = await props.conditions();
      if (!conditions) {
        setError(t("views.cannotSave"));
        return;
      }
      const sort = props.state.sort;
      const view = await createView({
        title: title.trim(),
        restriction: abilities.can_manage_admin ? restrictionOf(audience, me) : { type: "User", id: me.id },
        all: conditions.all,
        any: conditions.any,
        ...(isViewSort(sort) ? { output: { sort_by: sort, sort_order: props.state.desc ? "desc" : "asc" } } : {}),
      });
      await invalidate(KEYS.savedViews);
      navigate(`/agent/views/${view.id}`);
    } catch (err) {
      setError(explain(err));
    } finally {
      setBusy(false);
    }
  }

  if (!open)
    return (
      <p className="view-actions">
        <button type="button" className="secondary" onClick={() => setOpen(true)}>
          {t("views.saveAs")}
        </button>
      </p>
    );
  return (
    <form className="panel view-form" onSubmit={(e) => void save(e)} aria-labelledby="save-view-title">
      <h2 id="save-view-title">{t("views.saveAsTitle")}</h2>
      <p className="help">{t("views.saveAsHelp")}</p>
      <Field id="save-view-name" label={t("views.title")}>
        {/* No maxLength: a browser counts UTF-16 units (an emoji is two); the server allows 255 characters and names the limit when refusing. */}
        <input value={title} onChange={(e) => setTitle(e.target.value)} required autoComplete="off" autoFocus />
      </Field>
      {abilities.can_manage_admin ? <AudienceField id="save-view-audience" value={audience} onChange={setAudience} /> : null}
      <ErrorText text={error} />
      <p className="actions">
        <button type="submit" disabled={busy || !title.trim() || (audience.kind === "group" && audience.group === null)}>
          {t("views.save")}
        </button>
        <button type="button" className="secondary" onClick={() => setOpen(false)} disabled={busy}>
          {t("views.cancel")}
        </button>
      </p>
    </form>
  );
}

/** A saved view's tickets (`/agent/views/<id>`), with "Edit view" and "Delete view" for whoever may change it. */
export function SavedViewPage(props: { id: number }) {
  const view = useApi(KEYS.savedView(props.id), (signal) => getView(props.id, signal));
  const { me, abilities } = useWorkspace();
  const [mode, setMode] = useState<"list" | "edit" | "delete">("list");
  // Closing the editor or the question gives the focus back to the button that opened it.
  const back = useRef<"edit" | "delete" | null>(null);
  useEffect(() => {
    if (mode === "list" && back.current) document.getElementById(`view-${back.current}`)?.focus();
  }, [mode]);
  const open = (m: "edit" | "delete") => {
    back.current = m;
    setMode(m);
  };
  if (view.error instanceof ApiError && view.error.status === 404)
    return (
      <main id="main" className="main">
        <PageHeading>{t("views.notFoundTitle")}</PageHeading>
        <p className="empty">{t("views.notFound")}</p>
      </main>
    );
  if (!view.data)
    return (
      <main id="main" className="main">
        {view.error ? <ErrorText text={explain(view.error)} /> : <p role="status" className="loading">{t("list.loading")}</p>}
      </main>
    );
  const v = view.data;
  const source: ListSource = {
    key: ["saved-view", v.id, v.updated_at],
    page: (opts, signal) => viewTicketsPage(v.id, opts, signal),
    count: (signal) => countView(v.id, signal),
    filterable: false,
  };
  const changeable = canChangeView(v, me, abilities);
  return (
    <TicketList
      key={`${v.id}:${v.updated_at}`}
      title={v.title}
      source={source}
      defaultSort={v.execution.sort_by}
      sorts={VIEW_SORTS}
      defaultDesc={v.execution.sort_order !== "asc"}
      actions={() => (
        <>
          {!v.active ? <p className="muted">{t("views.inactiveNote")}</p> : null}
          {changeable && mode === "list" ? (
            <p className="view-actions">
              <button type="button" id="view-edit" className="secondary" onClick={() => open("edit")}>
                {t("views.edit")}
              </button>
              <button type="button" id="view-delete" className="secondary" onClick={() => open("delete")}>
                {t("views.delete")}
              </button>
            </p>
          ) : null}
          {mode === "edit" ? <ViewEditor view={v} onDone={() => setMode("list")} /> : null}
          {mode === "delete" ? <ConfirmViewDelete view={v} onCancel={() => setMode("list")} /> : null}
        </>
      )}
    />
  );
}

/** Asked before deleting a view: the focused choice is to keep it. */
function ConfirmViewDelete(props: { view: SavedView; onCancel: () => void }) {
  const invalidate = useInvalidate();
  return (
    <ConfirmDelete
      id="view-delete"
      title={t("views.deleteTitle", { title: props.view.title })}
      text={props.view.restriction?.type === "User" ? t("views.deleteTextPersonal") : t("views.deleteTextShared")}
      confirm={t("views.deleteConfirm")}
      cancel={t("views.cancel")}
      remove={async () => {
        await deleteView(props.view.id);
        await invalidate(KEYS.savedViews);
        navigate("/agent");
      }}
      onCancel={props.onCancel}
    />
  );
}

/** The view's title, whether it is active, who sees it (admins), its order and its conditions. */
function ViewEditor(props: { view: SavedView; onDone: () => void }) {
  const { me, abilities } = useWorkspace();
  const invalidate = useInvalidate();
  const v = props.view;
  const [title, setTitle] = useState(v.title);
  const [active, setActive] = useState(v.active);
  const [audience, setAudience] = useState<Audience>(audienceOf(v.restriction));
  const [sortBy, setSortBy] = useState<ViewSortBy>(v.execution.sort_by);
  const [sortOrder, setSortOrder] = useState<"asc" | "desc">(v.execution.sort_order);
  const [conditions, setConditions] = useState<ViewConditions>(v.conditions);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // The server's word on one condition (`conditions.all[1]`), shown on its row ("all-2").
  const [rowErrors, setRowErrors] = useState<Record<string, string>>({});
  const shared = v.restriction?.type !== "User";
  // The names of the people and organizations the saved conditions name by id, and of those chosen since.
  const saved = useApi(["view-condition-names", v.id, v.updated_at], async (signal) => {
    const ids = (field: ViewConditionField) => [...v.conditions.all, ...v.conditions.any].flatMap((c) => (c.field === field && typeof c.value === "number" ? [c.value] : []));
    const [people, organizations] = await Promise.all([usersById(ids("requester_id"), signal), organizationNames(ids("organization_id"), signal)]);
    return { people: new Map([...people].map(([id, u]) => [id, u.name])), organizations };
  });
  const [chosen, setChosen] = useState<{ people: Map<number, string>; organizations: Map<number, string> }>({ people: new Map(), organizations: new Map() });
  const names: Names = {
    person: (id) => chosen.people.get(id) ?? saved.data?.people.get(id) ?? (saved.data ? t("views.personGone", { id }) : t("views.personN", { id })),
    organization: (id) => chosen.organizations.get(id) ?? saved.data?.organizations.get(id) ?? (saved.data ? t("views.organizationGone", { id }) : t("views.organizationN", { id })),
    chose: (kind, o) => setChosen((c) => ({ ...c, [kind]: new Map(c[kind]).set(o.id, o.label) })),
  };

  async function save(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setRowErrors({});
    try {
      await updateView(v.id, {
        title: title.trim(),
        active,
        ...(abilities.can_manage_admin && (shared || v.restriction?.id === me.id) ? { restriction: restrictionOf(audience, me) } : {}),
        all: conditions.all,
        any: conditions.any,
        output: { sort_by: sortBy, sort_order: sortOrder },
      });
      await Promise.all([invalidate(KEYS.savedViews), invalidate(KEYS.savedView(v.id)), invalidate(KEYS.lists)]);
      props.onDone();
    } catch (err) {
      const rows = conditionErrors(err);
      setRowErrors(rows);
      setError(Object.keys(rows).length ? t("views.conditionsRefused") : explain(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="panel view-form view-editor" onSubmit={(e) => void save(e)} aria-labelledby="edit-view-title">
      <h2 id="edit-view-title">{t("views.editTitle")}</h2>
      <Field id="edit-view-name" label={t("views.title")}>
        {/* No maxLength: a browser counts UTF-16 units (an emoji is two); the server allows 255 characters and names the limit when refusing. */}
        <input value={title} onChange={(e) => setTitle(e.target.value)} required autoComplete="off" autoFocus />
      </Field>
      <CheckField id="edit-view-active" label={t("views.active")} checked={active} onChange={setActive} help={t("views.activeHelp")} />
      {abilities.can_manage_admin ? <AudienceField id="edit-view-audience" value={audience} onChange={setAudience} /> : null}
      <div className="view-order">
        <Field id="edit-view-sort" label={t("filters.sort")}>
          <select value={sortBy} onChange={(e) => setSortBy(e.target.value as ViewSortBy)}>
            {VIEW_SORTS.map((s) => (
              <option key={s} value={s}>
                {t(`sort.${s}`)}
              </option>
            ))}
          </select>
        </Field>
        <Field id="edit-view-order" label={t("filters.order")}>
          <select value={sortOrder} onChange={(e) => setSortOrder(e.target.value === "asc" ? "asc" : "desc")}>
            <option value="desc">{t("filters.desc")}</option>
            <option value="asc">{t("filters.asc")}</option>
          </select>
        </Field>
      </div>
      <ConditionRows kind="all" legend={t("views.conditionsAll")} rows={conditions.all} errors={rowErrors} names={names} onChange={(all) => setConditions((c) => ({ ...c, all }))} />
      <ConditionRows kind="any" legend={t("views.conditionsAny")} rows={conditions.any} errors={rowErrors} names={names} onChange={(any) => setConditions((c) => ({ ...c, any }))} />
      <ErrorText text={error} />
      <p className="actions">
        <button type="submit" disabled={busy || !title.trim() || (audience.kind === "group" && audience.group === null)}>
          {t("views.saveChanges")}
        </button>
        <button type="button" className="secondary" onClick={props.onDone} disabled={busy}>
          {t("views.cancel")}
        </button>
      </p>
    </form>
  );
}

/** One list of conditions ("all" or "any"): a row of field, operator and value each, rows added and removed. */
/** The server's messages about single conditions, by row ("all-1" for `conditions.all[0]`), without the place it names. */
function conditionErrors(err: unknown): Record<string, string> {
  if (!(err instanceof ApiError)) return {};
  const out: Record<string, string> = {};
  for (const [field, list] of Object.entries(err.body?.details ?? {})) {
    const m = /^conditions\.(all|any)\[(\d+)\]$/.exec(field);
    const text = list[0]?.description;
    const own = text?.startsWith(`${field}: `) ? text.slice(field.length + 2) : text;
    if (m && own) out[`${m[1]}-${Number(m[2]) + 1}`] = own.charAt(0).toUpperCase() + own.slice(1);
  }
  return out;
}

function ConditionRows(props: { kind: "all" | "any"; legend: string; rows: ViewCondition[]; errors: Record<string, string>; names: Names; onChange: (rows: ViewCondition[]) => void }) {
  const set = (i: number, c: ViewCondition) => props.onChange(props.rows.map((r, k) => (k === i ? c : r)));
  const known = new Set<string>(CONDITION_FIELDS.map((f) => f.field));
  // Keyboard: a new row's field takes the focus; after a removal, the add button does.
  const [focus, setFocus] = useState<string | null>(null);
  useEffect(() => {
    if (focus) document.getElementById(focus)?.focus();
  }, [focus, props.rows.length]);
  return (
    <fieldset className="conditions">
      <legend>{props.legend}</legend>
      {props.rows.length === 0 ? <p className="muted">{t("views.noConditions")}</p> : null}
      {props.rows.map((row, i) => {
        const n = i + 1;
        const id = `cond-${props.kind}-${n}`;
        const operators: readonly string[] = CONDITION_FIELDS.find((f) => f.field === row.field)?.operators ?? [row.operator];
        return (
          <div key={i} className="condition" role="group" aria-label={t(`views.${props.kind}.row`, { n })}>
            <Field id={`${id}-field`} label={t("views.field")}>
              <select value={row.field} onChange={(e) => set(i, blankCondition(e.target.value as ViewConditionField))}>
                {known.has(row.field) ? null : <option value={row.field}>{row.field}</option>}
                {CONDITION_FIELDS.map((f) => (
                  <option key={f.field} value={f.field}>
                    {t(`views.field.${f.field}`)}
                  </option>
                ))}
              </select>
            </Field>
            <Field id={`${id}-op`} label={t("views.operator")}>
              <select value={row.operator} onChange={(e) => set(i, { ...row, operator: e.target.value as ViewOperator })}>
                {operators.map((o) => (
                  <option key={o} value={o}>
                    {isOperator(o) ? t(`views.op.${o}`) : o}
                  </option>
                ))}
              </select>
            </Field>
            <ValueInput id={`${id}-value`} row={row} names={props.names} onChange={(value) => set(i, { ...row, value })} />
            <button type="button" className="secondary" onClick={() => {
                props.onChange(props.rows.filter((_, k) => k !== i));
                setFocus(`cond-${props.kind}-add`);
              }} aria-label={t(`views.${props.kind}.remove`, { n })}>
              {t("views.remove")}
            </button>
            {props.errors[`${props.kind}-${n}`] ? (
              <p className="error condition-error" id={`${id}-error`}>
                {props.errors[`${props.kind}-${n}`]}
              </p>
            ) : null}
          </div>
        );
      })}
      <button
        type="button"
        id={`cond-${props.kind}-add`}
        className="secondary"
        onClick={() => {
          props.onChange([...props.rows, blankCondition("status")]);
          setFocus(`cond-${props.kind}-${props.rows.length + 1}-field`);
        }}
      >
        {t(`views.${props.kind}.add`)}
      </button>
    </fieldset>
  );
}

/** The value of one condition, by its field: the ticket's own choices, the pickers, text for tags, hours as a number. */
function ValueInput(props: { id: string; row: ViewCondition; names: Names; onChange: (v: ViewCondition["value"]) => void }) {
  const { pickers } = useWorkspace();
  const { row, id } = props;
  const label = t("views.value");
  const str = row.value === null ? "" : String(row.value);
  switch (row.field) {
    case "status":
      return <StatusSelect id={id} label={label} value={str} onChange={props.onChange} />;
    case "priority":
      return <PrioritySelect id={id} label={label} value={str} onChange={props.onChange} first={[]} />;
    case "type":
      return <TypeSelect id={id} label={label} value={str} onChange={props.onChange} first={[]} />;
    case "assignee_id":
      return (
        <AssigneeSelect
          id={id}
          label={label}
          value={str}
          onChange={(v) => props.onChange(v === "" ? null : v === "current_user" ? v : Number(v))}
          pickers={pickers}
          current={typeof row.value === "number" ? row.value : null}
          first={[
            { value: "current_user", label: t("views.currentUser") },
            { value: "", label: t("ticket.unassigned") },
          ]}
        />
      );
    case "group_id":
      return (
        <GroupSelect
          id={id}
          label={label}
          value={str}
          onChange={(v) => props.onChange(v === "" ? null : v === "current_groups" ? v : Number(v))}
          pickers={pickers}
          first={[
            { value: "current_groups", label: t("views.currentGroups") },
            { value: "", label: t("props.noGroup") },
          ]}
        />
      );
    case "current_tags":
      return (
        <Field id={id} label={label} help={t("views.tagsHelp")}>
          <input value={str} onChange={(e) => props.onChange(e.target.value)} autoComplete="off" spellCheck={false} maxLength={1000} />
        </Field>
      );
    case "hours_since_created":
    case "hours_since_updated":
    case "hours_since_solved":
      return (
        <Field id={id} label={t("views.hours")}>
          <input type="number" min={0} max={87600} step={1} value={str} onChange={(e) => props.onChange(e.target.value === "" ? null : Number(e.target.value))} />
        </Field>
      );
    case "requester_id":
      return (
        <ChosenValue
          id={id}
          label={label}
          value={row.value}
          fixed={[{ value: "current_user", label: t("views.currentUser") }]}
          nameOf={props.names.person}
          search={findPeople}
          findLabel={t("views.findPerson")}
          findHelp={t("views.findPersonHelp")}
          onPick={(o) => {
            props.names.chose("people", o);
            props.onChange(o.id);
          }}
          onChange={props.onChange}
        />
      );
    case "organization_id":
      return (
        <ChosenValue
          id={id}
          label={label}
          value={row.value}
          fixed={[{ value: "", label: t("views.noOrganization") }]}
          nameOf={props.names.organization}
          search={findOrganizations}
          findLabel={t("views.findOrganization")}
          findHelp={t("views.findOrganizationHelp")}
          onPick={(o) => {
            props.names.chose("organizations", o);
            props.onChange(o.id);
          }}
          onChange={props.onChange}
        />
      );
    default:
      // A field this editor does not know (a newer server's): its value as text.
      return (
        <Field id={id} label={label}>
          <input value={str} onChange={(e) => props.onChange(e.target.value === "" ? null : /^\d+$/.test(e.target.value) ? Number(e.target.value) : e.target.value)} autoComplete="off" />
        </Field>
      );
  }
}

/** How the editor names the people and organizations its conditions hold by id, and learns the names of those chosen. */
type Names = {
  person: (id: number) => string;
  organization: (id: number) => string;
  chose: (kind: "people" | "organizations", o: TypeAheadOption) => void;
};

/**
 * A person or an organization as a condition's value: a list of the fixed choices ("Current user",
 * "No organization") and the one chosen, by name, with a type-ahead under it to choose another.
 */
function ChosenValue(props: {
  id: string;
  label: string;
  value: ViewCondition["value"];
  fixed: ReadonlyArray<{ value: string; label: string }>;
  nameOf: (id: number) => string;
  search: (text: string, signal: AbortSignal) => Promise<TypeAheadOption[]>;
  findLabel: string;
  findHelp: string;
  onPick: (o: TypeAheadOption) => void;
  onChange: (v: ViewCondition["value"]) => void;
}) {
  const str = props.value === null ? "" : String(props.value);
  return (
    <div className="condition-choice">
      <Field id={props.id} label={props.label}>
        <select value={str} onChange={(e) => props.onChange(e.target.value === "" ? null : /^\d+$/.test(e.target.value) ? Number(e.target.value) : e.target.value)}>
          {props.fixed.map((f) => (
            <option key={f.value} value={f.value}>
              {f.label}
            </option>
          ))}
          {typeof props.value === "number" ? <option value={str}>{props.nameOf(props.value)}</option> : null}
          {props.value !== null && typeof props.value !== "number" && !props.fixed.some((f) => f.value === str) ? <option value={str}>{str}</option> : null}
        </select>
      </Field>
      <TypeAhead id={`${props.id}-find`} label={props.findLabel} help={props.findHelp} search={props.search} onPick={props.onPick} />
    </div>
  );
}
