import crypto from "node:crypto";
import { actorUser, type RequestContext } from "../../platform/context.ts";
import { forbidden, invalid, notFound } from "../../platform/errors.ts";
import { FIRST_CUSTOM_ROLE_ID, PRESET_IDS } from "../../platform/roles.ts";
import { audit } from "../audit/audit-service.ts";
import { missingCustomRoles } from "../users/custom-roles-service.ts";
import { forgetTicketFields, readerOf } from "./field-defs.ts";
import { fieldAccess, readRolePermissions, type FieldRestriction } from "./tickets-fns.ts";
import { ticketPolicy } from "./tickets-policy.ts";
import * as repo from "./tickets-repo.ts";
import type { TicketFieldView } from "./tickets-types.ts";

/**
 * Custom ticket field definitions: admins define them and their permissions; staff read those not
 * hidden from their role; end users read those visible in the portal. Titles and permissions are
 * configuration, in clear.
 */

type FieldRow = Awaited<ReturnType<typeof repo.listFields>>[number];
type PermissionInput = Array<{ role_id: number; access: "edit" | "read_only" | FieldRestriction }>;

const accessOf = (ctx: RequestContext, f: FieldRow) =>
  fieldAccess({ visibleInPortal: f.visible_in_portal, editableInPortal: f.editable_in_portal, rolePermissions: readRolePermissions(f.role_permissions) }, readerOf(ctx));

function present(ctx: RequestContext, f: FieldRow): TicketFieldView {
  const access = accessOf(ctx, f);
  const perms = readRolePermissions(f.role_permissions);
  return {
    id: f.nice_id,
    url: `${ctx.apiBase}/ticket_fields/${f.nice_id}.json`,
    type: f.type === "dropdown" ? "tagger" : f.type,
    title: f.title,
    required: f.required,
    active: f.active,
    custom_field_options: f.options,
    visible_in_portal: f.visible_in_portal,
    editable_in_portal: f.editable_in_portal,
    permissions: ticketPolicy.manageFields(actorUser(ctx))
      ? Object.entries(perms)
          .map(([id, a]) => ({ role_id: Number(id), access: a }))
          .sort((x, y) => x.role_id - y.role_id)
      : [],
    access: access === "edit" ? "edit" : "read",
    created_at: f.created_at.toISOString(),
    updated_at: f.updated_at.toISOString(),
  };
}

export async function listTicketFields(ctx: RequestContext): Promise<TicketFieldView[]> {
  if (!ticketPolicy.viewFields(actorUser(ctx))) throw forbidden();
  // End users see active portal fields only; staff every field not hidden from their role.
  const endUser = actorUser(ctx).role === "end_user";
  return (await repo.listFields(ctx.tx)).filter((f) => accessOf(ctx, f) !== "hidden" && (!endUser || f.active)).map((f) => present(ctx, f));
}

export async function showTicketField(ctx: RequestContext, niceId: number): Promise<TicketFieldView> {
  if (!ticketPolicy.viewFields(actorUser(ctx))) throw forbidden();
  const f = await repo.findField(ctx.tx, niceId);
  // A field hidden from the caller answers like a missing one.
  if (!f || accessOf(ctx, f) === "hidden" || (actorUser(ctx).role === "end_user" && !f.active)) throw notFound();
  return present(ctx, f);
}

/** The fields the help center's request form offers (active and editable in the portal), for anyone who may open it. */
export async function requestFormFields(ctx: RequestContext): Promise<Array<{ id: number; type: string; title: string; custom_field_options: Array<{ name: string; value: string }> }>> {
  return (await repo.listFields(ctx.tx))
    .filter((f) => f.active && f.visible_in_portal && f.editable_in_portal)
    .map((f) => ({ id: f.nice_id, type: f.type === "dropdown" ? "tagger" : f.type, title: f.title, custom_field_options: f.options }));
}

/**
 * The stored form of a permissions list: `edit` entries dropped (the default), admins refused
 * (they edit every field), custom roles checked to be the tenant's own (another tenant's role id
 * answers like a missing one).
 */
async function rolePermissions(ctx: RequestContext, input: PermissionInput): Promise<Record<string, FieldRestriction>> {
  const out: Record<string, FieldRestriction> = {};
  const seen = new Set<number>();
  for (const p of input) {
    if (p.role_id === PRESET_IDS.admin) throw invalid("permissions", "Permissions: administrators always see and edit every field");
    if (seen.has(p.role_id)) throw invalid("permissions", `Permissions: role ${p.role_id} is listed twice`);
    seen.add(p.role_id);
    if (p.access !== "edit") out[String(p.role_id)] = p.access;
  }
  const custom = [...seen].filter((id) => id >= FIRST_CUSTOM_ROLE_ID);
  const missing = await missingCustomRoles(ctx, custom);
  if (missing.length) throw invalid("permissions", `Permissions: role ${missing[0]} was not found`);
  return out;
}

function portal(visible: boolean, editable: boolean) {
  if (editable && !visible) throw invalid("editable_in_portal", "Editable in the portal: the field must also be visible in the portal");
}

export async function createTicketField(
  ctx: RequestContext,
  input: {
    type: FieldRow["type"];
    title: string;
    required?: boolean | undefined;
    active?: boolean | undefined;
    custom_field_options?: Array<{ name: string; value: string }> | undefined;
    visible_in_portal?: boolean | undefined;
    editable_in_portal?: boolean | undefined;
    permissions?: PermissionInput | undefined;
  },
): Promise<TicketFieldView> {
  if (!ticketPolicy.manageFields(actorUser(ctx))) throw forbidden();
  const visible = input.visible_in_portal ?? input.editable_in_portal ?? false;
  const editable = input.editable_in_portal ?? false;
  portal(visible, editable);
  const perms = await rolePermissions(ctx, input.permissions ?? []);
  const niceId = await repo.insertField(ctx.tx, {
    id: crypto.randomUUID(),
    type: input.type,
    title: input.title,
    options: JSON.stringify(input.type === "dropdown" ? (input.custom_field_options ?? []) : []),
    required: input.required ?? false,
    active: input.active ?? true,
    visible_in_portal: visible,
    editable_in_portal: editable,
    role_permissions: JSON.stringify(perms),
  });
  forgetTicketFields(ctx.tx.tenantId);
  audit(ctx, { action: "ticket_field.created", resourceType: "ticket_field", resourceId: niceId, fields: Object.keys(input) });
  return present(ctx, (await repo.findField(ctx.tx, niceId))!);
}

export async function updateTicketField(
  ctx: RequestContext,
  niceId: number,
  input: {
    title?: string | undefined;
    required?: boolean | undefined;
    active?: boolean | undefined;
    custom_field_options?: Array<{ name: string; value: string }> | undefined;
    visible_in_portal?: boolean | undefined;
    editable_in_portal?: boolean | undefined;
    permissions?: PermissionInput | undefined;
  },
): Promise<TicketFieldView> {
  if (!ticketPolicy.manageFields(actorUser(ctx))) throw forbidden();
  const f = await repo.findField(ctx.tx, niceId);
  if (!f) throw notFound();
  const patch: repo.FieldWrite = {};
  if (input.title !== undefined) patch.title = input.title;
  if (input.required !== undefined) patch.required = input.required;
  if (input.active !== undefined) patch.active = input.active;
  if (input.custom_field_options !== undefined && f.type === "dropdown") patch.options = JSON.stringify(input.custom_field_options);
  // Making a field editable in the portal makes it visible there; hiding it there ends editing.
  const visible = input.visible_in_portal ?? (input.editable_in_portal ? true : f.visible_in_portal);
  const editable = input.editable_in_portal ?? (input.visible_in_portal === false ? false : f.editable_in_portal);
  portal(visible, editable);
  if (visible !== f.visible_in_portal) patch.visible_in_portal = visible;
  if (editable !== f.editable_in_portal) patch.editable_in_portal = editable;
  const changed = Object.keys(patch);
  if (input.permissions !== undefined) {
    const next = JSON.stringify(await rolePermissions(ctx, input.permissions));
    if (next !== JSON.stringify(readRolePermissions(f.role_permissions))) {
      patch.role_permissions = next;
      changed.push("permissions");
    }
  }
  if (Object.keys(patch).length) {
    await repo.updateField(ctx.tx, f.id, patch);
    forgetTicketFields(ctx.tx.tenantId);
    audit(ctx, { action: "ticket_field.updated", resourceType: "ticket_field", resourceId: niceId, fields: changed.map((k) => (k === "role_permissions" ? "permissions" : k)) });
  }
  return present(ctx, (await repo.findField(ctx.tx, niceId))!);
}

export async function deleteTicketField(ctx: RequestContext, niceId: number): Promise<void> {
  if (!ticketPolicy.manageFields(actorUser(ctx))) throw forbidden();
  const f = await repo.findField(ctx.tx, niceId);
  if (!f) throw notFound();
  await repo.deleteField(ctx.tx, f.id);
  forgetTicketFields(ctx.tx.tenantId);
  audit(ctx, { action: "ticket_field.deleted", resourceType: "ticket_field", resourceId: niceId });
}
