import { useCallback, useEffect, useState, type FormEvent } from "react";
import { api, ApiError, changePassword, currentSession, explain, onUnauthorized, signIn, signOut, type Session } from "../api.ts";
import { ErrorText, Field, StatusText } from "../components/Field.tsx";
import { t } from "../i18n/index.ts";
import { Link, PageHeading, useLocation } from "../router.tsx";
import { countText, loadAbilities, loadPickers, VIEWS, viewCounts, type Abilities, type Count, type User, type ViewId } from "./model.ts";
import { NewTicket } from "./NewTicket.tsx";
import { TicketList } from "./TicketList.tsx";
import { SearchBox } from "./SearchBox.tsx";
import { TicketPage } from "./TicketPage.tsx";
import { WorkspaceContext, type Pickers } from "./workspace.ts";

type State =
  | { kind: "loading" }
  | { kind: "error"; message: string }
  | { kind: "signed-out"; notice: string | null }
  | { kind: "change-password"; previous: string }
  | { kind: "ready"; me: User; abilities: Abilities };

/**
 * `/agent/*`: signs the agent in (and through a one-time password change), then shows the
 * workspace. When the session ends mid-work (a 401 from any call), the sign-in form is shown over
 * the workspace, which stays mounted, so a reply being typed is kept — in memory only — and can
 * be sent after signing in again.
 */
export function AgentApp() {
  const [state, setState] = useState<State>({ kind: "loading" });
  const [expired, setExpired] = useState(false);

  const enter = useCallback(async (session: Session | null, previousPassword = "") => {
    if (!session) return setState({ kind: "signed-out", notice: null });
    if (session.mustChangePassword) return setState({ kind: "change-password", previous: previousPassword });
    const [me, abilities] = await Promise.all([api<{ user: User }>("GET", "users/me.json"), loadAbilities()]);
    setExpired(false);
    setState((s) => (s.kind === "ready" && s.me.id === me.user.id ? s : { kind: "ready", me: me.user, abilities }));
  }, []);

  useEffect(() => {
    currentSession()
      .then((s) => enter(s))
      .catch((err: unknown) => setState({ kind: "error", message: explain(err) }));
    return onUnauthorized(() => setExpired(true));
  }, [enter]);

  if (state.kind === "loading") return <p className="page">{t("app.loading")}</p>;
  if (state.kind === "error")
    return (
      <main id="main" className="page narrow">
        <ErrorText text={state.message} />
      </main>
    );
  if (state.kind === "signed-out") return <SignIn notice={state.notice} onSignedIn={enter} />;
  if (state.kind === "change-password") return <ChangePassword previous={state.previous} onDone={() => void currentSession().then((s) => enter(s))} />;
  return (
    <>
      {expired ? <SignIn id="main-signin" notice={t("signin.expired")} onSignedIn={enter} /> : null}
      <div hidden={expired}>
        <WorkspaceShell key={state.me.id} me={state.me} abilities={state.abilities} onSignedOut={() => setState({ kind: "signed-out", notice: t("signout.done") })} />
      </div>
    </>
  );
}

function SignIn(props: { id?: string; notice: string | null; onSignedIn: (s: Session, password: string) => Promise<void> }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const s = await signIn(email, password);
      await props.onSignedIn(s, password);
    } catch (err) {
      setBusy(false);
      if (err instanceof ApiError && err.status === 401) setError(t("signin.failed"));
      else if (err instanceof ApiError && err.status === 404 && err.body?.error === "RecordNotFound") setError(t("error.noAccount"));
      else setError(explain(err));
    }
  }
  return (
    <main id={props.id ?? "main"} className="page narrow">
      <PageHeading>{t("signin.title")}</PageHeading>
      <StatusText text={props.notice} />
      <form onSubmit={submit} aria-busy={busy}>
        <Field id="signin-email" label={t("signin.email")}>
          <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} required autoComplete="username" />
        </Field>
        <Field id="signin-password" label={t("signin.password")}>
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

function ChangePassword(props: { previous: string; onDone: () => void }) {
  const [previous, setPrevious] = useState(props.previous);
  const [next, setNext] = useState("");
  const [again, setAgain] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    if (next !== again) return setError(t("password.mismatch"));
    setBusy(true);
    try {
      await changePassword(previous, next);
      props.onDone();
    } catch (err) {
      setBusy(false);
      setError(explain(err));
    }
  }
  return (
    <main id="main" className="page narrow">
      <PageHeading>{t("password.title")}</PageHeading>
      <p>{t("password.intro")}</p>
      <form onSubmit={submit} aria-busy={busy}>
        <Field id="pw-current" label={t("password.current")}>
          <input type="password" value={previous} onChange={(e) => setPrevious(e.target.value)} required autoComplete="current-password" />
        </Field>
        <Field id="pw-new" label={t("password.new")} help={t("setup.passwordHelp")}>
          <input type="password" value={next} onChange={(e) => setNext(e.target.value)} required autoComplete="new-password" />
        </Field>
        <Field id="pw-again" label={t("password.confirm")}>
          <input type="password" value={again} onChange={(e) => setAgain(e.target.value)} required autoComplete="new-password" />
        </Field>
        <ErrorText text={error} />
        <button type="submit" disabled={busy}>
          {t("password.submit")}
        </button>
      </form>
    </main>
  );
}

function WorkspaceShell(props: { me: User; abilities: Abilities; onSignedOut: () => void }) {
  const { path, query } = useLocation();
  const [counts, setCounts] = useState<Record<ViewId, Count> | null>(null);
  const [pickers, setPickers] = useState<Pickers | null>(null);
  const [tick, setTick] = useState(0);
  const refreshCounts = useCallback(() => setTick((n) => n + 1), []);
  useEffect(() => {
    viewCounts().then(setCounts, () => undefined);
  }, [path, tick]);
  useEffect(() => {
    loadPickers().then(setPickers, () => undefined);
  }, []);

  const route = /^\/agent\/tickets\/(\d+)$/.exec(path);
  const viewMatch = /^\/agent\/views\/([a-z-]+)$/.exec(path);
  const currentView = path === "/agent" ? "all-open" : viewMatch?.[1];
  const view = VIEWS.find((v) => v.id === currentView);
  let content;
  if (view) content = <TicketList key={path} title={t(view.label)} baseQuery={view.query()} defaultSort={view.sort} />;
  else if (path === "/agent/search") {
    const q = query.get("q")?.trim() ?? "";
    content = q ? (
      <TicketList key={`search:${q}`} title={t("search.results", { query: q })} baseQuery={q} defaultSort="updated_at" />
    ) : (
      <main id="main" className="main">
        <PageHeading>{t("search.title")}</PageHeading>
        <p>{t("search.intro")}</p>
      </main>
    );
  } else if (path === "/agent/tickets/new" && props.abilities.can_create_tickets) content = <NewTicket />;
  else if (route) content = <TicketPage key={route[1]} id={Number(route[1])} />;
  else
    content = (
      <main id="main" className="main">
        <PageHeading>{t("app.notFound")}</PageHeading>
      </main>
    );

  return (
    <WorkspaceContext.Provider value={{ me: props.me, abilities: props.abilities, pickers, refreshCounts }}>
      <header className="topbar">
        <Link to="/agent" className="brand">
          {t("app.name")}
        </Link>
        <SearchBox />
        {props.abilities.can_manage_admin ? <Link to="/admin">{t("admin.link")}</Link> : null}
        <span className="whoami">{t("nav.signedInAs", { name: props.me.name })}</span>
        <button type="button" className="link" onClick={() => void signOut().finally(props.onSignedOut)}>
          {t("signout")}
        </button>
      </header>
      <div className="workspace">
        <nav className="sidebar" aria-label={t("nav.label")}>
          {props.abilities.can_create_tickets ? (
            <Link to="/agent/tickets/new" className="button">
              {t("nav.newTicket")}
            </Link>
          ) : null}
          <h2 id="views-heading">{t("nav.views")}</h2>
          <ul aria-labelledby="views-heading">
            {VIEWS.map((v) => (
              <li key={v.id}>
                <Link to={`/agent/views/${v.id}`} aria-current={currentView === v.id ? "page" : undefined}>
                  <span>{t(v.label)}</span>
                  <span className="count">{counts ? countText(counts[v.id]) : "…"}</span>
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        {content}
      </div>
    </WorkspaceContext.Provider>
  );
}
