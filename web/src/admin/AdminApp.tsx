import { useEffect } from "react";
import type { Abilities, User } from "../api-schema.ts";
import { LanguagePicker } from "../components/LanguagePicker.tsx";
import { SessionGate } from "../components/SessionGate.tsx";
import { t, useLocale } from "../i18n/index.ts";
import { Link, navigate, PageHeading, useLocation } from "../router.tsx";
import { adminSections, sectionOf } from "./admin-nav.ts";
import { AccountPage } from "./AccountPage.tsx";
import { AttachmentsPage } from "./AttachmentsPage.tsx";
import { NotificationsPage } from "./NotificationsPage.tsx";
import { PasswordsPage } from "./PasswordsPage.tsx";
import { AuditLogPage } from "./AuditLogPage.tsx";
import { GroupPage, GroupsPage } from "./GroupsPage.tsx";
import { HelpCenterSettingsPage } from "./HelpCenterSettingsPage.tsx";
import { InvitationsPage } from "./InvitationsPage.tsx";
import { JobsPage } from "./JobsPage.tsx";
import { OrganizationPage, OrganizationsPage } from "./OrganizationsPage.tsx";
import { NewPersonPage, PeoplePage, PersonPage } from "./PeoplePage.tsx";
import { TokensPage } from "./TokensPage.tsx";
import { OAuthClientsPage } from "./OAuthClientsPage.tsx";
import { SupportAddressesPage } from "./SupportAddressesPage.tsx";
import { SuspendedTicketsPage } from "./SuspendedTicketsPage.tsx";
import { SessionSettingsPage } from "./SessionSettingsPage.tsx";
import { SecurityPage } from "./SecurityPage.tsx";
import { IpRestrictionsPage } from "./IpRestrictionsPage.tsx";
import { SingleSignOnPage } from "./SingleSignOnPage.tsx";
import { RetentionPage } from "./RetentionPage.tsx";
import { DeletedPeoplePage } from "./DeletedPeoplePage.tsx";
import { CompliancePage } from "./CompliancePage.tsx";
import { RedactionPage } from "./RedactionPage.tsx";
import { SatisfactionPage } from "./SatisfactionPage.tsx";
import { DataRequestsPage } from "./DataRequestsPage.tsx";
import { RolePage, RolesPage } from "./RolesPage.tsx";
import { TicketFieldPage, TicketFieldsPage } from "./TicketFieldsPage.tsx";
import { AUTOMATIONS, RulesPage, TRIGGERS } from "./RulesPage.tsx";
import { BusinessHoursPage } from "./BusinessHoursPage.tsx";
import { SlaPoliciesPage } from "./SlaPoliciesPage.tsx";

/**
 * `/admin/*`, the admin center, behind the same sign-in and session gate as the workspace. The
 * server's abilities say which of its sections a person may use (admin-nav.ts): owners and admins
 * all of them, an agent those their role grants (groups, organizations, the audit log, API
 * tokens). Someone with none gets a page saying they have no access, and a section they may not
 * use says so instead of loading; the API refuses them anyway: every call is checked on the server.
 */
export function AdminApp() {
  return (
    <SessionGate intro={t("admin.signInIntro")} allowed={(a) => adminSections(a).length > 0} denied={<NoAccess />}>
      {(s) => <AdminShell key={s.me.id} me={s.me} abilities={s.abilities} onSignOut={s.signOut} />}
    </SessionGate>
  );
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

/** A section of the admin center the person's abilities do not open: said plainly, nothing loaded. */
function NoPageAccess() {
  return (
    <main id="main" className="main">
      <PageHeading>{t("admin.noAccess.pageTitle")}</PageHeading>
      <p>{t("admin.noAccess.pageText")}</p>
    </main>
  );
}

function AdminShell(props: { me: User; abilities: Abilities; onSignOut: () => void }) {
  useLocale(); // the whole shell follows a change of language (LanguagePicker)
  const { path, query } = useLocation();
  const sections = adminSections(props.abilities);
  // `/admin` opens the first section the person may use: People for admins.
  const home = sections[0]!.path;
  useEffect(() => {
    if (path === "/admin" && home !== "/admin/people") navigate(home, { replace: true });
  }, [path, home]);
  const section = path === "/admin" ? sectionOf(home) : sectionOf(path);
  const person = /^\/admin\/people\/(\d+)$/.exec(path);
  const group = /^\/admin\/groups\/(\d+)$/.exec(path);
  const org = /^\/admin\/organizations\/(\d+)$/.exec(path);
  const customRole = /^\/admin\/roles\/(\d+)$/.exec(path);
  const ticketField = /^\/admin\/ticket-fields\/(\d+)$/.exec(path);
  let content;
  if (section && !sections.includes(section)) content = <NoPageAccess />;
  else if (path === "/admin" && home !== "/admin/people") content = null;
  else if (path === "/admin" || path === "/admin/people") content = <PeoplePage />;
  else if (path === "/admin/people/new") content = <NewPersonPage />;
  else if (person) content = <PersonPage key={person[1]} id={Number(person[1])} me={props.me} invited={query.get("invited") === "1"} />;
  else if (path === "/admin/invitations") content = <InvitationsPage me={props.me} />;
  else if (path === "/admin/roles") content = <RolesPage />;
  else if (customRole) content = <RolePage key={customRole[1]} id={Number(customRole[1])} created={query.get("created") === "1"} />;
  else if (path === "/admin/ticket-fields") content = <TicketFieldsPage />;
  else if (ticketField) content = <TicketFieldPage key={ticketField[1]} id={Number(ticketField[1])} created={query.get("created") === "1"} />;
  else if (path === "/admin/triggers") content = <RulesPage key="triggers" kind={TRIGGERS} />;
  else if (path === "/admin/automations") content = <RulesPage key="automations" kind={AUTOMATIONS} />;
  else if (path === "/admin/business-hours") content = <BusinessHoursPage />;
  else if (path === "/admin/slas") content = <SlaPoliciesPage />;
  else if (path === "/admin/groups") content = <GroupsPage />;
  else if (group) content = <GroupPage key={group[1]} id={Number(group[1])} />;
  else if (org) content = <OrganizationPage key={org[1]} id={Number(org[1])} abilities={props.abilities} />;
  else if (path === "/admin/organizations") content = <OrganizationsPage />;
  else if (path === "/admin/tokens") content = <TokensPage abilities={props.abilities} />;
  else if (path === "/admin/oauth-clients") content = <OAuthClientsPage />;
  else if (path === "/admin/sessions") content = <SessionSettingsPage />;
  else if (path === "/admin/security") content = <SecurityPage />;
  else if (path === "/admin/ip-restrictions") content = <IpRestrictionsPage />;
  else if (path === "/admin/sso") content = <SingleSignOnPage />;
  else if (path === "/admin/audit") content = <AuditLogPage />;
  else if (path === "/admin/jobs") content = <JobsPage />;
  else if (path === "/admin/account") content = <AccountPage me={props.me} />;
  else if (path === "/admin/help-center") content = <HelpCenterSettingsPage />;
  else if (path === "/admin/satisfaction") content = <SatisfactionPage />;
  else if (path === "/admin/passwords") content = <PasswordsPage />;
  else if (path === "/admin/attachments") content = <AttachmentsPage />;
  else if (path === "/admin/retention") content = <RetentionPage />;
  else if (path === "/admin/deleted-people") content = <DeletedPeoplePage />;
  else if (path === "/admin/compliance") content = <CompliancePage />;
  else if (path === "/admin/redaction") content = <RedactionPage />;
  else if (path === "/admin/data-requests") content = <DataRequestsPage />;
  else if (path === "/admin/notifications") content = <NotificationsPage />;
  else if (path === "/admin/support-addresses") content = <SupportAddressesPage />;
  else if (path === "/admin/suspended-tickets") content = <SuspendedTicketsPage />;
  else
    content = (
      <main id="main" className="main">
        <PageHeading>{t("app.notFound")}</PageHeading>
      </main>
    );
  const current = section?.path;
  return (
    <>
      <header className="topbar">
        <Link to="/admin" className="brand">
          {t("admin.brand")}
        </Link>
        <a href="/agent">{t("admin.toWorkspace")}</a>
        <LanguagePicker />
        <span className="whoami">{t("nav.signedInAs", { name: props.me.name })}</span>
        <button type="button" className="link" onClick={props.onSignOut}>
          {t("signout")}
        </button>
      </header>
      <div className="workspace">
        <nav className="sidebar" aria-label={t("admin.nav.label")}>
          <ul>
            {sections.map((s) => (
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
