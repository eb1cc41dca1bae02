import type { RequestContext } from "../../platform/context.ts";
import { fieldAccess, readRolePermissions, type CustomValue, type FieldAccess, type FieldDef, type FieldReader } from "./tickets-fns.ts";
import * as repo from "./tickets-repo.ts";

/**
 * Custom ticket field definitions, cached per tenant for a few seconds: every ticket read needs
 * them and they change rarely. A change made through this process clears the cache at once;
 * another process sees it within FIELDS_TTL_MS.
 */
const FIELDS_TTL_MS = 5_000;
export type Fields = { defs: Map<number, FieldDef> };
const fieldsCache = new Map<string, { at: number; fields: Fields }>();

export function forgetTicketFields(tenantId: string): void {
  fieldsCache.delete(tenantId);
}

export async function loadFields(ctx: RequestContext): Promise<Fields> {
  const hit = fieldsCache.get(ctx.tx.tenantId);
  if (hit && Date.now() - hit.at < FIELDS_TTL_MS) return hit.fields;
  const rows = await repo.listFields(ctx.tx);
  const f: Fields = {
    defs: new Map(
      rows.map((r) => [
        r.nice_id,
        {
          niceId: r.nice_id,
          type: r.type,
          title: r.title,
          options: r.options,
          active: r.active,
          visibleInPortal: r.visible_in_portal,
          editableInPortal: r.editable_in_portal,
          rolePermissions: readRolePermissions(r.role_permissions),
        },
      ]),
    ),
  };
  if (fieldsCache.size > 10_000) fieldsCache.clear();
  fieldsCache.set(ctx.tx.tenantId, { at: Date.now(), fields: f });
  return f;
}

/** The caller's field reader: their role and, for an agent with a custom role, its public id. */
export function readerOf(ctx: RequestContext): FieldReader {
  const a = ctx.actor;
  if (a.kind !== "user") return { role: "end_user" };
  return { role: a.role, customRoleId: a.customRole?.roleId };
}

/**
 * A ticket's custom field values as a reader may see them: active fields not hidden from them,
 * in the fields' order, a field without a value as null.
 */
export function visibleValues(fields: Fields, values: Record<string, CustomValue>, reader: FieldReader): Array<{ id: number; value: CustomValue }> {
  return [...fields.defs.values()].filter((d) => d.active && fieldAccess(d, reader) !== "hidden").map((d) => ({ id: d.niceId, value: values[String(d.niceId)] ?? null }));
}

/** The field ids a reader may not see (audits leave their changes out). */
export function hiddenFieldIds(fields: Fields, reader: FieldReader): Set<string> {
  return new Set([...fields.defs.values()].filter((d) => fieldAccess(d, reader) === "hidden").map((d) => String(d.niceId)));
}

export type { FieldAccess };
