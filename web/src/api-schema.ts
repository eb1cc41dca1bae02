import type { operations } from "./api-types.ts";

/**
 * Friendly names for the API's shapes, all taken from the generated api-types.ts (the server's
 * OpenAPI document), so a field the server renames or removes is a type error here rather than
 * an `undefined` on a page. Nothing in this file describes a resource by hand.
 */

type JsonOf<R> = R extends { content: { "application/json": infer J } } ? J : never;
/** What operation `Op` answers on success (its 200, 201 or 202 body). */
export type Answer<Op extends keyof operations> = JsonOf<operations[Op]["responses"][keyof operations[Op]["responses"]]>;
/** What operation `Op` takes as its JSON body. */
export type BodyOf<Op extends keyof operations> = operations[Op] extends { requestBody?: infer B } ? JsonOf<NonNullable<B>> : never;

export type Ticket = Answer<"showTicket">["ticket"];
export type Status = Ticket["status"];
export type Priority = NonNullable<Ticket["priority"]>;
export type TicketType = NonNullable<Ticket["type"]>;
export type TicketChange = BodyOf<"updateTicket">["ticket"];
export type NewTicket = BodyOf<"createTicket">["ticket"];
export type Comment = Answer<"listTicketComments">["comments"][number];
export type Attachment = Comment["attachments"][number];
export type AttachmentSettings = Answer<"showAttachmentSettings">["settings"];
export type PasswordSettings = Answer<"showPasswordSettings">["password_settings"];
export type NotificationSettings = Answer<"showNotificationSettings">["settings"];
export type NotificationTemplate = Answer<"listNotificationTemplates">["notification_templates"][number];
export type UndeliveredMail = Answer<"listUndeliveredMail">["undelivered_mail"][number];
export type Audit = Answer<"listTicketAudits">["audits"][number];
export type AuditEvent = Audit["events"][number];
export type TicketField = Answer<"listTicketFields">["ticket_fields"][number];
export type CustomFieldValue = Ticket["custom_fields"][number]["value"];
/** A ticket found by search (`type:user` and `type:organization` searches answer people and organizations instead). */
export type SearchResult = Extract<Answer<"search">["results"][number], { result_type: "ticket" }>;
/** A text search hit's highlighted subject and best-matching comment, as plain-text parts. */
export type Highlights = NonNullable<SearchResult["highlights"]>;
export type HighlightPart = Highlights["subject"][number];
export type Count = Answer<"countSearchResults">;

export type User = Answer<"showUser">["user"];
export type Role = User["vaultdesk_role"];
/** The people list's role filter, in the API's terms. */
export type RoleFilter = Extract<NonNullable<operations["listUsers"]["parameters"]["query"]>["role"], string>;
export type Abilities = Answer<"showSession">["session"]["abilities"];
export type Group = Answer<"listGroups">["groups"][number];
export type Membership = Answer<"listGroupMembershipsByGroup">["group_memberships"][number];
export type Organization = Answer<"showOrganization">["organization"];
export type Invitation = Answer<"listInvitations">["invitations"][number];
export type ApiToken = Answer<"listApiTokens">["api_tokens"][number];
export type ApiScope = ApiToken["scopes"][number];
export type ApiSettings = Answer<"showApiSettings">["api_settings"];
export type OAuthClient = Answer<"listOAuthClients">["clients"][number];
export type OAuthToken = Answer<"listOAuthTokens">["tokens"][number];
export type OAuthConsent = Answer<"showOAuthConsent">["consent"];
export type AuditEntry = Answer<"listAuditLogs">["audit_logs"][number];
export type Verification = Answer<"verifyAuditLogs">["verification"];
export type AuditCheckpoint = Answer<"getAuditCheckpoint">["checkpoint"];
export type AuditCheckpointCheck = Answer<"checkAuditCheckpoints">["checks"][number];
export type Account = Answer<"showAccount">["account"];
export type JobStatus = Answer<"showJobStatus">["job_status"];
export type HelpCenterSettings = Answer<"showHelpCenterSettings">["settings"];
export type ConsentRecord = Answer<"listUserConsentRecords">["consent_records"][number];

export type HelpCenterInfo = Answer<"showHelpCenter">["help_center"];
export type RequestView = Answer<"showRequest">["request"];
export type RequestStatus = RequestView["status"];
export type RequestComment = Answer<"listRequestComments">["comments"][number];
export type RequestUser = Pick<Answer<"listRequestComments">["users"][number], "id" | "name" | "agent">;
export type PersonalData = Answer<"showPersonalData">["personal_data"];
export type InvitationPreview = Answer<"previewInvitation">["invitation"];

/** Zendesk's cursor paging fields of a list answer (`meta`, `links`), present on cursor pages. */
export type CursorMeta = NonNullable<Answer<"search">["meta"]>;
export type CursorLinks = NonNullable<Answer<"search">["links"]>;

/** The cursor after a page, or null on the last page (or an answer that was not cursor-paged). */
export const nextCursor = (answer: { meta?: CursorMeta | undefined }): string | null => (answer.meta?.has_more ? answer.meta.after_cursor : null);
export type RecipientAddress = Answer<"listRecipientAddresses">["recipient_addresses"][number];
export type SuspendedTicket = Answer<"listSuspendedTickets">["suspended_tickets"][number];
export type UserSession = Answer<"listUserSessions">["sessions"][number];
export type SessionSettings = Answer<"showSessionSettings">["session_settings"];
export type RedactionSettings = Answer<"showRedactionSettings">["redaction_settings"];
export type IpRestriction = Answer<"showIpRestrictions">["ip_restriction"];
export type SsoSettings = Answer<"showSsoSettings">["sso_settings"];
export type SignInOptions = Answer<"showSignInOptions">["sign_in_options"];
export type SamlSettings = Answer<"showSamlSettings">["saml"];

/** A saved view (`/api/v2/views`): its title, who sees it (`restriction`), its conditions and order. */
// `execution.group_by` is always null, and openapi-fetch drops a null-only property from the
// answers it types: left out here so that what the client answers and this type agree.
type ViewShape = Answer<"showView">["view"];
export type SavedView = Omit<ViewShape, "execution"> & { execution: Omit<ViewShape["execution"], "group_by"> };
export type ViewCondition = SavedView["conditions"]["all"][number];
export type ViewConditions = SavedView["conditions"];
export type ViewRestriction = SavedView["restriction"];
export type ViewSortBy = SavedView["execution"]["sort_by"];
export type ViewCount = Answer<"countManyViews">["view_counts"][number];
/** What a create or update sends (every field optional on update). */
export type ViewInput = Omit<BodyOf<"createView">["view"], "execution" | "conditions">;
/** The condition fields and operators the workspace's editor offers (the API's document types them as strings). */
export type ViewConditionField =
  | "status"
  | "priority"
  | "type"
  | "assignee_id"
  | "group_id"
  | "requester_id"
  | "organization_id"
  | "current_tags"
  | "hours_since_created"
  | "hours_since_updated"
  | "hours_since_solved";
export type ViewOperator = "is" | "is_not" | "less_than" | "greater_than" | "includes" | "not_includes";
