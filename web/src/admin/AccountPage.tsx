import { useState, type FormEvent } from "react";
import { client, explain, ok } from "../api.ts";
import type { Account, User } from "../api-schema.ts";
import { ErrorText, Field, StatusText } from "../components/Field.tsx";
import { Loadable, useApi, useSetData } from "../data.tsx";
import { formatDate, t } from "../i18n/index.ts";
import { PageHeading } from "../router.tsx";
import { SearchLanguagesSection } from "./SearchLanguagesSection.tsx";
import { SupportAccessSection } from "./SupportAccessSection.tsx";
import { CloseAccountSection } from "./CloseAccountSection.tsx";

const KEY = ["account"];

/** `/admin/account`: the team name (editable), subdomain and hosting region (read-only), the search languages, support access, and (owners only) closing the account. */
export function AccountPage(props: { me: User }) {
  const account = useApi(KEY, async (signal) => (await ok(client.GET("/api/v2/account", { signal }))).account);
  return (
    <main id="main" className="main">
      <Loadable state={account}>{(a) => <AccountForm account={a} />}</Loadable>
      <SearchLanguagesSection />
      <SupportAccessSection />
      {props.me.vaultdesk_role === "owner" ? <Loadable state={account}>{(a) => <CloseAccountSection subdomain={a.subdomain} />}</Loadable> : null}
    </main>
  );
}

function AccountForm(props: { account: Account }) {
  const { account } = props;
  const setData = useSetData();
  const [name, setName] = useState(account.name ?? "");
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setStatus(null);
    try {
      setData(KEY, (await ok(client.PUT("/api/v2/account", { body: { account: { name } } }))).account);
      setStatus(t("admin.saved"));
    } catch (err) {
      setError(explain(err));
    }
  }
  return (
    <>
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
    </>
  );
}
