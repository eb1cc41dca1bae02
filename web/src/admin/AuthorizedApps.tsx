import { useState } from "react";
import { client, explain, ok } from "../api.ts";
import type { OAuthToken, User } from "../api-schema.ts";
import { ErrorText, StatusText } from "../components/Field.tsx";
import { Loadable, useApi } from "../data.tsx";
import { formatDate, t } from "../i18n/index.ts";
import { usersById } from "./admin-api.ts";

/**
 * Authorized apps (Zendesk's OAuth tokens): one row per consent, however often its tokens were
 * refreshed. The server decides whose are listed (admins: everyone's). Shown beside API tokens.
 */
export function AuthorizedApps() {
  const list = useApi(["oauth_tokens"], async (signal) => {
    const r = await ok(client.GET("/api/v2/oauth/tokens", { signal }));
    const people = await usersById(r.tokens.map((x) => x.user_id), signal).catch(() => new Map<number, User>());
    return { tokens: r.tokens, people };
  });
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);

  async function revoke(tk: OAuthToken) {
    setError(null);
    try {
      await ok(client.DELETE("/api/v2/oauth/tokens/{id}", { params: { path: { id: tk.id } } }));
      setStatus(t("oauth.apps.revoked", { name: tk.client_name }));
      await list.reload();
    } catch (err) {
      setError(explain(err));
    }
  }

  const tokens = list.data?.tokens;
  const people = list.data?.people ?? new Map<number, User>();
  return (
    <section aria-labelledby="authorized-apps">
      <h2 id="authorized-apps">{t("oauth.apps.title")}</h2>
      <p className="muted">{t("oauth.apps.intro")}</p>
      <ErrorText text={error} />
      <StatusText text={status} />
      <Loadable state={list}>{() => null}</Loadable>
      {tokens && tokens.length === 0 ? <p className="empty">{t("oauth.apps.empty")}</p> : null}
      {tokens && tokens.length > 0 ? (
        <table className="admin">
          <caption className="sr-only">{t("oauth.apps.title")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("oauth.apps.app")}</th>
              <th scope="col">{t("oauth.apps.person")}</th>
              <th scope="col">{t("oauth.apps.scopes")}</th>
              <th scope="col">{t("oauth.apps.since")}</th>
              <th scope="col">{t("oauth.apps.lastUsed")}</th>
              <th scope="col">
                <span className="sr-only">{t("admin.actions")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {tokens.map((tk) => (
              <tr key={tk.id}>
                <td data-label={t("oauth.apps.app")} className="primary">
                  {tk.client_name}
                </td>
                <td data-label={t("oauth.apps.person")}>{people.get(tk.user_id)?.name ?? t("ticket.unknownUser", { id: tk.user_id })}</td>
                <td data-label={t("oauth.apps.scopes")}>{tk.scopes.join(", ")}</td>
                <td data-label={t("oauth.apps.since")}>
                  <time dateTime={tk.created_at}>{formatDate(tk.created_at)}</time>
                </td>
                <td data-label={t("oauth.apps.lastUsed")}>{tk.used_at ? <time dateTime={tk.used_at}>{formatDate(tk.used_at)}</time> : t("admin.tokens.never")}</td>
                <td>
                  <button type="button" className="secondary" onClick={() => void revoke(tk)} aria-label={t("oauth.apps.revokeFor", { name: tk.client_name })}>
                    {t("oauth.apps.revoke")}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
