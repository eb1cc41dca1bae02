import { useCallback, useEffect, useState, type FormEvent } from "react";
import { api, explain } from "../api.ts";
import { ErrorText, Field, StatusText } from "../components/Field.tsx";
import { formatDate, t } from "../i18n/index.ts";
import { PageHeading } from "../router.tsx";
import { usersById, type AdminUser, type ApiToken } from "./admin-api.ts";
import { OnceBox } from "./OnceBox.tsx";

/** `/admin/tokens`: API tokens — create (shown once), list with last use, revoke. */
export function TokensPage() {
  const [tokens, setTokens] = useState<ApiToken[] | null>(null);
  const [owners, setOwners] = useState<Map<number, AdminUser>>(new Map());
  const [name, setName] = useState("");
  const [write, setWrite] = useState(true);
  const [secret, setSecret] = useState<{ name: string; token: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(() => {
    (async () => {
      const r = await api<{ api_tokens: ApiToken[] }>("GET", "api_tokens.json");
      setTokens([...r.api_tokens].reverse());
      setOwners(await usersById(r.api_tokens.map((x) => x.user_id)).catch(() => new Map<number, AdminUser>()));
    })().catch((err: unknown) => setError(explain(err)));
  }, []);
  useEffect(load, [load]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setStatus(null);
    try {
      const r = await api<{ api_token: ApiToken & { token: string } }>("POST", "api_tokens.json", { api_token: { name, scopes: write ? ["read", "write"] : ["read"] } });
      setSecret({ name: r.api_token.name, token: r.api_token.token });
      setName("");
      load();
    } catch (err) {
      setError(explain(err));
    } finally {
      setBusy(false);
    }
  }

  async function revoke(tk: ApiToken) {
    setError(null);
    try {
      await api("DELETE", `api_tokens/${tk.id}.json`);
      setStatus(t("admin.tokens.revoked", { name: tk.name }));
      if (secret?.name === tk.name) setSecret(null);
      load();
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
      {!tokens ? <p role="status">{t("app.loading")}</p> : null}
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
    </main>
  );
}
