import type { RequestContext } from "../../platform/context.ts";
import type { AppDeps } from "../../platform/deps.ts";
import type { SettingsArea } from "../../platform/settings-changes.ts";
import { verifyAuditChain } from "../audit/audit-service.ts";
import { showApiSettings } from "../identity/api-tokens-service.ts";
import { showIpRestrictions } from "../identity/ip-restrictions-service.ts";
import { passwordSettings } from "../identity/password-settings-service.ts";
import { showSessionSettings } from "../identity/sessions-service.ts";
import { MAX_LIFETIME_SECONDS } from "../identity/sso-jwt-service.ts";
import { showSsoSettings } from "../identity/sso-service.ts";
import { showSettings as showTwoFactorSettings } from "../identity/two-factor-service.ts";
import { showPolicy as showRetentionPolicy } from "../privacy/privacy-service.ts";
import { notificationSettings } from "../tickets/notifications-service.ts";
import { DOWNLOAD_LINK_MINUTES } from "../tickets/attachments-service.ts";

/**
 * The controls of the security posture report. Each reads the tenant's real settings (through the
 * owning module's service) or the installation's configuration, and says pass, fail or not
 * applicable, in words. `owner` is the shared-responsibility split: the operator runs the
 * installation (TLS, mail relay, malware scanner, master key), the customer's admins set the
 * account. `healthcare`: part of the healthcare minimum configuration (SEED-DIGEST §7; `seed`
 * names the item), checked before healthcare mode turns on and guarded while it is on. `areas`:
 * the account settings a control reads, so that a change to one re-checks only its controls.
 */

export type ControlState = "pass" | "fail" | "not_applicable";
export type ControlOwner = "operator" | "customer";
export type Outcome = { state: ControlState; detail: string };

export type Env = { deps: Pick<AppDeps, "config" | "urls">; ctx: RequestContext; read: Readers };

export type ControlDef = {
  key: string;
  title: string;
  owner: ControlOwner;
  healthcare: boolean;
  seed: string;
  areas: readonly SettingsArea[];
  fix: string;
  check(env: Env): Promise<Outcome>;
};

/** Each setting read at most once per evaluation. */
export type Readers = ReturnType<typeof readersFor>;

function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= fn());
}

export function readersFor(deps: Pick<AppDeps, "config">, ctx: RequestContext) {
  return {
    passwords: once(() => passwordSettings(ctx.tx)),
    twoFactor: once(() => showTwoFactorSettings(ctx)),
    sso: once(() => showSsoSettings(ctx)),
    sessions: once(() => showSessionSettings(deps, ctx)),
    notifications: once(() => notificationSettings(ctx)),
    api: once(() => showApiSettings(ctx)),
    ipRestrictions: once(() => showIpRestrictions(ctx)),
  };
}

const pass = (detail: string): Outcome => ({ state: "pass", detail });
const fail = (detail: string): Outcome => ({ state: "fail", detail });
const notApplicable = (detail: string): Outcome => ({ state: "not_applicable", detail });

/** Staff sign in through an enabled SSO provider only (their IdP then carries the second factor). */
async function staffSsoOnly(read: Readers): Promise<boolean> {
  const s = await read.sso();
  return s.staff_sso_only && s.staff_provider !== null && s.providers.some((p) => p.kind === s.staff_provider && p.enabled);
}

/** The idle timeout healthcare accounts need at most (minutes). */
export const MAX_IDLE_MINUTES = 15;
/** A custom staff password policy at least this strict counts as strong (the recommended level's floor). */
const STRONG = { minLength: 12, minStrength: 3 };

export const CONTROLS: readonly ControlDef[] = [
  {
    key: "staff_two_factor",
    title: "Team members sign in with two-factor authentication, or through single sign-on only",
    owner: "customer",
    healthcare: true,
    seed: "§7 agent authentication with 2FA enforced, or SSO with 2FA; §4 two-factor enforceable",
    areas: ["two_factor", "sso"],
    fix: "/admin/security",
    async check({ read }) {
      if ((await read.twoFactor()).require_staff_two_factor) return pass("Two-factor sign-in is required for every team member.");
      if (await staffSsoOnly(read)) return pass("Team members sign in through single sign-on only; the identity provider must require a second factor (the customer's configuration there).");
      return fail("Two-factor sign-in is not required for team members, and they are not limited to single sign-on.");
    },
  },
  {
    key: "staff_password_policy",
    title: "Team members' passwords follow the recommended policy (or a custom one at least as strict)",
    owner: "customer",
    healthcare: true,
    seed: "§7 agent authentication through the \"recommended\" password policy; §4 password policies",
    areas: ["passwords"],
    fix: "/admin/passwords",
    async check({ read }) {
      const p = (await read.passwords()).staff;
      if (p.level === "recommended") return pass("Team members' passwords follow the recommended policy.");
      if (p.level === "custom") {
        const r = p.rules;
        if (r.min_length >= STRONG.minLength && r.min_strength >= STRONG.minStrength) return pass(`The custom policy asks for at least ${r.min_length} characters and strength ${r.min_strength} of 4.`);
        return fail(`The custom policy asks for ${r.min_length} characters and strength ${r.min_strength} of 4; at least ${STRONG.minLength} characters and strength ${STRONG.minStrength} are needed.`);
      }
      return fail(`Team members' passwords follow the ${p.level} policy, weaker than the recommended one.`);
    },
  },
  {
    key: "admin_set_passwords_off",
    title: "Admins cannot set end users' passwords",
    owner: "customer",
    healthcare: true,
    seed: "§7 admin-set end-user passwords off; §4",
    areas: ["passwords"],
    fix: "/admin/passwords",
    async check({ read }) {
      return (await read.passwords()).admins_set_end_user_passwords ? fail("Admins may set end users' passwords.") : pass("Admins cannot set end users' passwords.");
    },
  },
  {
    key: "https",
    title: "The help desk is served over HTTPS only",
    owner: "operator",
    healthcare: true,
    seed: "§7 SSL always on; §3 HTTPS in transit",
    areas: [],
    fix: "docs/operating.md#addresses-and-a-reverse-proxy",
    async check({ deps }) {
      const scheme = new URL(deps.urls.origin).protocol;
      return scheme === "https:" ? pass("The installation's public address (VAULTDESK_PUBLIC_URL) is https://.") : fail("The installation's public address is plain http (VAULTDESK_PUBLIC_URL unset or http://): set it to an https:// address behind a TLS-terminating proxy.");
    },
  },
  {
    key: "private_attachments",
    title: "Attachments need sign-in to download, through signed links",
    owner: "operator",
    healthcare: true,
    seed: "§7 attachments require authentication to download (private attachments)",
    areas: [],
    fix: "docs/security-model.md",
    async check() {
      return pass(`By construction: every download needs a signed-in user who may see the ticket, and a link signed for that user that expires after ${DOWNLOAD_LINK_MINUTES} minutes; there is no public attachment link to turn on.`);
    },
  },
  {
    key: "content_free_notifications",
    title: "E-mail notifications carry no ticket content",
    owner: "customer",
    healthcare: true,
    seed: "§7 e-mail notifications only say that an agent replied and require sign-in to read",
    areas: ["notifications"],
    fix: "/admin/notifications",
    async check({ read }) {
      return (await read.notifications()).content_free ? pass("Notifications carry only a link: no subject, no comment text.") : fail("Notifications quote the ticket's subject and comments.");
    },
  },
  {
    key: "jwt_token_expiry",
    title: "JWT single sign-on tokens expire within 15 minutes",
    owner: "customer",
    healthcare: true,
    seed: "§7 and §4 JWT tokens expire in 15 minutes or less",
    areas: ["sso"],
    fix: "/admin/sso",
    async check({ read }) {
      const jwt = (await read.sso()).providers.find((p) => p.kind === "jwt");
      if (!jwt?.enabled) return notApplicable("JWT single sign-on is not in use.");
      return pass(`By construction: a token must carry iat and is refused when older than a few minutes or with an exp more than ${MAX_LIFETIME_SECONDS / 60} minutes ahead; there is no setting to lengthen it.`);
    },
  },
  {
    key: "api_password_access_off",
    title: "The API takes no passwords (tokens or OAuth only)",
    owner: "customer",
    healthcare: true,
    seed: "§7 API through OAuth or scoped tokens, password API access off; §4",
    areas: ["api"],
    fix: "/admin/tokens",
    async check({ read }) {
      return (await read.api()).password_access ? fail("The API accepts e-mail and password (Basic authentication).") : pass("The API accepts only API tokens and OAuth.");
    },
  },
  {
    key: "ip_restrictions_or_mfa",
    title: "Team members' access is limited to listed networks, or needs two-factor authentication",
    owner: "customer",
    healthcare: true,
    seed: "§7 agent access limited to listed IPs unless MFA is on; §4 IP restrictions",
    areas: ["ip_restrictions", "two_factor", "sso"],
    fix: "/admin/ip-restrictions",
    async check({ read }) {
      if ((await read.ipRestrictions()).enabled) return pass("Access is limited to the listed networks.");
      if ((await read.twoFactor()).require_staff_two_factor) return pass("No network limit, but two-factor sign-in is required for every team member.");
      if (await staffSsoOnly(read)) return pass("No network limit, but team members sign in through single sign-on only (the identity provider's second factor).");
      return fail("Access is open from any network and two-factor sign-in is not required.");
    },
  },
  {
    key: "session_idle_timeout",
    title: `Idle sessions end within ${MAX_IDLE_MINUTES} minutes`,
    owner: "customer",
    healthcare: true,
    seed: "§4 screen lock after 15 minutes of inactivity for healthcare accounts",
    areas: ["sessions"],
    fix: "/admin/sessions",
    async check({ read }) {
      const idle = (await read.sessions()).idle_minutes;
      return idle <= MAX_IDLE_MINUTES ? pass(`Sessions end after ${idle} idle minutes.`) : fail(`Sessions end after ${idle} idle minutes; at most ${MAX_IDLE_MINUTES} are needed.`);
    },
  },
  {
    key: "encryption_at_rest",
    title: "Customer content is encrypted at rest",
    owner: "operator",
    healthcare: true,
    seed: "§3 all data at rest encrypted with AES-256",
    areas: [],
    fix: "docs/security-model.md",
    async check() {
      return pass("By construction: content, names, addresses and files are sealed with AES-256-GCM under the account's data key; the operator keeps the master key that wraps it.");
    },
  },
  {
    key: "mail_relay_tls",
    title: "Outgoing mail reaches the relay over verified TLS only",
    owner: "operator",
    healthcare: true,
    seed: "§7 SSL always on; §3 e-mail in transit over TLS",
    areas: [],
    fix: "docs/operating.md#outgoing-mail-and-notifications",
    async check({ deps }) {
      const url = deps.config.smtpUrl;
      if (url === undefined) return notApplicable("No outgoing mail server is configured: the installation sends no mail.");
      if (url.startsWith("smtps://")) return pass("The relay is reached over TLS from the start (smtps://).");
      return deps.config.relayTls === "required" ? pass("STARTTLS with a verified certificate is required (VAULTDESK_SMTP_RELAY_TLS=required).") : fail("Mail is sent in clear when the relay does not offer STARTTLS: set VAULTDESK_SMTP_RELAY_TLS=required.");
    },
  },
  {
    key: "malware_scanning",
    title: "Attachments are scanned for malware",
    owner: "operator",
    healthcare: false,
    seed: "§9 attachments scanned for malware",
    areas: [],
    fix: "docs/operating.md#attachments-and-malware-scanning",
    async check({ deps }) {
      return deps.config.clamd ? pass("Every attachment is scanned by ClamAV before it is served.") : fail("No malware scanner is configured (VAULTDESK_CLAMD): attachments are served unscanned.");
    },
  },
  {
    key: "audit_chain",
    title: "The audit trail's hash chain verifies",
    owner: "operator",
    healthcare: false,
    seed: "§5 audit log read-only, tamper-evident",
    areas: [],
    fix: "/admin/audit",
    async check({ ctx }) {
      const v = await verifyAuditChain(ctx);
      return v.verified ? pass(`Verified now: ${v.entries_checked} entries, unbroken.`) : fail(`The chain breaks at entry ${v.first_broken_id ?? "?"}: ${v.reason ?? "altered"}. Tell the operator.`);
    },
  },
  {
    key: "retention_policy",
    title: "A retention policy removes old solved tickets",
    owner: "customer",
    healthcare: false,
    seed: "§6 retention policies delete old tickets automatically",
    areas: [],
    fix: "/admin/retention",
    async check({ ctx }) {
      const p = await showRetentionPolicy(ctx);
      return p.enabled ? pass(`Solved tickets go to the trash after ${p.solved_days} days; the trash is emptied after ${p.trash_days}.`) : fail("No retention policy is on: solved tickets are kept forever.");
    },
  },
];
