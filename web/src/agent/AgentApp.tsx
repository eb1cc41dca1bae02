import type { Abilities, User } from "../api-schema.ts";
import { PasskeysSection } from "../components/Passkeys.tsx";
import { TwoFactorSection } from "../components/TwoFactor.tsx";
import { LanguagePicker } from "../components/LanguagePicker.tsx";
import { SessionGate } from "../components/SessionGate.tsx";
import { useApi, useInvalidate } from "../data.tsx";
import { t, useLocale } from "../i18n/index.ts";
import { adminSections } from "../admin/admin-nav.ts";
import { Link, PageHeading, useLocation } from "../router.tsx";
import { countText, filtersFrom, hasWords, KEYS, loadPickers, TEXT_SORTS, VIEWS, viewCounts } from "./model.ts";
import { SavedViewPage, SaveBuiltInView, SaveSearchAsView } from "./SavedViews.tsx";
import { asCount, countViews, loadActiveViews } from "./views.ts";
import { NewTicket } from "./NewTicket.tsx";
import { DeletedTicketsPage } from "./DeletedTickets.tsx";
import { DevicesPage } from "./DevicesPage.tsx";
import { MacrosPage } from "./MacrosPage.tsx";
import { SearchBox } from "./SearchBox.tsx";
import { searchSource, TicketList, type ListState } from "./TicketList.tsx";
import { TicketPage } from "./TicketPage.tsx";
import { WorkspaceContext } from "./workspace.ts";

/** `/agent/*`: the agent workspace behind the shared sign-in and session gate. */
export function AgentApp() {
  return <SessionGate>{(s) => <WorkspaceShell key={s.me.id} me={s.me} abilities={s.abilities} onSignOut={s.signOut} />}</SessionGate>;
}

function WorkspaceShell(props: { me: User; abilities: Abilities; onSignOut: () => void }) {
  useLocale(); // the whole shell follows a change of language (LanguagePicker)
  const { path, query } = useLocation();
  const invalidate = useInvalidate();
  // The counts are asked again on every navigation (and after saves, through refreshCounts).
  const counts = useApi([...KEYS.counts, path], viewCounts, { keepPrevious: true });
  const pickers = useApi(KEYS.pickers, loadPickers, { staleTime: 60_000 });
  // The caller's active saved views, and their counts (asked again on every navigation too).
  const saved = useApi(KEYS.savedViews, loadActiveViews, { keepPrevious: true });
  const savedIds = (saved.data ?? []).map((v) => v.id);
  const savedCounts = useApi(savedIds.length ? [...KEYS.counts, "saved", path, ...savedIds] : null, (signal) => countViews(savedIds, signal), { keepPrevious: true });
  const shared = (saved.data ?? []).filter((v) => v.restriction?.type !== "User");
  const personal = (saved.data ?? []).filter((v) => v.restriction?.type === "User");
  const savedMatch = /^\/agent\/views\/(\d+)$/.exec(path);

  const route = /^\/agent\/tickets\/(\d+)$/.exec(path);
  const viewMatch = /^\/agent\/views\/([a-z-]+)$/.exec(path);
  const currentView = path === "/agent" ? "all-open" : viewMatch?.[1];
  const view = VIEWS.find((v) => v.id === currentView);
  let content;
  if (view)
    content = (
      <TicketList
        key={path}
        title={t(view.label)}
        source={searchSource(view.query(), filtersFrom(query))}
        defaultSort={view.sort}
        actions={(state) => <SaveBuiltInView key={query.toString()} base={view.conditions} state={state} />}
      />
    );
  else if (savedMatch) content = <SavedViewPage key={savedMatch[1]} id={Number(savedMatch[1])} />;
  else if (path === "/agent/search") {
    const q = query.get("q")?.trim() ?? "";
    content = q ? (
      // Words: by relevance unless the URL's `sort` says otherwise; filters only: the latest update first.
      <TicketList
        key={`search:${q}`}
        title={t("search.results", { query: q })}
        source={searchSource(q, filtersFrom(query))}
        {...(hasWords(q)
          ? { defaultSort: "relevance", sorts: TEXT_SORTS }
          : { defaultSort: "updated_at", actions: (state: ListState) => <SaveSearchAsView key={query.toString()} query={q} state={state} /> })}
      />
    ) : (
      <main id="main" className="main">
        <PageHeading>{t("search.title")}</PageHeading>
        <p>{t("search.intro")}</p>
      </main>
    );
  } else if (path === "/agent/tickets/new" && props.abilities.can_create_tickets) content = <NewTicket />;
  else if (path === "/agent/deleted-tickets" && props.abilities.can_delete_tickets) content = <DeletedTicketsPage key={query.get("deleted") ?? ""} />;
  else if (path === "/agent/macros") content = <MacrosPage />;
  else if (path === "/agent/devices") content = <DevicesPage me={props.me} />;
  else if (route) content = <TicketPage key={route[1]} id={Number(route[1])} />;
  else if (path === "/agent/security")
    content = (
      <main id="main" className="main">
        <PageHeading>{t("tf.nav")}</PageHeading>
        <TwoFactorSection />
        <PasskeysSection />
      </main>
    );
  else
    content = (
      <main id="main" className="main">
        <PageHeading>{t("app.notFound")}</PageHeading>
      </main>
    );

  return (
    <WorkspaceContext.Provider value={{ me: props.me, abilities: props.abilities, pickers: pickers.data ?? null, refreshCounts: () => void invalidate(KEYS.counts) }}>
      <header className="topbar">
        <Link to="/agent" className="brand">
          {t("app.name")}
        </Link>
        <SearchBox />
        {adminSections(props.abilities).length > 0 ? <Link to="/admin">{t("admin.link")}</Link> : null}
        <Link to="/agent/security">{t("tf.nav")}</Link>
        <LanguagePicker />
        <span className="whoami">{t("nav.signedInAs", { name: props.me.name })}</span>
        <Link to="/agent/devices">{t("sessions.link")}</Link>
        <button type="button" className="link" onClick={props.onSignOut}>
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
                  <span className="count">{counts.data ? countText(counts.data[v.id]) : "…"}</span>
                </Link>
              </li>
            ))}
            <li>
              <Link to="/agent/macros" aria-current={path === "/agent/macros" ? "page" : undefined}>
                <span>{t("macros.nav")}</span>
              </Link>
            </li>
            {props.abilities.can_delete_tickets ? (
              <li>
                <Link to="/agent/deleted-tickets" aria-current={path === "/agent/deleted-tickets" ? "page" : undefined}>
                  <span>{t("trash.nav")}</span>
                </Link>
              </li>
            ) : null}
          </ul>
          {[
            { id: "shared-views-heading", label: t("views.shared"), list: shared },
            { id: "personal-views-heading", label: t("views.personal"), list: personal },
          ].map((section) =>
            section.list.length ? (
              <section key={section.id} className="saved-views">
                <h3 id={section.id}>{section.label}</h3>
                <ul aria-labelledby={section.id}>
                  {section.list.map((v) => {
                    const c = savedCounts.data?.get(v.id);
                    return (
                      <li key={v.id}>
                        <Link to={`/agent/views/${v.id}`} aria-current={savedMatch?.[1] === String(v.id) ? "page" : undefined}>
                          <span>{v.title}</span>
                          <span className="count">{c ? countText(asCount(c)) : "…"}</span>
                        </Link>
                      </li>
                    );
                  })}
                </ul>
              </section>
            ) : null,
          )}
        </nav>
        {content}
      </div>
    </WorkspaceContext.Provider>
  );
}
