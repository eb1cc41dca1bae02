import type { ColumnType, Generated } from "kysely";

/** Kysely table types, kept by hand beside the SQL migrations in ./migrations. */

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Bytes = Uint8Array;

export interface TenantsTable {
  id: string;
  subdomain: string;
  status: Generated<"active" | "closed" | "shredded">;
  region: Generated<string>;
  is_default: Generated<boolean>;
  created_at: Generated<Date>;
  shredded_at: Date | null;
  /** Account termination (0045): when the owner closed it, when the upkeep shreds it, and how. */
  closed_at: Generated<Date | null>;
  deletes_at: Generated<Date | null>;
  termination_mode: Generated<"delete_after_grace" | "shred_now" | null>;
}

export interface TenantKeysTable {
  tenant_id: string;
  purpose: "data" | "index";
  version: number;
  wrapped: Bytes;
  created_at: Generated<Date>;
  retired_at: Date | null;
}

export interface TenantCountersTable {
  tenant_id: string;
  name: string;
  value: number;
}

export interface OrganizationsTable {
  tenant_id: string;
  id: string;
  nice_id: number;
  name_sealed: Bytes;
  name_bidx: Bytes;
  notes_sealed: Bytes | null;
  details_sealed: Bytes | null;
  external_id_sealed: Bytes | null;
  tags: Generated<string[]>;
  created_at: Generated<Date>;
  updated_at: Timestamp;
  /** 0029: Zendesk's shared organizations: members see each other's requests. */
  shared_tickets: Generated<boolean>;
}

export type Role = "owner" | "admin" | "agent" | "light_agent" | "end_user";

export interface UsersTable {
  tenant_id: string;
  id: string;
  nice_id: number;
  role: Role;
  name_sealed: Bytes;
  email_sealed: Bytes | null;
  email_bidx: Bytes | null;
  phone_sealed: Bytes | null;
  external_id_sealed: Bytes | null;
  organization_id: string | null;
  tags: Generated<string[]>;
  active: Generated<boolean>;
  suspended: Generated<boolean>;
  password_hash: string | null;
  must_change_password: Generated<boolean>;
  last_login_at: Date | null;
  created_at: Generated<Date>;
  updated_at: Timestamp;
  /** 0007_help_center.sql: the language chosen on the help center. */
  locale: string | null;
  /** 0011: how far the primary e-mail address is proven. */
  email_status: Generated<EmailStatus>;
  /** 0011: an IANA time zone name. */
  time_zone: string | null;
  /** 0018: when the password was set (its policy's expiry counts from here). */
  password_set_at: Date | null;
  /** 0018: wrong passwords in a row since the last sign-in or lockout. */
  failed_signins: Generated<number>;
  /** 0018: lockouts in a row (each one longer), until a sign-in succeeds. */
  lockouts: Generated<number>;
  /** 0028: the tenant's support user (the operator acting under a support access grant). */
  support: Generated<boolean>;
  /** 0018: no password sign-in before this time. */
  locked_until: Date | null;
  /** 0029: an agent's custom role. */
  custom_role_id: Generated<string | null>;
  /** 0043: deleted (restorable until erased), by whom. */
  deleted_at: Generated<Date | null>;
  deleted_by: Generated<string | null>;
  /** 0043: erased for good: the row is a tombstone named by `pseudonym` only. */
  erased_at: Generated<Date | null>;
  pseudonym: Generated<string | null>;
  /** 0041: processing restricted (GDPR art. 18) since then; null: not restricted. */
  restricted_at: Date | null;
  /** 0041: why (sealed); set exactly when restricted_at is. */
  restriction_reason_sealed: Bytes | null;
}
export type EmailStatus = "unverified" | "verified" | "staff_changed";

/** 0018: the tenant's password policies (JSON of password-policy.ts's PasswordPolicy). */
export interface PasswordSettingsTable {
  tenant_id: string;
  id: string;
  staff_policy: ColumnType<unknown, string, string>;
  end_user_policy: ColumnType<unknown, string, string>;
  admins_set_end_user_passwords: Generated<boolean>;
  updated_at: Generated<Date>;
}

/** 0018: hashes of a user's earlier passwords. */
export interface PasswordHistoryTable {
  tenant_id: string;
  user_id: string;
  password_hash: string;
  created_at: Generated<Date>;
}

/** 0029: a tenant's custom agent roles (platform/roles.ts). */
/** 0038: legal holds (modules/privacy). */
/** 0043: what an erasure deleted and kept, bound to its audit entry (no personal data). */
export interface ErasureReceiptsTable {
  tenant_id: string;
  id: string;
  nice_id: number;
  user_nice_id: number;
  pseudonym: string;
  erased_at: Date;
  erased_by_nice: number | null;
  cause: "request" | "expiry";
  receipt: unknown;
  audit_entry_id: string;
}

export interface LegalHoldsTable {
  tenant_id: string;
  id: string;
  nice_id: number;
  target_kind: "ticket" | "user" | "organization";
  target_id: string;
  reason_sealed: Bytes;
  created_by: string | null;
  created_at: Generated<Date>;
  released_at: Date | null;
  released_by: string | null;
}

/** 0038: a tenant's retention policy (modules/privacy). */
export interface RetentionPoliciesTable {
  tenant_id: string;
  enabled: Generated<boolean>;
  solved_days: Generated<number>;
  excluded_tags: Generated<string[]>;
  trash_days: Generated<number>;
  last_run_at: Date | null;
  updated_at: Generated<Date>;
  /** 0044: days audit entries stay in the database before they are archived, and days after that before they are deleted from it. */
  audit_hot_days: Generated<number>;
  audit_purge_days: Generated<number>;
}

/** 0044: a sealed file of audit entries (first_seq..last_seq) tied into the chain by its hashes. */
export interface AuditArchivesTable {
  tenant_id: string;
  id: string;
  nice_id: number;
  first_seq: number;
  last_seq: number;
  first_at: Date;
  last_at: Date;
  prev_hash: Bytes;
  last_hash: Bytes;
  entries: number;
  sha256: Bytes;
  bytes: number;
  created_at: Generated<Date>;
  verified_at: Date | null;
  purged_at: Date | null;
}

/** 0040: a tenant's healthcare mode (modules/compliance). */
export interface ComplianceSettingsTable {
  tenant_id: string;
  healthcare_mode: Generated<boolean>;
  updated_at: Generated<Date>;
}

/** 0041: withdrawals of consent (modules/help-center). */
export interface ConsentWithdrawalsTable {
  tenant_id: string;
  id: string;
  nice_id: number;
  consent_record_id: string;
  user_id: string;
  via: "help_center" | "staff";
  withdrawn_by: string | null;
  withdrawn_at: Generated<Date>;
}

/** 0041: a tenant's automatic redaction beyond card numbers (modules/privacy). */
export interface RedactionSettingsTable {
  tenant_id: string;
  iban: Generated<boolean>;
  national_ids: Generated<string[]>;
  updated_at: Generated<Date>;
}

/** 0042: data exports, a person's and a tenant's (modules/exports); the file is a sealed blob. */
export interface DataExportsTable {
  tenant_id: string;
  id: string;
  nice_id: number;
  kind: "person" | "tenant";
  subject_user_id: string | null;
  resource: "tickets" | "users" | "organizations" | null;
  format: "zip" | "csv" | "json";
  params: ColumnType<unknown, string, never>;
  requested_by: string;
  status: Generated<"queued" | "working" | "ready" | "failed">;
  rows_done: Generated<number>;
  bytes: number | null;
  created_at: Generated<Date>;
  ready_at: Date | null;
  expires_at: Date | null;
  downloaded_at: Date | null;
  blob_removed_at: Date | null;
}

/** 0039: data subject requests (modules/privacy, dsr-*.ts). */
export type DsrKind = "access" | "portability" | "rectification" | "erasure" | "restriction" | "objection";
export type DsrRegime = "gdpr" | "ccpa";
export type DsrStatus = "new" | "verifying" | "in_progress" | "completed" | "rejected";
export type DsrVerificationMethod = "signed_in_session" | "email_link" | "id_document" | "other";
export interface DataSubjectRequestsTable {
  tenant_id: string;
  id: string;
  nice_id: number;
  kind: DsrKind;
  regime: DsrRegime;
  status: Generated<DsrStatus>;
  source: "staff" | "self";
  subject_user_id: string | null;
  subject_email_sealed: Bytes | null;
  note_sealed: Bytes | null;
  resolution_sealed: Bytes | null;
  assignee_id: string | null;
  verification_method: DsrVerificationMethod | null;
  verified_by: string | null;
  verified_at: Date | null;
  created_by: string | null;
  created_at: Date;
  due_at: Date;
  closed_at: Date | null;
  updated_at: Date;
}

/** 0039: every step of a data subject request (append-only). */
export interface DataSubjectRequestEventsTable {
  tenant_id: string;
  id: string;
  request_id: string;
  step: number;
  action: "created" | "verified" | "status_changed" | "assigned" | "noted";
  from_status: DsrStatus | null;
  to_status: DsrStatus | null;
  detail: string | null;
  note_sealed: Bytes | null;
  actor_id: string | null;
  at: Date;
}

/** 0039: a tenant's data subject request deadlines. */
export interface DataSubjectRequestSettingsTable {
  tenant_id: string;
  gdpr_days: Generated<number>;
  ccpa_days: Generated<number>;
  default_regime: Generated<DsrRegime>;
  updated_at: Generated<Date>;
}

/** 0038: upkeep run once per period across server processes (not a tenant table). */
export interface MaintenanceTurnsTable {
  name: string;
  last_run: Date;
}

export interface CustomRolesTable {
  tenant_id: string;
  id: string;
  nice_id: number;
  name: string;
  description: Generated<string>;
  configuration: unknown;
  created_at: Generated<Date>;
  updated_at: Timestamp;
}

export interface GroupsTable {
  tenant_id: string;
  id: string;
  nice_id: number;
  name: string;
  description: Generated<string>;
  deleted: Generated<boolean>;
  created_at: Generated<Date>;
  updated_at: Timestamp;
}

export interface GroupMembershipsTable {
  tenant_id: string;
  id: string;
  nice_id: number;
  user_id: string;
  group_id: string;
  is_default: Generated<boolean>;
  created_at: Generated<Date>;
  updated_at: Timestamp;
}

export type TicketFieldType = "text" | "number" | "date" | "dropdown" | "checkbox";

export interface TicketFieldsTable {
  tenant_id: string;
  id: string;
  nice_id: number;
  type: TicketFieldType;
  title: string;
  options: ColumnType<Array<{ name: string; value: string }>, string, string>;
  required: Generated<boolean>;
  active: Generated<boolean>;
  /** 0031: field permissions (tickets-fns.ts `fieldAccess`). */
  visible_in_portal: Generated<boolean>;
  editable_in_portal: Generated<boolean>;
  role_permissions: ColumnType<unknown, string | undefined, string>;
  created_at: Generated<Date>;
  updated_at: Timestamp;
}

export type TicketStatus = "new" | "open" | "pending" | "hold" | "solved" | "closed";
export type TicketPriority = "low" | "normal" | "high" | "urgent";
export type TicketType = "problem" | "incident" | "question" | "task";

export interface TicketsTable {
  tenant_id: string;
  id: string;
  nice_id: number;
  subject_sealed: Bytes;
  description_sealed: Bytes;
  status: TicketStatus;
  priority: TicketPriority | null;
  type: TicketType | null;
  requester_id: string;
  submitter_id: string;
  assignee_id: string | null;
  group_id: string | null;
  organization_id: string | null;
  tags: Generated<string[]>;
  custom_fields_sealed: Bytes | null;
  external_id_sealed: Bytes | null;
  external_id_bidx: Bytes | null;
  due_at: Date | null;
  created_at: Generated<Date>;
  updated_at: Timestamp;
  solved_at: Date | null;
  deleted_at: Date | null;
  /** 0037: who deleted it (the trash list). */
  deleted_by: Generated<string | null>;
  /** 0011: the channel the ticket came in through (Zendesk's via.channel). */
  via: Generated<string>;
  /** 0011: true once the ticket has a public comment. */
  is_public: Generated<boolean>;
  /** 0065: the times automations read, kept by the conversation writer: the status's last change. */
  status_updated_at: Generated<Date>;
  /** 0065: when the ticket was last assigned (null while unassigned). */
  assigned_at: Generated<Date | null>;
  /** 0065: when its requester last wrote on it (null until they do). */
  requester_updated_at: Generated<Date | null>;
  /** 0065: when its assignee last wrote on it (null until they do). */
  assignee_updated_at: Generated<Date | null>;
  /** Times automations updated the ticket (0066; at most MAX_AUTOMATION_UPDATES). */
  automation_updates: Generated<number>;
  /** 0068: the SLA policy applied to the ticket (modules/sla), null for none. */
  sla_policy_id: Generated<string | null>;
  /** 0068: the earliest breach among its active SLA metrics (views' order), null for none. */
  sla_next_breach_at: Generated<Date | null>;
  /** 0069: its last SLA breach as its writes saw it (a breach of a stretch since replaced too), null for none. */
  sla_last_breach_at: Generated<Date | null>;
}

export interface TicketAuditsTable {
  tenant_id: string;
  id: string;
  nice_id: number;
  ticket_id: string;
  author_id: string | null;
  events_sealed: Bytes;
  via: Generated<string>;
  created_at: Generated<Date>;
}

export interface TicketCommentsTable {
  tenant_id: string;
  id: string;
  nice_id: number;
  ticket_id: string;
  audit_id: string;
  author_id: string;
  public: boolean;
  body_sealed: Bytes;
  html_body_sealed: Bytes;
  created_at: Generated<Date>;
  /** 0011: who actually wrote the comment (author_id may name someone else); null: nobody signed in. */
  written_by: string | null;
}

export interface ApiTokensTable {
  tenant_id: string;
  id: string;
  nice_id: number;
  user_id: string;
  name: string;
  scopes: Generated<string[]>;
  token_hash: Bytes;
  created_at: Generated<Date>;
  last_used_at: Date | null;
  revoked_at: Date | null;
  /** 0026: NULL never expires. */
  expires_at: Date | null;
  /** 0026: the client address of the last use (sealed), written with `last_used_at`. */
  last_used_ip_sealed: Bytes | null;
  /** 0026: the secret before the last rotation, accepted until `previous_expires_at`. */
  previous_token_hash: Bytes | null;
  previous_expires_at: Date | null;
  rotated_at: Date | null;
}

/** 0026: a tenant's API settings; `id` is the tenant's id. */
export interface ApiSettingsTable {
  tenant_id: string;
  id: string;
  password_access: Generated<boolean>;
  updated_at: Generated<Date>;
}

export interface SessionsTable {
  tenant_id: string;
  id: string;
  user_id: string;
  token_hash: Bytes;
  ip_sealed: Bytes | null;
  created_at: Generated<Date>;
  last_seen_at: Timestamp;
  expires_at: Timestamp;
  revoked_at: Date | null;
  /** 0011: how the session began; a one-time password binds only password sessions. */
  method: Generated<SessionMethod>;
  /** 0022: the number the Sessions API shows (vd_next_id('sessions')). */
  nice_id: number;
  /** 0022: the browser's User-Agent header, sealed. */
  user_agent_sealed: Bytes | null;
  /** 0022: keyed hash of user, browser family, OS family and network, for "a new device". */
  device_hash: Bytes | null;
  /** 0025: whether the sign-in used a second factor (a code or a passkey after the password). */
  second_factor: Generated<boolean>;
  /** 0056: opened with a sign-in link staff made for the person (not a recent sign-in of theirs). */
  staff_issued: Generated<boolean>;
  /** 0058: the identity provider's time of authentication (single sign-on); null: at created_at. */
  signed_in_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

/** 0025: the networks a tenant may be used from; `allowed_ips` is a sealed JSON list of CIDR ranges. */
export interface IpRestrictionsTable {
  tenant_id: string;
  id: string;
  enabled: Generated<boolean>;
  allowed_ips_sealed: Bytes | null;
  enforce_end_users: Generated<boolean>;
  allow_two_factor: Generated<boolean>;
  updated_at: Generated<Date>;
}

/** 0022: a tenant's session lengths; NULL follows the process-wide defaults. */
export interface SessionSettingsTable {
  tenant_id: string;
  id: string;
  idle_minutes: number | null;
  max_hours: number | null;
  updated_at: Generated<Date>;
}

export type SessionMethod = "password" | "link" | "invitation" | "passkey" | "saml" | "oidc" | "jwt";

/** 0023: the single sign-on protocols. */
export type SsoKind = "saml" | "oidc" | "jwt";

export interface JobStatusesTable {
  tenant_id: string;
  id: string;
  job_type: string;
  status: "queued" | "working" | "completed" | "failed" | "killed";
  total: number;
  progress: number;
  results: ColumnType<unknown[], string, string>;
  created_at: Generated<Date>;
  updated_at: Timestamp;
  /** 0009_jobs.sql: the job store. */
  payload_sealed: Bytes | null;
  created_by: string | null;
  request_id: Generated<string>;
  attempts: Generated<number>;
  max_attempts: Generated<number>;
  run_after: ColumnType<Date, Date | string | undefined, Date | string>;
  locked_until: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  locked_by: string | null;
  message: string | null;
  finished_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** 0057: the ticket a job is about (a notification), for reviseMailAbout. */
  ticket_id: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface AuditHeadsTable {
  tenant_id: string;
  seq: number;
  hash: Bytes;
}

export interface AuditLogTable {
  tenant_id: string;
  seq: number;
  id: string;
  occurred_at: Date;
  actor_kind: string;
  actor_id: string;
  action: string;
  resource_type: string;
  resource_id: string;
  fields: string;
  ip_sealed: Bytes | null;
  request_id: string;
  hash: Bytes;
}

export interface KeyRotationsTable {
  tenant_id: string;
  version: number;
  status: "running" | "completed";
  resealed: Generated<number>;
  started_at: Generated<Date>;
  finished_at: Date | null;
}

export interface RateLimitCountersTable {
  key: string;
  window_start: Date;
  count: number;
}

/** 0006_admin.sql: the account's settings (one row per tenant). */
export interface TenantSettingsTable {
  tenant_id: string;
  /** Always equal to tenant_id (the row id the seal binds, used by key rotation). */
  id: string;
  name_sealed: Bytes | null;
  updated_at: Timestamp;
  /** 0007_help_center.sql: consent on the request form (the text sealed, its version counted). */
  consent_required: Generated<boolean>;
  consent_text_sealed: Bytes | null;
  consent_version: Generated<number>;
  /** 0012_consent_texts.sql: the consent texts per language, one sealed JSON object. */
  consent_texts_sealed: Generated<Bytes | null>;
}

/** 0006_admin.sql: one-time staff invitations (the secret is stored only as a keyed hash). */
export interface InvitationsTable {
  tenant_id: string;
  id: string;
  nice_id: number;
  role: "admin" | "agent" | "light_agent";
  email_sealed: Bytes;
  email_bidx: Bytes;
  token_hash: Bytes;
  invited_by: string;
  created_at: Generated<Date>;
  expires_at: Date;
  used_at: Date | null;
  used_by: string | null;
  revoked_at: Date | null;
}

/** 0007_help_center.sql: an accepted consent (append-only evidence). */
export interface ConsentRecordsTable {
  tenant_id: string;
  id: string;
  nice_id: number;
  user_id: string;
  ticket_id: string | null;
  text_version: number;
  text_sha256: Bytes;
  text_sealed: Bytes;
  ip_sealed: Bytes | null;
  accepted_at: Generated<Date>;
  /** 0012_consent_texts.sql: the language of the accepted text (null: the default text). */
  text_locale: Generated<string | null>;
}

/** 0007_help_center.sql: one-time sign-in links for end users (the secret stored as a keyed hash). */
export interface SigninLinksTable {
  tenant_id: string;
  id: string;
  user_id: string;
  token_hash: Bytes;
  created_by: string | null;
  created_at: Generated<Date>;
  expires_at: Date;
  used_at: Date | null;
}

/** 0020_password_resets.sql: password reset links sent by e-mail (the secret stored as a keyed hash). */
export interface PasswordResetsTable {
  tenant_id: string;
  id: string;
  user_id: string;
  token_hash: Bytes;
  expires_at: Date;
  used_at: Date | null;
  created_at: Generated<Date>;
}

/** 0021_two_factor.sql: a person's TOTP authenticator (the shared secret sealed). */
export interface TwoFactorTotpTable {
  tenant_id: string;
  id: string;
  user_id: string;
  secret_sealed: Bytes;
  status: "pending" | "active";
  /** The newest 30-second time step a code was accepted for (a code is accepted only for a later one). */
  last_used_step: number | null;
  created_at: Generated<Date>;
  activated_at: Date | null;
}

/** 0021: single-use recovery codes (keyed hashes). */
export interface TwoFactorRecoveryCodesTable {
  tenant_id: string;
  id: string;
  user_id: string;
  code_hash: Bytes;
  used_at: Date | null;
  created_at: Generated<Date>;
}

/** 0021: the second step of a password sign-in (the secret stored as a keyed hash). */
export interface TwoFactorChallengesTable {
  tenant_id: string;
  id: string;
  user_id: string;
  token_hash: Bytes;
  expires_at: Date;
  used_at: Date | null;
  failed_attempts: Generated<number>;
  created_at: Generated<Date>;
}

/** 0021: whether every staff member must use two-factor sign-in. */
export interface TwoFactorSettingsTable {
  tenant_id: string;
  id: string;
  require_staff_two_factor: Generated<boolean>;
  updated_at: Generated<Date>;
}

/** 0024_passkeys.sql: a person's passkey (WebAuthn credential): its id found by a blind index, id, public key and name sealed. */
export interface PasskeysTable {
  tenant_id: string;
  id: string;
  user_id: string;
  credential_bidx: Bytes;
  credential_id_sealed: Bytes;
  public_key_sealed: Bytes;
  name_sealed: Bytes;
  /** bigint: the drivers may answer a string; read it with Number(). */
  sign_count: ColumnType<number | string, number | undefined, number>;
  transports: Generated<string[]>;
  device_type: "singleDevice" | "multiDevice";
  backed_up: Generated<boolean>;
  created_at: Generated<Date>;
  last_used_at: Date | null;
  /** 0054: the session it was registered in (none before 0054). */
  session_id: Generated<string | null>;
}

/** 0059 adds `recovery_codes` (renewing recovery codes with a passkey). */
export type WebauthnPurpose = "registration" | "second_factor" | "passwordless" | "recovery_codes";

/** 0024: a WebAuthn challenge (keyed hash), five minutes, single use, bound to its purpose and person. */
export interface WebauthnChallengesTable {
  tenant_id: string;
  id: string;
  purpose: WebauthnPurpose;
  user_id: string | null;
  challenge_hash: Bytes;
  expires_at: Date;
  used_at: Date | null;
  created_at: Generated<Date>;
}

/** 0023: one identity provider's settings per tenant and protocol, a sealed JSON document. */
export interface SsoProvidersTable {
  tenant_id: string;
  id: string;
  kind: SsoKind;
  enabled: Generated<boolean>;
  config_sealed: Bytes;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** 0023: who signs in how; role mapping and just-in-time users. */
export interface SsoSettingsTable {
  tenant_id: string;
  id: string;
  staff_provider: SsoKind | null;
  end_user_provider: SsoKind | null;
  staff_sso_only: Generated<boolean>;
  end_users_sso_only: Generated<boolean>;
  jit_users: Generated<boolean>;
  role_attribute: string | null;
  role_map: ColumnType<Record<string, string[]>, string | undefined, string>;
  updated_at: Generated<Date>;
}

/** 0023: a person's subject at an identity provider (blind index + sealed). */
export interface SsoIdentitiesTable {
  tenant_id: string;
  id: string;
  user_id: string;
  kind: SsoKind;
  subject_bidx: Bytes;
  subject_sealed: Bytes;
  created_at: Generated<Date>;
  last_used_at: Date | null;
}

/** 0023: a sign-in sent to an identity provider (OIDC state, SAML request id), used once. */
export interface SsoRequestsTable {
  tenant_id: string;
  id: string;
  kind: SsoKind;
  key_hash: Bytes;
  payload_sealed: Bytes;
  expires_at: Date;
  used_at: Date | null;
  created_at: Generated<Date>;
}

/** 0023: accepted SAML assertion ids and JWT ids (keyed hashes) until they expire. */
export interface SsoReplaysTable {
  tenant_id: string;
  kind: SsoKind;
  key_hash: Bytes;
  expires_at: Date;
}

/** 0011: a pending change of a user's primary e-mail address, proven through a link sent to it. */
export interface EmailChangesTable {
  tenant_id: string;
  id: string;
  user_id: string;
  email_sealed: Bytes;
  email_bidx: Bytes;
  token_hash: Bytes;
  requested_by: string;
  by_staff: boolean;
  created_at: Generated<Date>;
  expires_at: Date;
  used_at: Date | null;
  cancelled_at: Date | null;
}
/** 0011: organization domain mapping. */
export interface OrganizationDomainsTable {
  tenant_id: string;
  id: string;
  organization_id: string;
  domain_sealed: Bytes;
  domain_bidx: Bytes;
  created_at: Generated<Date>;
}
/** 0013: an upload token's files, before and after a comment takes them. */
export interface UploadsTable {
  tenant_id: string;
  id: string;
  token_hash: Bytes;
  uploader_id: string | null;
  created_at: Generated<Date>;
  expires_at: Date;
  used_at: Date | null;
}

export type ScanStatus = "not_scanned" | "pending" | "clean" | "infected" | "unscannable";

/** 0013: an attached file (its bytes are a sealed blob with the attachment's id). */
export interface AttachmentsTable {
  tenant_id: string;
  id: string;
  nice_id: number;
  upload_id: string;
  file_name_sealed: Bytes;
  content_type: string;
  size: ColumnType<number, number, number>;
  ticket_id: string | null;
  comment_id: string | null;
  scan_status: ScanStatus;
  scan_result_sealed: Bytes | null;
  scanned_at: Date | null;
  redacted_at: Date | null;
  created_at: Generated<Date>;
}

/** 0013: what a tenant accepts as attachments. */
/** 0015: which e-mail notifications a tenant sends, and whether they carry text. */
export interface NotificationSettingsTable {
  tenant_id: string;
  request_received: boolean;
  public_reply: boolean;
  solved: boolean;
  end_user_update: boolean;
  /** 0019 */
  cc_update: Generated<boolean>;
  content_free: boolean;
  updated_at: Generated<Date>;
}

/** 0016: a DKIM key for a team's own mail domain. */
export interface DkimKeysTable {
  tenant_id: string;
  id: string;
  domain_sealed: Bytes;
  selector: string;
  public_key: string;
  private_key_sealed: Bytes;
  status: "pending" | "verified";
  checked_at: Date | null;
  created_at: Generated<Date>;
}

/** 0015: an admin's text for a notification in one language. */
export interface NotificationTemplatesTable {
  tenant_id: string;
  id: string;
  event: "request_received" | "public_reply" | "solved" | "end_user_update" | "cc_update";
  locale: "en" | "sv" | "ja" | "ko" | "zh-CN";
  subject_sealed: Bytes;
  body_sealed: Bytes;
  updated_at: Generated<Date>;
}

/** 0015: mail no attempt delivered (the dead-letter list). */
export interface UndeliveredMailTable {
  tenant_id: string;
  id: string;
  message_sealed: Bytes;
  attempts: number;
  failed_at: Date;
  ticket_id: string | null;
  user_id: string | null;
}

export interface AttachmentSettingsTable {
  tenant_id: string;
  enabled: boolean;
  end_users_may_attach: boolean;
  max_bytes: ColumnType<number, number, number>;
  blocked_extensions: string[];
  allowed_types: string[] | null;
  updated_at: Generated<Date>;
}

/** 0014: a tenant's support address (the default one and the team's own, forwarded). */
export type ForwardingStatus = "unknown" | "waiting" | "verified" | "failed";
export interface SupportAddressesTable {
  tenant_id: string;
  id: string;
  nice_id: number;
  email_sealed: Bytes;
  name_sealed: Bytes | null;
  email_route: Bytes;
  is_default: Generated<boolean>;
  forwarding_status: ForwardingStatus;
  verification_hash: Bytes | null;
  verification_sent_at: Date | null;
  verified_at: Date | null;
  created_at: Generated<Date>;
  updated_at: Timestamp;
}

export type InboundState = "queued" | "ticket" | "comment" | "suspended" | "dropped" | "verification" | "deleted";

/** 0014: a message the SMTP server accepted (its bytes: sealed blob "mail/<id>"). */
export interface InboundMessagesTable {
  tenant_id: string;
  id: string;
  envelope_sealed: Bytes;
  size: ColumnType<number, number, number>;
  received_at: Generated<Date>;
  state: InboundState;
  outcome: string | null;
  sender_bidx: Bytes | null;
  message_id_bidx: Bytes | null;
  auth_results_sealed: Bytes | null;
  ticket_id: string | null;
  comment_id: string | null;
  processed_at: Date | null;
}

/** 0014: Zendesk's suspended tickets. */
export interface SuspendedTicketsTable {
  tenant_id: string;
  id: string;
  nice_id: number;
  inbound_message_id: string;
  cause: string;
  subject_sealed: Bytes;
  content_sealed: Bytes;
  author_name_sealed: Bytes | null;
  author_email_sealed: Bytes | null;
  recipient_sealed: Bytes | null;
  ticket_id: string | null;
  created_at: Generated<Date>;
}

/** 0014: a tenant's mail settings (blocked senders). */
export interface MailSettingsTable {
  tenant_id: string;
  id: string;
  blocklist_sealed: Bytes | null;
  updated_at: Generated<Date>;
}

/** 0014: the people copied on a ticket. */
export interface TicketCcsTable {
  tenant_id: string;
  ticket_id: string;
  user_id: string;
  created_at: Generated<Date>;
}

/** 0028_support_access.sql: the owner's grant of temporary support access to the operator; the reason sealed. */
export interface SupportAccessGrantsTable {
  tenant_id: string;
  id: string;
  nice_id: number;
  level: "read_only" | "read_write";
  reason_sealed: Bytes | null;
  granted_by: string;
  support_user_id: string;
  created_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
  revoked_by: string | null;
}

/** 0027_oauth.sql: an OAuth client an admin registered (the secret of a confidential one as a keyed hash). */
export interface OauthClientsTable {
  tenant_id: string;
  id: string;
  nice_id: number;
  name: string;
  identifier: string;
  description: Generated<string>;
  company: Generated<string>;
  redirect_uris: string[];
  kind: "public" | "confidential";
  secret_hash: Bytes | null;
  created_by: string;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  deleted_at: Date | null;
}

export type OauthRevokedReason = "revoked" | "code_reused" | "refresh_token_reused" | "client_deleted" | "access_ended";

/** 0027: one person's consent to one client: the family every code and token descends from. */
export interface OauthGrantsTable {
  tenant_id: string;
  id: string;
  nice_id: number;
  client_id: string;
  user_id: string;
  user_role: Role;
  scopes: string[];
  created_at: Generated<Date>;
  tokens_issued_at: Date | null;
  last_used_at: Date | null;
  revoked_at: Date | null;
  revoked_reason: OauthRevokedReason | null;
  /** 0054: the session consent was given in (none before 0054). */
  session_id: Generated<string | null>;
}

/** 0027: an authorization code (keyed hash), single use, bound to redirect URI and PKCE challenge. */
export interface OauthCodesTable {
  tenant_id: string;
  id: string;
  grant_id: string;
  code_hash: Bytes;
  redirect_uri: string;
  code_challenge: string;
  code_challenge_method: "S256";
  expires_at: Date;
  used_at: Date | null;
  created_at: Generated<Date>;
}

/** 0027: an access or refresh token (keyed hash); a refresh token's `used_at` marks it rotated. */
export interface OauthTokensTable {
  tenant_id: string;
  id: string;
  grant_id: string;
  kind: "access" | "refresh";
  token_hash: Bytes;
  scopes: string[];
  expires_at: Date;
  used_at: Date | null;
  created_at: Generated<Date>;
}

/**
 * 0051: phrase pairs, a row per text written to a ticket's document: the pairs' 16-byte hashes
 * side by side (a pair twice in the text, twice). A document's pairs are the union of its rows.
 */
export interface SearchPairSetsTable {
  tenant_id: string;
  nice_id: number;
  internal: boolean;
  id: Generated<number>;
  pairs: Uint8Array;
}

/** 0053: a ticket or an organization deleted for good: its public id and when (the incremental exports' `deleted` items). */
export interface PurgedRecordsTable {
  tenant_id: string;
  resource: "ticket" | "organization";
  nice_id: number;
  deleted_at: Generated<Date>;
}

/** 0033: search postings: a keyed hash of a term, its ticket and visibility, and its count there. */

export interface SearchPostingsTable {
  tenant_id: string;
  term: Uint8Array;
  /** 0049: the ticket's nice_id (a key that only grows, for cheap writes), not its uuid. */
  nice_id: number;
  internal: boolean;
  tf: number;
  /** 0052: its document's length when the posting was last written (at most 32,767): never above the document's length now. */
  len: Generated<number>;
}

/** 0033: the length of a ticket's public and internal search documents. */
export interface SearchDocumentsTable {
  tenant_id: string;
  ticket_id: string;
  /** 0049: the ticket's nice_id, as in its postings. */
  nice_id: number;
  internal: boolean;
  length: number;
}

/** 0034: a keyed hash of a name or e-mail term (a word or a prefix of one) and its person. */
export interface SearchUserNamesTable {
  tenant_id: string;
  term: Uint8Array;
  user_id: string;
}

/** 0034: a keyed hash of a name term (a word or a prefix of one) and its organization. */
export interface SearchOrganizationNamesTable {
  tenant_id: string;
  term: Uint8Array;
  organization_id: string;
}

/** 0035: the Snowball algorithms that stem a tenant's text (one row per tenant). */
export interface SearchSettingsTable {
  tenant_id: string;
  languages: string[];
  updated_at: Generated<Date>;
}

/** 0061: saved and shared views of the agent workspace (modules/views). */
export interface ViewsTable {
  tenant_id: string;
  id: string;
  nice_id: number;
  created_by: string;
  user_id: string | null;
  group_id: string | null;
  title_sealed: Bytes;
  description_sealed: Bytes | null;
  active: Generated<boolean>;
  position: number;
  conditions: ColumnType<unknown, string, string>;
  sort_by: "updated_at" | "created_at" | "priority" | "status" | "id" | "sla_next_breach_at";
  sort_order: "asc" | "desc";
  created_at: Generated<Date>;
  updated_at: Timestamp;
}

/** 0064: triggers, the account's business rules run after each ticket write (modules/triggers). */
export interface TriggersTable {
  tenant_id: string;
  id: string;
  nice_id: number;
  title_sealed: Bytes;
  description_sealed: Bytes | null;
  conditions_sealed: Bytes;
  actions_sealed: Bytes;
  active: Generated<boolean>;
  position: number;
  created_at: Generated<Date>;
  updated_at: Timestamp;
}

/** 0068: SLA policies (modules/sla): title, description and filter sealed, the metric rows clear. */
export interface SlaPoliciesTable {
  tenant_id: string;
  id: string;
  nice_id: number;
  title_sealed: Bytes;
  description_sealed: Bytes | null;
  filter_sealed: Bytes;
  policy_metrics: ColumnType<unknown, string, string>;
  position: number;
  created_at: Generated<Date>;
  updated_at: Timestamp;
}

/** 0068: a ticket's SLA metric state (ids and times only). */
export interface TicketSlaMetricsTable {
  tenant_id: string;
  ticket_id: string;
  metric: string;
  activated_at: Date | null;
  fulfilled_at: Date | null;
  running_since: Date | null;
  elapsed_minutes: Generated<number>;
  elapsed_business_minutes: Generated<number>;
  breach_at: Date | null;
  stage: "active" | "paused" | "achieved" | null;
  updated_at: Generated<Date>;
}

/** 0065: automations, the account's time-based business rules run hourly (modules/triggers); the same columns as triggers. */
export type AutomationsTable = TriggersTable;

/** 0067: business hours schedules (modules/sla): a sealed name, the time zone, the working week's intervals in clear. */
export interface BusinessHoursSchedulesTable {
  tenant_id: string;
  id: string;
  nice_id: number;
  name_sealed: Bytes;
  time_zone: string;
  /** `[{start_time, end_time}]`: minutes from Sunday 00:00 local, sorted and merged. */
  intervals: ColumnType<unknown, string, string>;
  created_at: Generated<Date>;
  updated_at: Timestamp;
}

/** 0067: a schedule's holidays (whole local days off, inclusive); the name sealed. */
export interface BusinessHoursHolidaysTable {
  tenant_id: string;
  id: string;
  nice_id: number;
  schedule_id: string;
  name_sealed: Bytes;
  /** `YYYY-MM-DD` (read as text). */
  start_date: ColumnType<string, string, string>;
  end_date: ColumnType<string, string, string>;
  created_at: Generated<Date>;
  updated_at: Timestamp;
}

/** 0063: macros of the agent workspace (modules/macros). */
export interface MacrosTable {
  tenant_id: string;
  id: string;
  nice_id: number;
  created_by: string;
  user_id: string | null;
  group_id: string | null;
  title_sealed: Bytes;
  description_sealed: Bytes | null;
  actions_sealed: Bytes;
  active: Generated<boolean>;
  position: number;
  created_at: Generated<Date>;
  updated_at: Timestamp;
}

/** 0071: how often each macro was used, per hour (modules/macros macros-usage). */
export interface MacroUsageTable {
  tenant_id: string;
  macro_id: string;
  hour: Timestamp;
  uses: number;
}

/** 0062: customer satisfaction ratings (modules/tickets satisfaction-*). */
export interface SatisfactionRatingsTable {
  tenant_id: string;
  id: string;
  nice_id: number;
  ticket_id: string;
  requester_id: string;
  assignee_id: string | null;
  group_id: string | null;
  score: "good" | "bad";
  comment_sealed: Bytes | null;
  has_comment: boolean;
  created_at: Generated<Date>;
  updated_at: Timestamp;
}

/** 0062: whether a tenant asks requesters for satisfaction ratings (one row per tenant). */
export interface SatisfactionSettingsTable {
  tenant_id: string;
  id: string;
  enabled: Generated<boolean>;
  updated_at: Generated<Date>;
}

export interface DB {
  tenants: TenantsTable;
  tenant_keys: TenantKeysTable;
  tenant_counters: TenantCountersTable;
  organizations: OrganizationsTable;
  users: UsersTable;
  password_settings: PasswordSettingsTable;
  password_history: PasswordHistoryTable;
  groups: GroupsTable;
  custom_roles: CustomRolesTable;
  legal_holds: LegalHoldsTable;
  erasure_receipts: ErasureReceiptsTable;
  audit_archives: AuditArchivesTable;
  retention_policies: RetentionPoliciesTable;
  compliance_settings: ComplianceSettingsTable;
  consent_withdrawals: ConsentWithdrawalsTable;
  redaction_settings: RedactionSettingsTable;
  data_exports: DataExportsTable;
  maintenance_turns: MaintenanceTurnsTable;
  data_subject_requests: DataSubjectRequestsTable;
  data_subject_request_events: DataSubjectRequestEventsTable;
  data_subject_request_settings: DataSubjectRequestSettingsTable;
  group_memberships: GroupMembershipsTable;
  ticket_fields: TicketFieldsTable;
  tickets: TicketsTable;
  ticket_audits: TicketAuditsTable;
  ticket_comments: TicketCommentsTable;
  api_tokens: ApiTokensTable;
  api_settings: ApiSettingsTable;
  sessions: SessionsTable;
  session_settings: SessionSettingsTable;
  ip_restrictions: IpRestrictionsTable;
  job_statuses: JobStatusesTable;
  audit_heads: AuditHeadsTable;
  audit_log: AuditLogTable;
  key_rotations: KeyRotationsTable;
  rate_limit_counters: RateLimitCountersTable;
  tenant_settings: TenantSettingsTable;
  invitations: InvitationsTable;
  consent_records: ConsentRecordsTable;
  signin_links: SigninLinksTable;
  password_resets: PasswordResetsTable;
  two_factor_totp: TwoFactorTotpTable;
  two_factor_recovery_codes: TwoFactorRecoveryCodesTable;
  two_factor_challenges: TwoFactorChallengesTable;
  two_factor_settings: TwoFactorSettingsTable;
  email_changes: EmailChangesTable;
  organization_domains: OrganizationDomainsTable;
  uploads: UploadsTable;
  attachments: AttachmentsTable;
  attachment_settings: AttachmentSettingsTable;
  notification_settings: NotificationSettingsTable;
  notification_templates: NotificationTemplatesTable;
  undelivered_mail: UndeliveredMailTable;
  dkim_keys: DkimKeysTable;
  support_addresses: SupportAddressesTable;
  inbound_messages: InboundMessagesTable;
  suspended_tickets: SuspendedTicketsTable;
  mail_settings: MailSettingsTable;
  ticket_ccs: TicketCcsTable;
  sso_providers: SsoProvidersTable;
  sso_settings: SsoSettingsTable;
  sso_identities: SsoIdentitiesTable;
  sso_requests: SsoRequestsTable;
  sso_replays: SsoReplaysTable;
  passkeys: PasskeysTable;
  webauthn_challenges: WebauthnChallengesTable;
  support_access_grants: SupportAccessGrantsTable;
  oauth_clients: OauthClientsTable;
  oauth_grants: OauthGrantsTable;
  oauth_codes: OauthCodesTable;
  oauth_tokens: OauthTokensTable;
  search_postings: SearchPostingsTable;
  search_pair_sets: SearchPairSetsTable;
  purged_records: PurgedRecordsTable;
  search_documents: SearchDocumentsTable;
  search_user_names: SearchUserNamesTable;
  search_organization_names: SearchOrganizationNamesTable;
  search_settings: SearchSettingsTable;
  views: ViewsTable;
  macros: MacrosTable;
  macro_usage: MacroUsageTable;
  triggers: TriggersTable;
  automations: AutomationsTable;
  sla_policies: SlaPoliciesTable;
  ticket_sla_metrics: TicketSlaMetricsTable;
  business_hours_schedules: BusinessHoursSchedulesTable;
  business_hours_holidays: BusinessHoursHolidaysTable;
  satisfaction_ratings: SatisfactionRatingsTable;
  satisfaction_settings: SatisfactionSettingsTable;
}
