import { useState } from "react";
import { client, explain, ok } from "../api.ts";
import type { OAuthToken, User } from "../api-schema.ts";
import { ErrorText, StatusText } from "../components/Field.tsx";
import { useApi } from "../data.tsx";
import { formatDate, t } from "../i18n/index.ts";
import { usersById } from "./admin-api.ts";
import { ListTable } from "./ListTable.tsx";

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

  const people = list.data?.people ?? new Map<number, User>();
  return (
    <section aria-labelledby="authorized-apps">
      <h2 id="authorized-apps">{t("oauth.apps.title")}</h2>
      <p className="muted">{t("oauth.apps.intro")}</p>
      <ErrorText text={error} />
      <StatusText text={status} />
      <ListTable
        state={list}
        rows={(d) => d.tokens}
        rowKey={(tk) => tk.id}
        caption={t("oauth.apps.title")}
        empty={t("oauth.apps.empty")}
        columns={[
          { label: t("oauth.apps.app"), primary: true, cell: (tk) => tk.client_name },
          { label: t("oauth.apps.person"), cell: (tk) => people.get(tk.user_id)?.name ?? t("ticket.unknownUser", { id: tk.user_id }) },
          { label: t("oauth.apps.scopes"), cell: (tk) => tk.scopes.join(", ") },
          { label: t("oauth.apps.since"), cell: (tk) => <time dateTime={tk.created_at}>{formatDate(tk.created_at)}</time> },
          { label: t("oauth.apps.lastUsed"), cell: (tk) => (tk.used_at ? <time dateTime={tk.used_at}>{formatDate(tk.used_at)}</time> : t("admin.tokens.never")) },
        ]}
        actions={(tk) => (
          <button type="button" className="secondary" onClick={() => void revoke(tk)} aria-label={t("oauth.apps.revokeFor", { name: tk.client_name })}>
            {t("oauth.apps.revoke")}
          </button>
        )}
      />
    </section>
  );
}
