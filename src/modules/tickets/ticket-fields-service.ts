import crypto from "node:crypto";
import { actorUser, type RequestContext } from "../../platform/context.ts";
import { forbidden, notFound } from "../../platform/errors.ts";
import { audit } from "../audit/audit-service.ts";
import { ticketPolicy } from "./tickets-policy.ts";
import * as repo from "./tickets-repo.ts";
import type { TicketFieldView } from "./tickets-types.ts";
import { forgetTicketFields } from "./tickets-service.ts";

/** Custom ticket field definitions (admins manage, staff read). Titles are configuration, in clear. */

type FieldRow = Awaited<ReturnType<typeof repo.listFields>>[number];

const present = (ctx: RequestContext, f: FieldRow): TicketFieldView => ({
  id: f.nice_id,
  url: `${ctx.apiBase}/ticket_fields/${f.nice_id}.json`,
  type: f.type === "dropdown" ? "tagger" : f.type,
  title: f.title,
  required: f.required,
  active: f.active,
  custom_field_options: f.options,
  created_at: f.created_at.toISOString(),
  updated_at: f.updated_at.toISOString(),
});

export async function listTicketFields(ctx: RequestContext): Promise<TicketFieldView[]> {
  if (!ticketPolicy.viewFields(actorUser(ctx))) throw forbidden();
  return (await repo.listFields(ctx.tx)).map((f) => present(ctx, f));
}

export async function showTicketField(ctx: RequestContext, niceId: number): Promise<TicketFieldView> {
  if (!ticketPolicy.viewFields(actorUser(ctx))) throw forbidden();
  const f = await repo.findField(ctx.tx, niceId);
  if (!f) throw notFound();
  return present(ctx, f);
}

export async function createTicketField(
  ctx: RequestContext,
  input: { type: FieldRow["type"]; title: string; required?: boolean | undefined; active?: boolean | undefined; custom_field_options?: Array<{ name: string; value: string }> | undefined },
): Promise<TicketFieldView> {
  if (!ticketPolicy.manageFields(actorUser(ctx))) throw forbidden();
  const niceId = await repo.insertField(ctx.tx, {
    id: crypto.randomUUID(),
    type: input.type,
    title: input.title,
    options: JSON.stringify(input.type === "dropdown" ? (input.custom_field_options ?? []) : []),
    required: input.required ?? false,
    active: input.active ?? true,
  });
  forgetTicketFields(ctx.tx.tenantId);
  audit(ctx, { action: "ticket_field.created", resourceType: "ticket_field", resourceId: niceId, fields: Object.keys(input) });
  return present(ctx, (await repo.findField(ctx.tx, niceId))!);
}

export async function updateTicketField(
  ctx: RequestContext,
  niceId: number,
  input: { title?: string | undefined; required?: boolean | undefined; active?: boolean | undefined; custom_field_options?: Array<{ name: string; value: string }> | undefined },
): Promise<TicketFieldView> {
  if (!ticketPolicy.manageFields(actorUser(ctx))) throw forbidden();
  const f = await repo.findField(ctx.tx, niceId);
  if (!f) throw notFound();
  const patch: { title?: string; options?: string; required?: boolean; active?: boolean } = {};
  if (input.title !== undefined) patch.title = input.title;
  if (input.required !== undefined) patch.required = input.required;
  if (input.active !== undefined) patch.active = input.active;
  if (input.custom_field_options !== undefined && f.type === "dropdown") patch.options = JSON.stringify(input.custom_field_options);
  if (Object.keys(patch).length) {
    await repo.updateField(ctx.tx, f.id, patch);
    forgetTicketFields(ctx.tx.tenantId);
    audit(ctx, { action: "ticket_field.updated", resourceType: "ticket_field", resourceId: niceId, fields: Object.keys(input) });
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
