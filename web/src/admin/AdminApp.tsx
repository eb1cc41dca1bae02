import { useCallback, useEffect, useState, type FormEvent } from "react";
import { api, ApiError, currentSession, explain, onUnauthorized, signIn, signOut, type Session } from "../api.ts";
import { ErrorText, Field, StatusText } from "../components/Field.tsx";
import { t, type MessageKey } from "../i18n/index.ts";
import { Link, PageHeading, useLocation } from "../router.tsx";
import type { AdminUser } from "./admin-api.ts";
import { AccountPage } from "./AccountPage.tsx";
import { AuditLogPage } from "./AuditLogPage.tsx";
import { GroupPage, GroupsPage } from "./GroupsPage.tsx";
import { HelpCenterSettingsPage } from "./HelpCenterSettingsPage.tsx";
import { InvitationsPage } from "./InvitationsPage.tsx";
import { JobsPage } from "./JobsPage.tsx";
import { OrganizationPage, OrganizationsPage } from "./OrganizationsPage.tsx";
import { NewPersonPage, PeoplePage, PersonPage } from "./PeoplePage.tsx";
import { TokensPage } from "./TokensPage.tsx";

type State =
  | { kind: "loading" }
  | { kind: "error"; message: string }
  | { kind: "signed-out"; notice: string | null }
  | { kind: "change-password" }
  | { kind: "no-access" }
  | { kind: "ready"; me: AdminUser };

const SECTIONS: ReadonlyArray<{ path: string; label: MessageKey }> = [
  { path: "/admin/people", label: "admin.nav.people" },
  { path: "/admin/invitations", label: "admin.nav.invitations" },
  { path: "/admin/groups", label: "admin.nav.groups" },
  { path: "/admin/organizations", label: "admin.nav.organizations" },
  { path: "/admin/tokens", label: "admin.nav.tokens" },
  { path: "/admin/audit", label: "admin.nav.audit" },
  { path: "/admin/jobs", label: "admin.nav.jobs" },
  { path: "/admin/account", label: "admin.nav.account" },
  { path: "/admin/help-center", label: "admin.nav.helpCenter" },
];

/**
 * `/admin/*`, the admin center, for owners and admins. Others get a page saying they have no
 * access (the API refuses them anyway: every call is checked on the server). The role shown here
 * only chooses which page to render; it grants nothing.
 */
export function AdminApp() {
  const [state, setState] = useState<State>({ kind: "loading" });

  const enter = useCallback(async (session: Session | null) => {
    if (!session) return setState({ kind: "signed-out", notice: null });
    if (session.mustChangePassword) return setState({ kind: "change-password" });
    const me = (await api<{ user: AdminUser }>("GET", "users/me.json")).user;
    setState(me.vaultdesk_role === "owner" || me.vaultdesk_role === "admin" ? { kind: "ready", me } : { kind: "no-access" });
  }, []);

  useEffect(() => {
    currentSession()
      .then((s) => enter(s))
      .catch((err: unknown) => setState({ kind: "error", message: explain(err) }));
    // A session that ends (signed out elsewhere, suspended, deleted) returns to sign-in.
    return onUnauthorized(() => setState({ kind: "signed-out", notice: t("admin.sessionEnded") }));
  }, [enter]);

  if (state.kind === "loading") return <p className="page">{t("app.loading")}</p>;
  if (state.kind === "error")
    return (
      <main id="main" className="page narrow">
        <ErrorText text={state.message} />
      </main>
    );
  if (state.kind === "signed-out") return <AdminSignIn notice={state.notice} onSignedIn={enter} />;
  if (state.kind === "change-password")
    return (
      <main id="main" className="page narrow">
        <PageHeading>{t("password.title")}</PageHeading>
        <p>{t("admin.changePasswordFirst")}</p>
        <p>
          <a href="/agent">{t("admin.toWorkspace")}</a>
        </p>
      </main>
    );
  if (state.kind === "no-access") return <NoAccess />;
  return <AdminShell me={state.me} onSignedOut={() => setState({ kind: "signed-out", notice: t("signout.done") })} />;
}

function NoAccess() {
  return (
    <main id="main" className="page narrow">
      <PageHeading>{t("admin.noAccess.title")}</PageHeading>
      <p>{t("admin.noAccess.text")}</p>
      <p>
        <a href="/agent">{t("admin.toWorkspace")}</a>
      </p>
    </main>
  );
}

function AdminSignIn(props: { notice: string | null; onSignedIn: (s: Session) => Promise<void> }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      await props.onSignedIn(await signIn(email, password));
    } catch (err) {
      setBusy(false);
      setError(err instanceof ApiError && err.status === 401 ? t("signin.failed") : explain(err));
    }
  }
  return (
    <main id="main" className="page narrow">
      <PageHeading>{t("signin.title")}</PageHeading>
      <p>{t("admin.signInIntro")}</p>
      <StatusText text={props.notice} />
      <form onSubmit={submit} aria-busy={busy}>
        <Field id="admin-signin-email" label={t("signin.email")}>
          <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} required autoComplete="username" />
        </Field>
        <Field id="admin-signin-password" label={t("signin.password")}>
          <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} required autoComplete="current-password" />
        </Field>
        <ErrorText text={error} />
        <button type="submit" disabled={busy}>
          {busy ? t("signin.working") : t("signin.submit")}
        </button>
      </form>
    </main>
  );
}

function AdminShell(props: { me: AdminUser; onSignedOut: () => void }) {
  const { path } = useLocation();
  const person = /^\/admin\/people\/(\d+)$/.exec(path);
  const group = /^\/admin\/groups\/(\d+)$/.exec(path);
  const org = /^\/admin\/organizations\/(\d+)$/.exec(path);
  let content;
  if (path === "/admin" || path === "/admin/people") content = <PeoplePage />;
  else if (path === "/admin/people/new") content = <NewPersonPage />;
  else if (person) content = <PersonPage key={person[1]} id={Number(person[1])} me={props.me} />;
  else if (path === "/admin/invitations") content = <InvitationsPage me={props.me} />;
  else if (path === "/admin/groups") content = <GroupsPage />;
  else if (group) content = <GroupPage key={group[1]} id={Number(group[1])} />;
  else if (path === "/admin/organizations") content = <OrganizationsPage />;
  else if (org) content = <OrganizationPage key={org[1]} id={Number(org[1])} />;
  else if (path === "/admin/tokens") content = <TokensPage />;
  else if (path === "/admin/audit") content = <AuditLogPage />;
  else if (path === "/admin/jobs") content = <JobsPage />;
  else if (path === "/admin/account") content = <AccountPage />;
  else if (path === "/admin/help-center") content = <HelpCenterSettingsPage />;
  else
    content = (
      <main id="main" className="main">
        <PageHeading>{t("app.notFound")}</PageHeading>
      </main>
    );
  const current = path === "/admin" ? "/admin/people" : SECTIONS.find((s) => path === s.path || path.startsWith(`${s.path}/`))?.path;
  return (
    <>
      <header className="topbar">
        <Link to="/admin" className="brand">
          {t("admin.brand")}
        </Link>
        <a href="/agent">{t("admin.toWorkspace")}</a>
        <span className="whoami">{t("nav.signedInAs", { name: props.me.name })}</span>
        <button type="button" className="link" onClick={() => void signOut().finally(props.onSignedOut)}>
          {t("signout")}
        </button>
      </header>
      <div className="workspace">
        <nav className="sidebar" aria-label={t("admin.nav.label")}>
          <ul>
            {SECTIONS.map((s) => (
              <li key={s.path}>
                <Link to={s.path} aria-current={current === s.path ? "page" : undefined}>
                  {t(s.label)}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        {content}
      </div>
    </>
  );
}
