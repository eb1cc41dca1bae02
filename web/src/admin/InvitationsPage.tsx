import { useState, type FormEvent } from "react";
import { client, ok } from "../api.ts";
import type { Invitation, User } from "../api-schema.ts";
import { Field, StatusText } from "../components/Field.tsx";
import { useApi } from "../data.tsx";
import { formatDate, t } from "../i18n/index.ts";
import { PageHeading } from "../router.tsx";
import { ListTable } from "./ListTable.tsx";
import { OnceBox } from "./OnceBox.tsx";
import { useFailure } from "../components/SignInAgain.tsx";

const ROLE_KEY = { admin: "admin.role.admin", agent: "admin.role.agent", "light-agent": "admin.role.light_agent" } as const;

/**
 * `/admin/invitations`: invite a staff member with a one-time link. There is no e-mail channel
 * yet, so the link is shown once here, to hand over; the server keeps only its hash.
 */
export function InvitationsPage(props: { me: User }) {
  const invitations = useApi(["invitations"], async (signal) => (await ok(client.GET("/api/v2/invitations", { params: { query: { per_page: 100 } }, signal }))).invitations);
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Invitation["role"]>("agent");
  const [created, setCreated] = useState<{ url: string; email: string; expires: string } | null>(null);
  const failure = useFailure();
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    failure.clear();
    setStatus(null);
    try {
      const r = await ok(client.POST("/api/v2/invitations", { body: { invitation: { email, role } } }));
      setCreated({ url: r.invitation.url, email: r.invitation.email, expires: r.invitation.expires_at });
      setEmail("");
      await invitations.reload();
    } catch (err) {
      failure.fail(err);
    } finally {
      setBusy(false);
    }
  }

  async function revoke(inv: Invitation) {
    failure.clear();
    try {
      await ok(client.DELETE("/api/v2/invitations/{id}", { params: { path: { id: inv.id } } }));
      setStatus(t("admin.invite.revoked", { email: inv.email }));
      await invitations.reload();
    } catch (err) {
      failure.fail(err);
    }
  }

  return (
    <main id="main" className="main">
      <PageHeading>{t("admin.invite.title")}</PageHeading>
      <p className="muted">{t("admin.invite.intro")}</p>
      <form className="form" onSubmit={submit} aria-busy={busy}>
        <div className="row">
          <Field id="invite-email" label={t("admin.invite.email")}>
            <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} required />
          </Field>
          <Field id="invite-role" label={t("admin.invite.role")}>
            <select value={role} onChange={(e) => setRole(e.target.value as Invitation["role"])}>
              <option value="agent">{t("admin.role.agent")}</option>
              <option value="light-agent">{t("admin.role.light_agent")}</option>
              {props.me.vaultdesk_role === "owner" ? <option value="admin">{t("admin.role.admin")}</option> : null}
            </select>
          </Field>
        </div>
        <button type="submit" disabled={busy}>
          {t("admin.invite.create")}
        </button>
      </form>
      {failure.notice}
      <StatusText text={status} />
      {created ? (
        <OnceBox
          id="invitation-link"
          label={t("admin.invite.linkLabel")}
          value={created.url}
          intro={t("admin.invite.linkIntro", { email: created.email, date: formatDate(created.expires) })}
        />
      ) : null}
      <h2>{t("admin.invite.listTitle")}</h2>
      <ListTable
        state={invitations}
        rows={(list) => list}
        rowKey={(inv) => inv.id}
        caption={t("admin.invite.listTitle")}
        empty={t("admin.invite.empty")}
        columns={[
          { label: t("admin.invite.email"), primary: true, cell: (inv) => inv.email },
          { label: t("admin.invite.role"), cell: (inv) => t(ROLE_KEY[inv.role]) },
          { label: t("admin.invite.status"), cell: (inv) => t(`admin.invite.status.${inv.status}`) },
          { label: t("admin.invite.expires"), cell: (inv) => <time dateTime={inv.expires_at}>{formatDate(inv.expires_at)}</time> },
        ]}
        actions={(inv) =>
          inv.status === "pending" ? (
            <button type="button" className="secondary" onClick={() => void revoke(inv)} aria-label={t("admin.invite.revokeFor", { email: inv.email })}>
              {t("admin.invite.revoke")}
            </button>
          ) : null
        }
      />
    </main>
  );
}
