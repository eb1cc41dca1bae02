/**
 * Every sealed column, declared once: its table, its name (the database column is `<name>_sealed`,
 * and the name is what the additional authenticated data binds), and the kind of value it holds.
 * Sealing and opening take references checked against this declaration (a typo, or opening JSON
 * as text, does not compile); key rotation re-seals exactly these columns; the no-plaintext suite
 * writes through every one of them; and a test fails when the schema has a `*_sealed` column that
 * is not declared here (test/keys.test.ts).
 *
 * Kinds: `text` (a string), `json` (a value sealed as its JSON text), `bytes` (raw bytes: files).
 */
export type SealKind = "text" | "json" | "bytes";

export const SEALED_COLUMNS = {
  users: { name: "text", email: "text", phone: "text", external_id: "text", restriction_reason: "text" },
  organizations: { name: "text", notes: "text", details: "text", external_id: "text" },
  organization_domains: { domain: "text" },
  tickets: { subject: "text", description: "text", custom_fields: "json", external_id: "text" },
  ticket_comments: { body: "text", html_body: "text" },
  ticket_audits: { events: "json" },
  sessions: { ip: "text", user_agent: "text" },
  api_tokens: { last_used_ip: "text" },
  ip_restrictions: { allowed_ips: "json" },
  tenant_settings: { name: "text", consent_text: "text", consent_texts: "json" },
  invitations: { email: "text" },
  consent_records: { text: "text", ip: "text" },
  job_statuses: { payload: "json" },
  email_changes: { email: "text" },
  audit_log: { ip: "text" },
  attachments: { file_name: "text", scan_result: "text" },
  notification_templates: { subject: "text", body: "text" },
  undelivered_mail: { message: "json" },
  legal_holds: { reason: "text" },
  data_subject_requests: { subject_email: "text", note: "text", resolution: "text" },
  data_subject_request_events: { note: "text" },
  dkim_keys: { domain: "text", private_key: "text" },
  support_addresses: { email: "text", name: "text" },
  inbound_messages: { envelope: "json", auth_results: "json" },
  suspended_tickets: { subject: "text", content: "text", author_name: "text", author_email: "text", recipient: "text" },
  mail_settings: { blocklist: "json" },
  two_factor_totp: { secret: "text" },
  passkeys: { credential_id: "text", public_key: "text", name: "text" },
  sso_providers: { config: "json" },
  sso_identities: { subject: "text" },
  sso_requests: { payload: "json" },
  support_access_grants: { reason: "text" },
  views: { title: "text", description: "text" },
  satisfaction_ratings: { comment: "text" },
  macros: { title: "text", description: "text", actions: "json" },
  triggers: { title: "text", description: "text", conditions: "json", actions: "json" },
  automations: { title: "text", description: "text", conditions: "json", actions: "json" },
  sla_policies: { title: "text", description: "text", filter: "json" },
  business_hours_schedules: { name: "text" },
  business_hours_holidays: { name: "text" },
} as const satisfies Record<string, Record<string, SealKind>>;

/**
 * Tables whose sealed values keep the key version they were written with: audit entries are
 * append-only and their sealed client address is part of the hash chain (docs/security-model.md).
 * (Entries waiting in audit_queue carry the same sealed address, bound to audit_log.)
 */
export const NOT_RESEALED: ReadonlySet<SealedTable> = new Set(["audit_log"]);

type Sealed = typeof SEALED_COLUMNS;
export type SealedTable = keyof Sealed;
export type SealedColumn<T extends SealedTable> = keyof Sealed[T] & string;
type ColumnsOfKind<T extends SealedTable, K extends SealKind> = { [C in SealedColumn<T>]: Sealed[T][C] extends K ? C : never }[SealedColumn<T>];

/** Where a sealed value lives: the additional authenticated data binds tenant, table, column and row. */
export type ColumnRef<K extends SealKind = SealKind> = { [T in SealedTable]: { table: T; column: ColumnsOfKind<T, K>; row: string } }[SealedTable];

/** A typed reference maker for one table: `const ref = refsOf("users"); ref(id, "email")`. */
export function refsOf<T extends SealedTable>(table: T): <C extends SealedColumn<T>>(row: string, column: C) => { table: T; column: C; row: string } {
  return (row, column) => ({ table, column, row });
}

/** The database column holding a sealed value. */
export const dbColumn = (column: string): string => `${column}_sealed`;

/** Every declared sealed column as `table.column_sealed` (for the schema check and the suites). */
export function declaredSealedColumns(): string[] {
  return Object.entries(SEALED_COLUMNS).flatMap(([t, cols]) => Object.keys(cols).map((c) => `${t}.${dbColumn(c)}`));
}
