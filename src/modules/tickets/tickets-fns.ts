import sanitizeHtml from "sanitize-html";
import type { TicketFieldType, TicketStatus } from "../../platform/db/schema.ts";
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

export type FieldDef = { niceId: number; type: TicketFieldType; options: Array<{ value: string }>; active: boolean };
export type CustomValue = string | number | boolean | null;

/** Validates one custom field value against its definition; returns the normalized value. */
export function normalizeCustomValue(def: FieldDef, value: CustomValue): CustomValue {
  const field = `custom_fields.${def.niceId}`;
  if (value === null || value === "") return null;
  switch (def.type) {
    case "text":
      if (typeof value !== "string") throw invalid(field, "must be text");
      return value;
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
