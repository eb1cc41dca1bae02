import { useState, type FormEvent } from "react";
import { client, explain, ok } from "../api.ts";
import type { RecipientAddress } from "../api-schema.ts";
import { ErrorText, Field, StatusText } from "../components/Field.tsx";
import { Loadable, useApi } from "../data.tsx";
import { t, type MessageKey } from "../i18n/index.ts";
import { PageHeading } from "../router.tsx";
import { ListTable } from "./ListTable.tsx";

const FORWARDING: Record<RecipientAddress["forwarding_status"], MessageKey> = {
  unknown: "mail.addresses.status.unknown",
  waiting: "mail.addresses.status.waiting",
  verified: "mail.addresses.status.verified",
  failed: "mail.addresses.status.failed",
};

/**
 * `/admin/support-addresses`: the addresses mail reaches the helpdesk at — the default
 * support@<subdomain>.<mail domain>, and the team's own forwarded to it (a test message checks the
 * forwarding) — and the senders whose mail is held for review (the blocklist).
 */
export function SupportAddressesPage() {
  const list = useApi(["recipient_addresses"], async (signal) => (await ok(client.GET("/api/v2/recipient_addresses", { signal, params: { query: { per_page: 100 } } }))).recipient_addresses);
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const defaultAddress = list.data?.find((a) => a.default);

  async function run(fn: () => Promise<string>) {
    setBusy(true);
    setError(null);
    setStatus(null);
    try {
      setStatus(await fn());
      await list.reload();
    } catch (err) {
      setError(explain(err));
    } finally {
      setBusy(false);
    }
  }

  function add(e: FormEvent) {
    e.preventDefault();
    void run(async () => {
      const r = await ok(client.POST("/api/v2/recipient_addresses", { body: { recipient_address: { email, ...(name.trim() ? { name: name.trim() } : {}) } } }));
      setEmail("");
      setName("");
      return t(r.recipient_address.forwarding_status === "waiting" ? "mail.addresses.addedCheck" : "mail.addresses.added", { email: r.recipient_address.email });
    });
  }

  return (
    <main id="main" className="main">
      <PageHeading>{t("mail.addresses.title")}</PageHeading>
      <p className="muted">{t("mail.addresses.intro")}</p>
      <ErrorText text={error} />
      <StatusText text={status} />
      <ListTable
        state={list}
        rows={(addresses) => addresses}
        rowKey={(a) => a.id}
        caption={t("mail.addresses.title")}
        columns={[
          {
            label: t("mail.addresses.email"),
            primary: true,
            cell: (a) => (
              <>
                {a.email} {a.default ? <span className="badge">{t("mail.addresses.default")}</span> : null}
              </>
            ),
          },
          { label: t("mail.addresses.name"), cell: (a) => a.name ?? "" },
          { label: t("mail.addresses.forwarding"), cell: (a) => t(FORWARDING[a.forwarding_status]) },
        ]}
        actions={(a) => (
          <div className="actions">
            {!a.default ? (
              <button type="button" className="secondary" disabled={busy} aria-label={t("mail.addresses.makeDefaultFor", { email: a.email })} onClick={() => void run(async () => {
                await ok(client.PUT("/api/v2/recipient_addresses/{id}", { params: { path: { id: a.id } }, body: { recipient_address: { default: true } } }));
                return t("mail.addresses.defaultNow", { email: a.email });
              })}>
                {t("mail.addresses.makeDefault")}
              </button>
            ) : null}
            {a.forwarding_status !== "verified" ? (
              <button type="button" className="secondary" disabled={busy} aria-label={t("mail.addresses.checkFor", { email: a.email })} onClick={() => void run(async () => {
                await ok(client.PUT("/api/v2/recipient_addresses/{id}/verify", { params: { path: { id: a.id } }, body: { type: "forwarding" } }));
                return t("mail.addresses.checkSent", { email: a.email });
              })}>
                {t("mail.addresses.check")}
              </button>
            ) : null}
            {!a.default ? (
              <button type="button" className="secondary" disabled={busy} aria-label={t("mail.addresses.removeFor", { email: a.email })} onClick={() => void run(async () => {
                await ok(client.DELETE("/api/v2/recipient_addresses/{id}", { params: { path: { id: a.id } } }));
                return t("mail.addresses.removed", { email: a.email });
              })}>
                {t("mail.addresses.remove")}
              </button>
            ) : null}
          </div>
        )}
      />
      <h2>{t("mail.addresses.addTitle")}</h2>
      <p className="muted">{t("mail.addresses.addIntro", { address: defaultAddress?.email ?? "support@…" })}</p>
      <form className="form" onSubmit={add} aria-busy={busy}>
        <Field id="address-email" label={t("mail.addresses.email")}>
          <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} required maxLength={254} />
        </Field>
        <Field id="address-name" label={t("mail.addresses.name")} help={t("mail.addresses.nameHelp")}>
          <input value={name} onChange={(e) => setName(e.target.value)} maxLength={255} />
        </Field>
        <button type="submit" disabled={busy}>
          {t("mail.addresses.add")}
        </button>
      </form>
      <Blocklist />
      <DkimKeys />
    </main>
  );
}

/**
 * DKIM keys for the team's own domains: add a domain, publish the TXT record shown, check it; mail
 * From an address at a verified domain is signed.
 */
function DkimKeys() {
  const keys = useApi(["dkim_keys"], async (signal) => (await ok(client.GET("/api/v2/dkim_keys", { signal }))).dkim_keys);
  const [domain, setDomain] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function run(fn: () => Promise<string>) {
    setBusy(true);
    setError(null);
    setStatus(null);
    try {
      setStatus(await fn());
      await keys.reload();
    } catch (err) {
      setError(explain(err));
    } finally {
      setBusy(false);
    }
  }

  function add(e: FormEvent) {
    e.preventDefault();
    void run(async () => {
      const r = await ok(client.POST("/api/v2/dkim_keys", { body: { dkim_key: { domain } } }));
      setDomain("");
      return t("mail.dkim.added", { domain: r.dkim_key.domain });
    });
  }

  return (
    <section aria-labelledby="dkim-title">
      <h2 id="dkim-title">{t("mail.dkim.title")}</h2>
      <p className="muted">{t("mail.dkim.intro")}</p>
      <ErrorText text={error} />
      <StatusText text={status} />
      <Loadable state={keys}>
        {(list) =>
          list.length === 0 ? (
            <p className="empty">{t("mail.dkim.none")}</p>
          ) : (
            <ul className="dkim-keys">
              {list.map((k) => (
                <li key={k.id}>
                  <strong>{k.domain}</strong> <span className={`badge ${k.status === "verified" ? "ok" : ""}`}>{t(k.status === "verified" ? "mail.dkim.verified" : "mail.dkim.pending")}</span>
                  <p>{t("mail.dkim.publish")}</p>
                  <dl>
                    <dt>{t("mail.dkim.name")}</dt>
                    <dd>
                      <code>{k.dns_record.name}</code>
                    </dd>
                    <dt>{t("mail.dkim.value")}</dt>
                    <dd>
                      <code className="wrap">{k.dns_record.value}</code>
                    </dd>
                  </dl>
                  <button type="button" className="small" disabled={busy} onClick={() => void run(async () => {
                    const r = await ok(client.POST("/api/v2/dkim_keys/{id}/check", { params: { path: { id: k.id } } }));
                    return t(r.dkim_key.status === "verified" ? "mail.dkim.checkedOk" : "mail.dkim.checkedNo", { domain: k.domain });
                  })}>
                    {t("mail.dkim.check")}
                  </button>{" "}
                  <button type="button" className="small secondary" disabled={busy} onClick={() => void run(async () => {
                    await ok(client.DELETE("/api/v2/dkim_keys/{id}", { params: { path: { id: k.id } } }));
                    return t("mail.dkim.removed", { domain: k.domain });
                  })}>
                    {t("mail.dkim.remove")}
                  </button>
                </li>
              ))}
            </ul>
          )
        }
      </Loadable>
      <form className="form" onSubmit={add}>
        <Field id="dkim-domain" label={t("mail.dkim.domain")} help={t("mail.dkim.domainHelp")}>
          <input value={domain} onChange={(e) => setDomain(e.target.value)} required maxLength={253} placeholder="acme.example" />
        </Field>
        <button type="submit" disabled={busy}>
          {t("mail.dkim.add")}
        </button>
      </form>
    </section>
  );
}

const lines = (text: string) => text.split(/[\s,]+/).map((x) => x.trim()).filter(Boolean);

/** The senders whose mail goes to suspended tickets (addresses, or domains written @example.com). */
function Blocklist() {
  const settings = useApi(["mail_settings"], async (signal) => (await ok(client.GET("/api/v2/mail_settings", { signal }))).settings);
  return <Loadable state={settings}>{(s) => <BlocklistForm initial={s.blocklist} onSaved={() => void settings.reload()} />}</Loadable>;
}

function BlocklistForm(props: { initial: string[]; onSaved: () => void }) {
  const [text, setText] = useState(props.initial.join("\n"));
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  async function save(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setStatus(null);
    try {
      const r = await ok(client.PUT("/api/v2/mail_settings", { body: { settings: { blocklist: lines(text) } } }));
      setText(r.settings.blocklist.join("\n"));
      setStatus(t("admin.saved"));
      props.onSaved();
    } catch (err) {
      setError(explain(err));
    }
  }
  return (
    <>
      <h2>{t("mail.blocklist.title")}</h2>
      <form className="form" onSubmit={save}>
        <Field id="mail-blocklist" label={t("mail.blocklist.label")} help={t("mail.blocklist.help")}>
          <textarea value={text} onChange={(e) => setText(e.target.value)} rows={4} />
        </Field>
        <ErrorText text={error} />
        <StatusText text={status} />
        <button type="submit">{t("admin.save")}</button>
      </form>
    </>
  );
}
