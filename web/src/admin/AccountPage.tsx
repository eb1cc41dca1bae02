import { useEffect, useState, type FormEvent } from "react";
import { api, explain } from "../api.ts";
import { ErrorText, Field, StatusText } from "../components/Field.tsx";
import { formatDate, t } from "../i18n/index.ts";
import { PageHeading } from "../router.tsx";
import type { Account } from "./admin-api.ts";

/** `/admin/account`: the team name (editable), subdomain and hosting region (read-only). */
export function AccountPage() {
  const [account, setAccount] = useState<Account | null>(null);
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  useEffect(() => {
    api<{ account: Account }>("GET", "account.json").then(
      (r) => {
        setAccount(r.account);
        setName(r.account.name ?? "");
      },
      (err: unknown) => setError(explain(err)),
    );
  }, []);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setStatus(null);
    try {
      const r = await api<{ account: Account }>("PUT", "account.json", { account: { name } });
      setAccount(r.account);
      setStatus(t("admin.saved"));
    } catch (err) {
      setError(explain(err));
    }
  }
  if (!account)
    return (
      <main id="main" className="main">
        {error ? <ErrorText text={error} /> : <p role="status">{t("app.loading")}</p>}
      </main>
    );
  return (
    <main id="main" className="main">
      <PageHeading>{t("admin.account.title")}</PageHeading>
      <form className="form" onSubmit={submit}>
        <Field id="account-name" label={t("admin.account.name")}>
          <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={120} />
        </Field>
        <ErrorText text={error} />
        <StatusText text={status} />
        <button type="submit">{t("admin.save")}</button>
      </form>
      <dl className="facts">
        <dt>{t("admin.account.subdomain")}</dt>
        <dd>{account.subdomain}</dd>
        <dt>{t("admin.account.region")}</dt>
        <dd>{account.region}</dd>
        <dt>{t("admin.account.created")}</dt>
        <dd>
          <time dateTime={account.created_at}>{formatDate(account.created_at)}</time>
        </dd>
      </dl>
      <p className="help">{t("admin.account.readOnly")}</p>
    </main>
  );
}
