import { useEffect, useState, type FormEvent } from "react";
import { client, currentSession, explain, ok } from "../api.ts";
import { ErrorText, Field } from "../components/Field.tsx";
import { requirementsText } from "../components/SessionGate.tsx";
import { useApi } from "../data.tsx";
import { formatDate, t } from "../i18n/index.ts";
import { navigate, PageHeading } from "../router.tsx";
const ROLE_KEY = { admin: "admin.role.admin", agent: "admin.role.agent", "light-agent": "admin.role.light_agent" } as const;

/**
 * `/invite?token=…`: the invitee's page. The token leaves the address bar at once (it stays in
 * this page's memory only); the invitee chooses a name and a password and is signed in.
 */
export function InvitePage(props: { initialToken: string }) {
  const [token] = useState(props.initialToken);
  const previewState = useApi(token ? ["invitation", token] : null, async (signal) => (await ok(client.POST("/api/v2/invitations/preview", { body: { token }, signal }))).invitation);
  const preview = previewState.data;
  const problem = !token ? t("admin.invitee.noToken") : previewState.error ? explain(previewState.error) : null;
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [again, setAgain] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (window.location.search) window.history.replaceState(null, "", "/invite");
  }, []);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    if (password !== again) return setError(t("password.mismatch"));
    setBusy(true);
    try {
      await ok(client.POST("/api/v2/invitations/accept", { body: { token, name, password } }));
      await currentSession();
      navigate("/agent", { replace: true });
    } catch (err) {
      setBusy(false);
      setError(explain(err));
    }
  }

  return (
    <main id="main" className="page narrow">
      <PageHeading>{t("admin.invitee.title")}</PageHeading>
      {problem ? (
        <>
          <ErrorText text={problem} />
          <p>
            <a href="/agent">{t("admin.invitee.signIn")}</a>
          </p>
        </>
      ) : null}
      {!preview && !problem ? <p role="status">{t("app.loading")}</p> : null}
      {preview ? (
        <>
          <p>
            {preview.team_name
              ? t("admin.invitee.intro", { team: preview.team_name, role: t(ROLE_KEY[preview.role]) })
              : t("admin.invitee.introNoTeam", { role: t(ROLE_KEY[preview.role]) })}
          </p>
          <p className="muted">{t("admin.invitee.expires", { date: formatDate(preview.expires_at) })}</p>
          <form onSubmit={submit} aria-busy={busy}>
            <Field id="invitee-email" label={t("signin.email")}>
              <input type="email" value={preview.email} readOnly autoComplete="username" />
            </Field>
            <Field id="invitee-name" label={t("admin.invitee.name")}>
              <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={255} autoComplete="name" />
            </Field>
            <Field id="invitee-password" label={t("password.new")} help={requirementsText(preview.password_requirements)}>
              <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} required autoComplete="new-password" />
            </Field>
            <Field id="invitee-again" label={t("password.confirm")}>
              <input type="password" value={again} onChange={(e) => setAgain(e.target.value)} required autoComplete="new-password" />
            </Field>
            <ErrorText text={error} />
            <button type="submit" disabled={busy}>
              {busy ? t("admin.invitee.working") : t("admin.invitee.submit")}
            </button>
          </form>
        </>
      ) : null}
    </main>
  );
}
