import { useState, type FormEvent } from "react";
import { client, explain, ok } from "../api.ts";
import type { Organization, User } from "../api-schema.ts";
import { ErrorText, Field, StatusText } from "../components/Field.tsx";
import { RestrictionBanner } from "../components/RestrictionBanner.tsx";
import { TypeAhead, type TypeAheadOption } from "../components/TypeAhead.tsx";
import { Loadable, useApi, useInvalidate } from "../data.tsx";
import { formatDate, t } from "../i18n/index.ts";
import { Link } from "../router.tsx";
import { findOrganizations, findPeople } from "./lookups.ts";
import { KEYS, searchPage } from "./model.ts";
import { useWorkspace } from "./workspace.ts";

const requesterKey = (requesterId: number, ticketId: number) => ["requester", requesterId, ticketId] as const;

/**
 * Who asked: the requester's name, e-mail, phone and organization, and their other recent tickets.
 * Where the ticket's properties may be changed, "Change requester" makes someone else the
 * requester (a type-ahead over people by name or address, or a new end user added by name and
 * address), saved at once in the ticket's history like any change. "Edit details" corrects the
 * requester's own profile through `PUT /users/{id}`: offered only where the session's abilities
 * and the person's role say it may be (agents edit end users), and whatever the server still
 * refuses (an address already someone else's, no mail server for the confirmation link, a person
 * changed meanwhile) is shown as its own sentence while the form stays as typed.
 */
export function RequesterPanel(props: { requesterId: number; ticketId: number; canChange: boolean; onChangeRequester: (id: number) => Promise<string | null> }) {
  const { me, abilities } = useWorkspace();
  const invalidate = useInvalidate();
  const [mode, setMode] = useState<"view" | "edit" | "change">("view");
  const [status, setStatus] = useState<string | null>(null);
  const state = useApi(requesterKey(props.requesterId, props.ticketId), async (signal) => {
    const { user } = await ok(client.GET("/api/v2/users/{id}", { params: { path: { id: props.requesterId } }, signal }));
    const [organization, recent] = await Promise.all([
      user.organization_id
        ? ok(client.GET("/api/v2/organizations/{id}", { params: { path: { id: user.organization_id } }, signal })).then(
            (r) => r.organization,
            () => null,
          )
        : null,
      searchPage(`requester:${props.requesterId}`, { sort: "updated_at", desc: true, size: 6 }, signal),
    ]);
    return { user, organization, others: recent.results.filter((x) => x.id !== props.ticketId).slice(0, 5) };
  });

  /** Whether the person's profile is offered for editing: the rules the session's abilities make knowable (the server decides the rest). */
  const mayEdit = (u: User) => {
    if (!u.active) return false;
    if (u.id === me.id) return true;
    if (u.vaultdesk_role === "end_user") return abilities.can_edit_end_users;
    // Staff: admins and owners edit them, but nobody another owner.
    return (me.vaultdesk_role === "owner" || me.vaultdesk_role === "admin") && u.vaultdesk_role !== "owner";
  };

  return (
    <section className="requester" aria-labelledby="requester-heading">
      <h2 id="requester-heading">{t("requester.title")}</h2>
      <Loadable state={state} loadingText={t("requester.loading")}>
        {(data) => (
          <>
            <RestrictionBanner user={data.user} />
            <dl>
              <dt>{t("requester.name")}</dt>
              <dd>{data.user.name}</dd>
              <dt>{t("requester.email")}</dt>
              <dd>{data.user.email ?? t("requester.noEmail")}</dd>
              {data.user.phone ? (
                <>
                  <dt>{t("requester.phone")}</dt>
                  <dd>{data.user.phone}</dd>
                </>
              ) : null}
              <dt>{t("requester.organization")}</dt>
              <dd>{data.organization?.name ?? t("requester.noOrganization")}</dd>
            </dl>
            <StatusText text={mode === "view" ? status : null} />
            {mode === "view" && (props.canChange || mayEdit(data.user)) ? (
              <p className="requester-head">
                {mayEdit(data.user) ? (
                  <button type="button" className="secondary small" onClick={() => (setStatus(null), setMode("edit"))}>
                    {t("requester.edit")}
                  </button>
                ) : null}
                {props.canChange ? (
                  <button type="button" className="secondary small" onClick={() => (setStatus(null), setMode("change"))}>
                    {t("requester.change")}
                  </button>
                ) : null}
              </p>
            ) : null}
            {mode === "edit" ? (
              <EditDetails
                user={data.user}
                organization={data.organization}
                onCancel={() => setMode("view")}
                onSaved={async (message) => {
                  await invalidate(["requester", props.requesterId]);
                  await invalidate(KEYS.ticket(props.ticketId));
                  setStatus(message);
                  setMode("view");
                }}
              />
            ) : null}
            {mode === "change" ? (
              <ChangeRequester
                current={data.user.id}
                canCreate={abilities.can_create_end_users}
                onCancel={() => setMode("view")}
                onChange={async (person) => {
                  const error = await props.onChangeRequester(person.id);
                  if (error === null) {
                    setStatus(t("requester.changed", { name: person.label }));
                    setMode("view");
                  }
                  return error;
                }}
              />
            ) : null}
            <h3>{t("requester.others")}</h3>
            {data.others.length ? (
              <ul className="other-tickets">
                {data.others.map((o) => (
                  <li key={o.id}>
                    <Link to={`/agent/tickets/${o.id}`}>{t("requester.ticket", { id: o.id, subject: o.subject })}</Link>{" "}
                    <span className={`badge status-${o.status}`}>{t(`status.${o.status}`)}</span>{" "}
                    <time dateTime={o.updated_at}>{formatDate(o.updated_at)}</time>
                  </li>
                ))}
              </ul>
            ) : (
              <p className="muted">{t("requester.noOthers")}</p>
            )}
          </>
        )}
      </Loadable>
    </section>
  );
}

function ChangeRequester(props: { current: number; canCreate: boolean; onCancel: () => void; onChange: (person: TypeAheadOption) => Promise<string | null> }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  // The person this form added, by the address typed: when making them requester was refused (the
  // ticket changed meanwhile), trying again uses them rather than adding the address a second time.
  const [added, setAdded] = useState<{ email: string; person: TypeAheadOption } | null>(null);

  async function change(person: TypeAheadOption) {
    if (person.id === props.current) return setError(t("requester.alreadyRequester", { name: person.label }));
    setError(null);
    setBusy(true);
    const refused = await props.onChange(person);
    setBusy(false);
    if (refused !== null) setError(refused);
  }

  async function addPerson(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const address = email.trim();
      let person = added && added.email.toLowerCase() === address.toLowerCase() ? added.person : null;
      if (!person) {
        const { user } = await ok(client.POST("/api/v2/users", { body: { user: { name: name.trim(), email: address, role: "end-user" } } }));
        person = { id: user.id, label: user.name };
        setAdded({ email: address, person });
      }
      const refused = await props.onChange(person);
      if (refused !== null) setError(refused);
    } catch (err) {
      setError(explain(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="requester-change" role="group" aria-labelledby="requester-change-heading">
      <h3 id="requester-change-heading">{t("requester.changeTitle")}</h3>
      <TypeAhead id="requester-find" label={t("requester.find")} help={t("requester.findHelp")} search={findPeople} onPick={(p) => void change(p)} disabled={busy} autoFocus />
      {props.canCreate ? (
        <form onSubmit={(e) => void addPerson(e)} aria-labelledby="requester-new-heading">
          <h3 id="requester-new-heading">{t("requester.newPerson")}</h3>
          <Field id="requester-new-name" label={t("requester.name")}>
            <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={255} autoComplete="off" />
          </Field>
          <Field id="requester-new-email" label={t("requester.newEmail")}>
            <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} required maxLength={254} autoComplete="off" />
          </Field>
          <p className="actions">
            <button type="submit" disabled={busy}>
              {t("requester.addAndUse")}
            </button>
          </p>
        </form>
      ) : null}
      <ErrorText text={error} />
      <p className="actions">
        <button type="button" className="secondary" disabled={busy} onClick={props.onCancel}>
          {busy ? t("requester.working") : t("requester.cancel")}
        </button>
      </p>
    </div>
  );
}

function EditDetails(props: { user: User; organization: Organization | null; onCancel: () => void; onSaved: (message: string) => Promise<void> }) {
  const { user } = props;
  const [name, setName] = useState(user.name);
  const [email, setEmail] = useState(user.email ?? "");
  const [phone, setPhone] = useState(user.phone ?? "");
  const [org, setOrg] = useState<{ id: number; name: string } | null>(props.organization ? { id: props.organization.id, name: props.organization.name } : user.organization_id ? { id: user.organization_id, name: t("requester.organizationN", { id: user.organization_id }) } : null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function save(e: FormEvent) {
    e.preventDefault();
    const change: { name?: string; email?: string; phone?: string | null; organization_id?: number | null } = {};
    if (name.trim() !== user.name) change.name = name.trim();
    if (email.trim() && email.trim() !== (user.email ?? "")) change.email = email.trim();
    if (phone.trim() !== (user.phone ?? "")) change.phone = phone.trim() || null;
    if ((org?.id ?? null) !== user.organization_id) change.organization_id = org?.id ?? null;
    if (Object.keys(change).length === 0) return setError(t("requester.nothingChanged"));
    setError(null);
    setBusy(true);
    try {
      const r = await ok(client.PUT("/api/v2/users/{id}", { params: { path: { id: user.id } }, body: { user: change } }));
      // Staff's change of an address waits for the link sent to it (unless the server could set it at once).
      const pending = change.email !== undefined && r.user.email !== change.email;
      await props.onSaved(pending ? t("requester.emailLinkSent", { email: change.email ?? "" }) : t("requester.saved"));
    } catch (err) {
      setError(explain(err));
      setBusy(false);
    }
  }

  return (
    <form onSubmit={(e) => void save(e)} aria-labelledby="requester-edit-heading" aria-busy={busy}>
      <h3 id="requester-edit-heading">{t("requester.editTitle")}</h3>
      <Field id="requester-edit-name" label={t("requester.name")}>
        <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={255} autoComplete="off" autoFocus />
      </Field>
      <Field id="requester-edit-email" label={t("requester.email")} help={t("requester.emailHelp")}>
        <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} maxLength={254} autoComplete="off" />
      </Field>
      <Field id="requester-edit-phone" label={t("requester.phone")}>
        <input type="tel" value={phone} onChange={(e) => setPhone(e.target.value)} maxLength={40} autoComplete="off" />
      </Field>
      <p className="requester-head">
        <span>
          {t("requester.organization")}: <strong>{org?.name ?? t("requester.noOrganization")}</strong>
        </span>
        {org ? (
          <button type="button" className="secondary small" onClick={() => setOrg(null)} aria-label={t("requester.removeOrg", { name: org.name })}>
            {t("requester.removeOrgShort")}
          </button>
        ) : null}
      </p>
      <TypeAhead id="requester-edit-org" label={t("requester.orgFind")} help={t("requester.orgFindHelp")} search={findOrganizations} onPick={(o) => setOrg({ id: o.id, name: o.label })} disabled={busy} />
      <ErrorText text={error} />
      <p className="actions">
        <button type="submit" disabled={busy}>
          {busy ? t("requester.working") : t("requester.save")}
        </button>
        <button type="button" className="secondary" disabled={busy} onClick={props.onCancel}>
          {t("requester.cancel")}
        </button>
      </p>
    </form>
  );
}
