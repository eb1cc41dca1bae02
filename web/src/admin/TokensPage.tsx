import { useState, type FormEvent } from "react";
import { client, explain, ok } from "../api.ts";
import { needsSignInAgain, SignInAgain, useFailure } from "../components/SignInAgain.tsx";
import type { Abilities, ApiScope, ApiSettings, ApiToken, User } from "../api-schema.ts";
import { ErrorText, Field, StatusText } from "../components/Field.tsx";
import { Loadable, useApi, useSetData } from "../data.tsx";
import { formatDate, t, type MessageKey } from "../i18n/index.ts";
import { PageHeading } from "../router.tsx";
import { usersById } from "./admin-api.ts";
import { ListTable } from "./ListTable.tsx";
import { OnceBox } from "./OnceBox.tsx";
import { AuthorizedApps } from "./AuthorizedApps.tsx";

/**
 * Every scope the server knows, with its label. Keyed by the server's own type (from the OpenAPI
 * document), so a scope the server adds is a compile error here until it has a label.
 */
const SCOPE_LABELS: Record<ApiScope, MessageKey> = {
  read: "admin.tokens.scope.read",
  write: "admin.tokens.scope.write",
  "tickets:read": "admin.tokens.scope.tickets:read",
  "tickets:write": "admin.tokens.scope.tickets:write",
  "users:read": "admin.tokens.scope.users:read",
  "users:write": "admin.tokens.scope.users:write",
  "organizations:read": "admin.tokens.scope.organizations:read",
  "organizations:write": "admin.tokens.scope.organizations:write",
  "auditlogs:read": "admin.tokens.scope.auditlogs:read",
  "hc:read": "admin.tokens.scope.hc:read",
  "hc:write": "admin.tokens.scope.hc:write",
};
const SCOPES = Object.keys(SCOPE_LABELS) as ApiScope[];
const EXPIRY_DAYS = [7, 30, 90, 365] as const;
const OVERLAP_HOURS = [0, 1, 24, 72, 168] as const;
const DAY = 86_400_000;
const dateInput = (ms: number) => new Date(ms).toISOString().slice(0, 10);

type Shown = { id: string; label: string; intro: string; token: string; note?: string | undefined };

/**
 * `/admin/tokens`: API tokens — create with scopes and an expiry (the secret shown once), the list
 * with the last use (time and address), rotate (the new secret shown once, the old one's end),
 * revoke; and the tenant's password access to the API (for those the server lets change it). The
 * server decides whose tokens are listed: everyone's for admins, an agent's own for an agent.
 */
export function TokensPage(props: { abilities: Abilities }) {
  const list = useApi(["api_tokens"], async (signal) => {
    const r = await ok(client.GET("/api/v2/api_tokens", { signal }));
    const owners = await usersById(r.api_tokens.map((x) => x.user_id), signal).catch(() => new Map<number, User>());
    return { tokens: [...r.api_tokens].reverse(), owners };
  });
  const settings = useApi(props.abilities.can_manage_api_settings ? ["api_settings"] : null, async (signal) => (await ok(client.GET("/api/v2/api_settings", { signal }))).api_settings);
  const owners = list.data?.owners ?? new Map<number, User>();
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<ApiScope[]>(["read", "write"]);
  const [expiry, setExpiry] = useState<string>("never");
  const [expiryDate, setExpiryDate] = useState(dateInput(Date.now() + 30 * DAY));
  const [overlap, setOverlap] = useState<number>(24);
  const [shown, setShown] = useState<Shown | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [signInAgain, setSignInAgain] = useState(false);
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  /** An error, or the notice that the sign-in is too old for a new secret. */
  const fail = (err: unknown) => (needsSignInAgain(err) ? setSignInAgain(true) : setError(explain(err)));

  function expiresAt(): string | null {
    if (expiry === "never") return null;
    if (expiry === "date") return expiryDate;
    return new Date(Date.now() + Number(expiry) * DAY).toISOString();
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setSignInAgain(false);
    setStatus(null);
    try {
      const r = await ok(client.POST("/api/v2/api_tokens", { body: { api_token: { name, scopes, expires_at: expiresAt() } } }));
      setShown({ id: "new-token", label: t("admin.tokens.secretLabel"), intro: t("admin.tokens.secretIntro", { name: r.api_token.name }), token: r.api_token.token });
      setName("");
      await list.reload();
    } catch (err) {
      fail(err);
    } finally {
      setBusy(false);
    }
  }

  async function rotate(tk: ApiToken) {
    setError(null);
    setSignInAgain(false);
    setStatus(null);
    try {
      const r = await ok(client.POST("/api/v2/api_tokens/{id}/rotate", { params: { path: { id: tk.id } }, body: { overlap_hours: overlap } }));
      const until = r.api_token.previous_token_expires_at;
      setShown({
        id: "rotated-token",
        label: t("admin.tokens.rotatedLabel"),
        intro: t("admin.tokens.rotatedIntro", { name: tk.name }),
        token: r.api_token.token,
        note: until ? t("admin.tokens.rotatedOverlap", { date: formatDate(until) }) : t("admin.tokens.rotatedNoOverlap"),
      });
      await list.reload();
    } catch (err) {
      fail(err);
    }
  }

  async function revoke(tk: ApiToken) {
    setError(null);
    try {
      await ok(client.DELETE("/api/v2/api_tokens/{id}", { params: { path: { id: tk.id } } }));
      setStatus(t("admin.tokens.revoked", { name: tk.name }));
      setShown(null);
      await list.reload();
    } catch (err) {
      setError(explain(err));
    }
  }

  const toggle = (s: ApiScope, on: boolean) => setScopes((cur) => (on ? SCOPES.filter((x) => x === s || cur.includes(x)) : cur.filter((x) => x !== s)));
  const statusOf = (tk: ApiToken): MessageKey => (tk.active ? "admin.tokens.active" : tk.expires_at && new Date(tk.expires_at) <= new Date() ? "admin.tokens.expiredStatus" : "admin.tokens.revokedStatus");

  return (
    <main id="main" className="main">
      <PageHeading>{t("admin.tokens.title")}</PageHeading>
      <p className="muted">{t("admin.tokens.intro")}</p>
      <form className="form" onSubmit={submit} aria-busy={busy}>
        <Field id="token-name" label={t("admin.tokens.name")} help={t("admin.tokens.nameHelp")}>
          <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={255} />
        </Field>
        <fieldset className="choice" aria-describedby="token-scopes-help">
          <legend>{t("admin.tokens.scopes")}</legend>
          <p className="help" id="token-scopes-help">
            {t("admin.tokens.scopesHelp")}
          </p>
          {SCOPES.map((s) => (
            <label key={s} className="check">
              <input type="checkbox" name="token-scope" value={s} checked={scopes.includes(s)} onChange={(e) => toggle(s, e.target.checked)} /> {t(SCOPE_LABELS[s])}
            </label>
          ))}
        </fieldset>
        <Field id="token-expiry" label={t("admin.tokens.expiry")} help={t("admin.tokens.expiryHelp")}>
          <select value={expiry} onChange={(e) => setExpiry(e.target.value)}>
            <option value="never">{t("admin.tokens.expiry.never")}</option>
            {EXPIRY_DAYS.map((d) => (
              <option key={d} value={String(d)}>
                {t("admin.tokens.expiry.days", { count: d })}
              </option>
            ))}
            <option value="date">{t("admin.tokens.expiry.date")}</option>
          </select>
        </Field>
        {expiry === "date" ? (
          <Field id="token-expiry-date" label={t("admin.tokens.expiryDate")}>
            <input type="date" required value={expiryDate} min={dateInput(Date.now() + DAY)} max={dateInput(Date.now() + 365 * DAY)} onChange={(e) => setExpiryDate(e.target.value)} />
          </Field>
        ) : null}
        <button type="submit" disabled={busy || scopes.length === 0}>
          {t("admin.tokens.create")}
        </button>
      </form>
      <ErrorText text={error} />
      {signInAgain ? <SignInAgain /> : null}
      <StatusText text={status} />
      {shown ? (
        <>
          <OnceBox id={shown.id} label={shown.label} value={shown.token} intro={shown.intro} />
          {shown.note ? <p role="status">{shown.note}</p> : null}
        </>
      ) : null}
      <h2>{t("admin.tokens.listTitle")}</h2>
      <Field id="token-overlap" label={t("admin.tokens.overlap")} help={t("admin.tokens.overlapHelp")}>
        <select value={String(overlap)} onChange={(e) => setOverlap(Number(e.target.value))}>
          {OVERLAP_HOURS.map((h) => (
            <option key={h} value={String(h)}>
              {h === 0 ? t("admin.tokens.overlap.none") : t("admin.tokens.overlap.hours", { count: h })}
            </option>
          ))}
        </select>
      </Field>
      <ListTable
        state={list}
        rows={(d) => d.tokens}
        rowKey={(tk) => tk.id}
        caption={t("admin.tokens.listTitle")}
        empty={t("admin.tokens.empty")}
        columns={[
          { label: t("admin.tokens.name"), primary: true, cell: (tk) => tk.name },
          { label: t("admin.tokens.owner"), cell: (tk) => owners.get(tk.user_id)?.name ?? t("ticket.unknownUser", { id: tk.user_id }) },
          { label: t("admin.tokens.scopes"), cell: (tk) => tk.scopes.join(", ") },
          { label: t("admin.tokens.created"), cell: (tk) => <time dateTime={tk.created_at}>{formatDate(tk.created_at)}</time> },
          { label: t("admin.tokens.expires"), cell: (tk) => (tk.expires_at ? <time dateTime={tk.expires_at}>{formatDate(tk.expires_at)}</time> : t("admin.tokens.noExpiry")) },
          {
            label: t("admin.tokens.lastUsed"),
            cell: (tk) => (
              <>
                {tk.last_used_at ? <time dateTime={tk.last_used_at}>{formatDate(tk.last_used_at)}</time> : t("admin.tokens.never")}
                {tk.last_used_ip ? <div className="muted">{t("admin.tokens.from", { address: tk.last_used_ip })}</div> : null}
              </>
            ),
          },
          {
            label: t("admin.tokens.status"),
            cell: (tk) => (
              <>
                {t(statusOf(tk))}
                {tk.previous_token_expires_at ? <div className="muted">{t("admin.tokens.oldUntil", { date: formatDate(tk.previous_token_expires_at) })}</div> : null}
              </>
            ),
          },
        ]}
        actions={(tk) =>
          tk.active ? (
            <span className="actions">
              {tk.can_rotate ? (
                // Only its own person rotates a token (the new secret is shown to whoever rotates it).
                <>
                  <button type="button" className="secondary" onClick={() => void rotate(tk)} aria-label={t("admin.tokens.rotateFor", { name: tk.name })}>
                    {t("admin.tokens.rotate")}
                  </button>{" "}
                </>
              ) : null}
              <button type="button" className="secondary" onClick={() => void revoke(tk)} aria-label={t("admin.tokens.revokeFor", { name: tk.name })}>
                {t("admin.tokens.revoke")}
              </button>
            </span>
          ) : null
        }
      />
      {props.abilities.can_manage_api_settings ? <Loadable state={settings}>{(s) => <PasswordAccess settings={s} />}</Loadable> : null}
      <AuthorizedApps />
    </main>
  );
}

/** The tenant's password access to the API (admins). */
function PasswordAccess(props: { settings: ApiSettings }) {
  const setData = useSetData();
  const [on, setOn] = useState(props.settings.password_access);
  const failure = useFailure();
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    failure.clear();
    setStatus(null);
    try {
      const r = (await ok(client.PUT("/api/v2/api_settings", { body: { api_settings: { password_access: on } } }))).api_settings;
      setData(["api_settings"], r);
      setStatus(t(r.password_access ? "admin.tokens.passwordOn" : "admin.tokens.passwordOff"));
    } catch (err) {
      failure.fail(err);
    } finally {
      setBusy(false);
    }
  }
  return (
    <section aria-labelledby="password-access-heading">
      <h2 id="password-access-heading">{t("admin.tokens.passwordTitle")}</h2>
      <p className="muted">{t("admin.tokens.passwordIntro")}</p>
      <form className="form" onSubmit={submit} aria-busy={busy}>
        <label className="check">
          <input type="checkbox" role="switch" checked={on} onChange={(e) => setOn(e.target.checked)} /> {t("admin.tokens.passwordSwitch")}
        </label>
        {failure.notice}
        <StatusText text={status} />
        <p className="actions">
          <button type="submit" disabled={busy}>
            {t("admin.save")}
          </button>
        </p>
      </form>
    </section>
  );
}
