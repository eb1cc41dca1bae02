import sanitizeHtml from "sanitize-html";
import type { Role, TicketFieldType, TicketStatus } from "../../platform/db/schema.ts";
import { PRESET_IDS } from "../../platform/roles.ts";
import { CARDS_ONLY, redactSensitive, type Detectors } from "../../platform/redaction.ts";
import { invalid } from "../../platform/errors.ts";
import { parseIsoDate } from "../../platform/schemas.ts";

/** Pure ticket rules: status transitions, comment HTML, custom field values. */

/**
 * Zendesk's rules: any status may follow any other, except that a ticket cannot go back to
 * `new`, a closed ticket cannot change at all, and only a solved ticket can be closed.
 */
export function checkTransition(from: TicketStatus, to: TicketStatus): void {
  if (from === to) return;
  if (from === "closed") throw invalid("status", "Status: closed prevents ticket update", "InvalidValue");
  if (to === "new") throw invalid("status", "Status: cannot be changed back to new", "InvalidValue");
  if (to === "closed" && from !== "solved") throw invalid("status", "Status: only a solved ticket can be closed", "InvalidValue");
}

const STATUSES: TicketStatus[] = ["new", "open", "pending", "hold", "solved", "closed"];

/** The statuses a ticket may move to from `from` (itself included), by checkTransition's rules. */
export function nextStatuses(from: TicketStatus): TicketStatus[] {
  return STATUSES.filter((to) => {
    try {
      checkTransition(from, to);
      return true;
    } catch {
      return false;
    }
  });
}

const ALLOWED = {
  allowedTags: ["p", "br", "b", "strong", "i", "em", "u", "s", "a", "ul", "ol", "li", "blockquote", "code", "pre", "h1", "h2", "h3", "h4", "hr", "table", "thead", "tbody", "tr", "th", "td", "span", "div"],
  allowedAttributes: { a: ["href", "title"] },
  allowedSchemes: ["http", "https", "mailto"],
  transformTags: { a: sanitizeHtml.simpleTransform("a", { rel: "noopener noreferrer nofollow", target: "_blank" }) },
  disallowedTagsMode: "discard" as const,
};

const escapeHtml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");

/** Returns the stored plain body and sanitized HTML body of a comment. */
export function commentBodies(input: { body?: string | undefined; html_body?: string | undefined }): { body: string; html: string } {
  if (input.html_body !== undefined && input.html_body.trim() !== "") {
    const html = sanitizeHtml(input.html_body, ALLOWED);
    const body = input.body ?? sanitizeHtml(html.replace(/<br\s*\/?>|<\/p>/gi, "\n"), { allowedTags: [], allowedAttributes: {} }).replace(/&amp;/g, "&").replace(/&lt;/g, "<").replace(/&gt;/g, ">").trim();
    return { body, html };
  }
  const body = input.body ?? "";
  const html = body
    .split(/\n{2,}/)
    .map((p) => `<p>${escapeHtml(p).replace(/\n/g, "<br>")}</p>`)
    .join("");
  return { body, html };
}

/** A custom ticket field as the rules read it (field-defs.ts loads them). */
export type FieldDef = {
  niceId: number;
  type: TicketFieldType;
  title: string;
  options: Array<{ value: string }>;
  active: boolean;
  /** End users see it (help center, requests API); `editableInPortal`: and set it on a new request. */
  visibleInPortal: boolean;
  editableInPortal: boolean;
  /** A role's public id (presets 2 and 3, custom roles from 4) → what that role may not do. */
  rolePermissions: Record<string, FieldRestriction>;
};
export const FIELD_RESTRICTIONS = ["hidden", "read_only"] as const;
export type FieldRestriction = (typeof FIELD_RESTRICTIONS)[number];
export type FieldAccess = "edit" | "read" | "hidden";

/** Who asks: a role and, for an agent with a custom role, that role's public id. */
export type FieldReader = { role: Role; customRoleId?: number | undefined };

/**
 * What a person may do with a field. Owners and admins edit every field (they define them). Staff
 * follow their role's entry: an agent's custom role's, else the agent preset's (id 2); a light
 * agent the light-agent preset's (id 3); a role not named edits it. End users see only fields
 * visible in the portal, and set only those editable there. Any other caller sees nothing.
 */
export function fieldAccess(def: Pick<FieldDef, "visibleInPortal" | "editableInPortal" | "rolePermissions">, who: FieldReader): FieldAccess {
  switch (who.role) {
    case "owner":
    case "admin":
      return "edit";
    case "agent":
    case "light_agent": {
      const roleId = who.role === "light_agent" ? PRESET_IDS.light_agent : (who.customRoleId ?? PRESET_IDS.agent);
      const r = def.rolePermissions[String(roleId)];
      return r === "hidden" ? "hidden" : r === "read_only" ? "read" : "edit";
    }
    case "end_user":
      return !def.visibleInPortal ? "hidden" : def.editableInPortal ? "edit" : "read";
    default:
      return "hidden";
  }
}

/** A stored `role_permissions` value as the rules read it: anything not understood is dropped. */
export function readRolePermissions(raw: unknown): Record<string, FieldRestriction> {
  const out: Record<string, FieldRestriction> = {};
  if (typeof raw !== "object" || raw === null) return out;
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (/^\d+$/.test(k) && FIELD_RESTRICTIONS.includes(v as FieldRestriction)) out[k] = v as FieldRestriction;
  }
  return out;
}
export type CustomValue = string | number | boolean | null;

/**
 * Validates one custom field value against its definition; returns the normalized value (text:
 * card numbers and what the tenant's detectors find masked).
 */
export function normalizeCustomValue(def: FieldDef, value: CustomValue, detectors: Detectors = CARDS_ONLY): CustomValue {
  const field = `custom_fields.${def.niceId}`;
  if (value === null || value === "") return null;
  switch (def.type) {
    case "text":
      if (typeof value !== "string") throw invalid(field, "must be text");
      return redactSensitive(value, detectors);
    case "number": {
      const n = typeof value === "number" ? value : typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : NaN;
      if (!Number.isFinite(n)) throw invalid(field, "must be a number");
      return n;
    }
    case "date":
      // A real calendar day in the years 1900–9999 (2026-02-30 is not one), as the API's other dates.
      if (typeof value !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(value) || parseIsoDate(value) === undefined) throw invalid(field, "must be a date (YYYY-MM-DD) in the years 1900 to 9999");
      return value;
    case "checkbox":
      if (typeof value !== "boolean") throw invalid(field, "must be true or false");
      return value;
    case "dropdown":
      if (typeof value !== "string" || !def.options.some((o) => o.value === value)) throw invalid(field, "is not one of the field's options");
      return value;
  }
}
