import { useState, type FormEvent } from "react";
import { client, ok } from "../api.ts";
import type { OAuthClient } from "../api-schema.ts";
import { Field, StatusText } from "../components/Field.tsx";
import { useApi } from "../data.tsx";
import { formatDate, t } from "../i18n/index.ts";
import { PageHeading } from "../router.tsx";
import { ListTable } from "./ListTable.tsx";
import { OnceBox } from "./OnceBox.tsx";
import { useFailure } from "../components/SignInAgain.tsx";

/** `/admin/oauth-clients`: OAuth clients — create (a confidential one's secret shown once), list, delete. */
export function OAuthClientsPage() {
  const list = useApi(["oauth_clients"], async (signal) => (await ok(client.GET("/api/v2/oauth/clients", { signal }))).clients);
  const [name, setName] = useState("");
  const [identifier, setIdentifier] = useState("");
  const [redirects, setRedirects] = useState("");
  const [kind, setKind] = useState<"public" | "confidential">("public");
  const [secret, setSecret] = useState<{ name: string; secret: string } | null>(null);
  const failure = useFailure();
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    failure.clear();
    setStatus(null);
    try {
      const redirect_uri = redirects.split("\n").map((l) => l.trim()).filter((l) => l.length > 0);
      const r = await ok(client.POST("/api/v2/oauth/clients", { body: { client: { name, identifier, redirect_uri, kind } } }));
      setSecret(r.client.secret ? { name: r.client.name, secret: r.client.secret } : null);
      setName("");
      setIdentifier("");
      setRedirects("");
      await list.reload();
    } catch (err) {
      failure.fail(err);
    } finally {
      setBusy(false);
    }
  }

  async function remove(c: OAuthClient) {
    failure.clear();
    try {
      await ok(client.DELETE("/api/v2/oauth/clients/{id}", { params: { path: { id: c.id } } }));
      setStatus(t("oauth.clients.deleted", { name: c.name }));
      if (secret?.name === c.name) setSecret(null);
      await list.reload();
    } catch (err) {
      failure.fail(err);
    }
  }

  return (
    <main id="main" className="main">
      <PageHeading>{t("oauth.clients.title")}</PageHeading>
      <p className="muted">{t("oauth.clients.intro")}</p>
      <form className="form" onSubmit={submit} aria-busy={busy}>
        <Field id="oauth-name" label={t("oauth.clients.name")} help={t("oauth.clients.nameHelp")}>
          <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={255} />
        </Field>
        <Field id="oauth-identifier" label={t("oauth.clients.identifier")} help={t("oauth.clients.identifierHelp")}>
          <input value={identifier} onChange={(e) => setIdentifier(e.target.value)} required maxLength={100} pattern="[a-z0-9][a-z0-9_.\-]*" autoCapitalize="none" spellCheck={false} />
        </Field>
        <Field id="oauth-redirects" label={t("oauth.clients.redirects")} help={t("oauth.clients.redirectsHelp")}>
          <textarea value={redirects} onChange={(e) => setRedirects(e.target.value)} required rows={3} spellCheck={false} />
        </Field>
        <fieldset className="choice">
          <legend>{t("oauth.clients.kind")}</legend>
          <label>
            <input type="radio" name="oauth-kind" checked={kind === "public"} onChange={() => setKind("public")} />
            {t("oauth.clients.public")}
          </label>
          <label>
            <input type="radio" name="oauth-kind" checked={kind === "confidential"} onChange={() => setKind("confidential")} />
            {t("oauth.clients.confidential")}
          </label>
        </fieldset>
        <button type="submit" disabled={busy}>
          {t("oauth.clients.create")}
        </button>
      </form>
      {failure.notice}
      <StatusText text={status} />
      {secret ? <OnceBox id="new-client-secret" label={t("oauth.clients.secretLabel")} value={secret.secret} intro={t("oauth.clients.secretIntro", { name: secret.name })} /> : null}
      <h2>{t("oauth.clients.listTitle")}</h2>
      <ListTable
        state={list}
        rows={(clients) => clients}
        rowKey={(c) => c.id}
        caption={t("oauth.clients.listTitle")}
        empty={t("oauth.clients.empty")}
        columns={[
          { label: t("oauth.clients.name"), primary: true, cell: (c) => c.name },
          { label: t("oauth.clients.identifier"), cell: (c) => <code>{c.identifier}</code> },
          { label: t("oauth.clients.kind"), cell: (c) => c.kind },
          { label: t("oauth.clients.redirects"), cell: (c) => c.redirect_uri.join(" ") },
          { label: t("oauth.clients.created"), cell: (c) => <time dateTime={c.created_at}>{formatDate(c.created_at)}</time> },
        ]}
        actions={(c) => (
          <button type="button" className="secondary" onClick={() => void remove(c)} aria-label={t("oauth.clients.deleteFor", { name: c.name })}>
            {t("oauth.clients.delete")}
          </button>
        )}
      />
    </main>
  );
}
