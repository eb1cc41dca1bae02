import { useState, type FormEvent } from "react";
import { client, explain, ok } from "../api.ts";
import type { ApiToken, User } from "../api-schema.ts";
import { ErrorText, Field, StatusText } from "../components/Field.tsx";
import { Loadable, useApi } from "../data.tsx";
import { formatDate, t } from "../i18n/index.ts";
import { PageHeading } from "../router.tsx";
import { usersById } from "./admin-api.ts";
import { OnceBox } from "./OnceBox.tsx";
import { AuthorizedApps } from "./AuthorizedApps.tsx";

/** `/admin/tokens`: API tokens — create (shown once), list with last use, revoke; then the authorized OAuth apps. */
export function TokensPage() {
  const list = useApi(["api_tokens"], async (signal) => {
    const r = await ok(client.GET("/api/v2/api_tokens", { signal }));
    const owners = await usersById(r.api_tokens.map((x) => x.user_id), signal).catch(() => new Map<number, User>());
    return { tokens: [...r.api_tokens].reverse(), owners };
  });
  const tokens = list.data?.tokens;
  const owners = list.data?.owners ?? new Map<number, User>();
  const [name, setName] = useState("");
  const [write, setWrite] = useState(true);
  const [secret, setSecret] = useState<{ name: string; token: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setStatus(null);
    try {
      const r = await ok(client.POST("/api/v2/api_tokens", { body: { api_token: { name, scopes: write ? ["read", "write"] : ["read"] } } }));
      setSecret({ name: r.api_token.name, token: r.api_token.token });
      setName("");
      await list.reload();
    } catch (err) {
      setError(explain(err));
    } finally {
      setBusy(false);
    }
  }

  async function revoke(tk: ApiToken) {
    setError(null);
    try {
      await ok(client.DELETE("/api/v2/api_tokens/{id}", { params: { path: { id: tk.id } } }));
      setStatus(t("admin.tokens.revoked", { name: tk.name }));
      if (secret?.name === tk.name) setSecret(null);
      await list.reload();
    } catch (err) {
      setError(explain(err));
    }
  }

  return (
    <main id="main" className="main">
      <PageHeading>{t("admin.tokens.title")}</PageHeading>
      <p className="muted">{t("admin.tokens.intro")}</p>
      <form className="form" onSubmit={submit} aria-busy={busy}>
        <Field id="token-name" label={t("admin.tokens.name")} help={t("admin.tokens.nameHelp")}>
          <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={255} />
        </Field>
        <fieldset className="choice">
          <legend>{t("admin.tokens.scopes")}</legend>
          <label>
            <input type="radio" name="token-scope" checked={!write} onChange={() => setWrite(false)} />
            {t("admin.tokens.readOnly")}
          </label>
          <label>
            <input type="radio" name="token-scope" checked={write} onChange={() => setWrite(true)} />
            {t("admin.tokens.readWrite")}
          </label>
        </fieldset>
        <button type="submit" disabled={busy}>
          {t("admin.tokens.create")}
        </button>
      </form>
      <ErrorText text={error} />
      <StatusText text={status} />
      {secret ? <OnceBox id="new-token" label={t("admin.tokens.secretLabel")} value={secret.token} intro={t("admin.tokens.secretIntro", { name: secret.name })} /> : null}
      <h2>{t("admin.tokens.listTitle")}</h2>
      <Loadable state={list}>{() => null}</Loadable>
      {tokens && tokens.length === 0 ? <p className="empty">{t("admin.tokens.empty")}</p> : null}
      {tokens && tokens.length > 0 ? (
        <table className="admin">
          <caption className="sr-only">{t("admin.tokens.listTitle")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("admin.tokens.name")}</th>
              <th scope="col">{t("admin.tokens.owner")}</th>
              <th scope="col">{t("admin.tokens.scopes")}</th>
              <th scope="col">{t("admin.tokens.created")}</th>
              <th scope="col">{t("admin.tokens.lastUsed")}</th>
              <th scope="col">{t("admin.tokens.status")}</th>
              <th scope="col">
                <span className="sr-only">{t("admin.actions")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {tokens.map((tk) => (
              <tr key={tk.id}>
                <td data-label={t("admin.tokens.name")} className="primary">
                  {tk.name}
                </td>
                <td data-label={t("admin.tokens.owner")}>{owners.get(tk.user_id)?.name ?? t("ticket.unknownUser", { id: tk.user_id })}</td>
                <td data-label={t("admin.tokens.scopes")}>{tk.scopes.join(", ")}</td>
                <td data-label={t("admin.tokens.created")}>
                  <time dateTime={tk.created_at}>{formatDate(tk.created_at)}</time>
                </td>
                <td data-label={t("admin.tokens.lastUsed")}>{tk.last_used_at ? <time dateTime={tk.last_used_at}>{formatDate(tk.last_used_at)}</time> : t("admin.tokens.never")}</td>
                <td data-label={t("admin.tokens.status")}>{t(tk.active ? "admin.tokens.active" : "admin.tokens.revokedStatus")}</td>
                <td>
                  {tk.active ? (
                    <button type="button" className="secondary" onClick={() => void revoke(tk)} aria-label={t("admin.tokens.revokeFor", { name: tk.name })}>
                      {t("admin.tokens.revoke")}
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <AuthorizedApps />
    </main>
  );
}
