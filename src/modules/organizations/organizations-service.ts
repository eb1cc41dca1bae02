import crypto from "node:crypto";
import type { RawBuilder } from "kysely";
import { refsOf, type SealedColumn } from "../../platform/crypto/sealed-columns.ts";
import { actorUser, type RequestContext } from "../../platform/context.ts";
import { AppError, forbidden, invalid, notFound } from "../../platform/errors.ts";
import type { Page } from "../../platform/http/pagination.ts";
import { audit } from "../audit/audit-service.ts";
import { organizationPolicy } from "./organizations-policy.ts";
import { domainIndex } from "../users/users-fns.ts";
import * as repo from "./organizations-repo.ts";
import { indexOrganization } from "../search/people-index.ts";
import type { OrgCreateInput, OrgUpdateInput, OrgView } from "./organizations-types.ts";

/** Organizations (companies). Names, notes, details and external ids are sealed. */

const ref = refsOf("organizations");
const nameIndex = (ctx: RequestContext, name: string) => ctx.sealer.blindIndex("organization.name", name.trim().toLowerCase());

const dref = (id: string) => refsOf("organization_domains")(id, "domain");


/** Presents organizations with their domain names (one query for all of them). */
export async function presentOrgs(ctx: RequestContext, rows: repo.OrgRow[]): Promise<OrgView[]> {
  const domains = new Map<string, string[]>();
  for (const d of await repo.listDomains(ctx.tx, rows.map((o) => o.id))) {
    const list = domains.get(d.organization_id) ?? [];
    list.push(ctx.sealer.open(d.domain_sealed, dref(d.id)));
    domains.set(d.organization_id, list);
  }
  return rows.map((o) => presentOrg(ctx, o, (domains.get(o.id) ?? []).sort()));
}

function presentOrg(ctx: Pick<RequestContext, "sealer" | "apiBase">, o: repo.OrgRow, domainNames: string[]): OrgView {
  const open = (v: Uint8Array | null, c: SealedColumn<"organizations">) => (v ? ctx.sealer.open(v, ref(o.id, c)) : null);
  return {
    id: o.nice_id,
    url: `${ctx.apiBase}/organizations/${o.nice_id}.json`,
    name: ctx.sealer.open(o.name_sealed, ref(o.id, "name")),
    notes: open(o.notes_sealed, "notes"),
    details: open(o.details_sealed, "details"),
    external_id: open(o.external_id_sealed, "external_id"),
    tags: o.tags,
    domain_names: domainNames,
    shared_tickets: o.shared_tickets,
    created_at: o.created_at.toISOString(),
    updated_at: o.updated_at.toISOString(),
  };
}

function requireStaff(ctx: RequestContext) {
  const a = actorUser(ctx);
  if (!organizationPolicy.view(a)) throw forbidden();
  return a;
}

/** For other modules: the internal id of an organization given its public id, or 422 naming the field. */
export async function resolveOrganization(ctx: RequestContext, niceId: number): Promise<{ id: string; niceId: number }> {
  const o = await repo.findOrgByNiceId(ctx.tx, niceId);
  if (!o) throw invalid("organization_id", "Organization: not found", "InvalidValue");
  return { id: o.id, niceId: o.nice_id };
}

const SHARED_REFUSAL = "This organization shares its requests with its members, and your role sees only some tickets: ask an admin to change who belongs to it.";

/**
 * For the users module: the organization a person is being put into, by its public id (422 when
 * missing), refused (403) when the actor may not add members to it (organizations-policy.ts).
 */
export async function organizationToJoin(ctx: RequestContext, niceId: number): Promise<{ id: string; niceId: number }> {
  const o = await repo.findOrgByNiceId(ctx.tx, niceId);
  if (!o) throw invalid("organization_id", "Organization: not found", "InvalidValue");
  if (!organizationPolicy.addMembers(actorUser(ctx), o)) throw forbidden(SHARED_REFUSAL);
  return { id: o.id, niceId: o.nice_id };
}

export async function createOrganization(ctx: RequestContext, input: OrgCreateInput): Promise<OrgView> {
  const a = requireStaff(ctx);
  if (!organizationPolicy.edit(a)) throw forbidden();
  if (input.shared_tickets !== undefined && !organizationPolicy.shareTickets(a)) throw forbidden("Only owners and admins decide whether an organization shares its requests.");
  const bidx = nameIndex(ctx, input.name);
  if (await repo.findOrgByNameBidx(ctx.tx, bidx)) throw invalid("name", "Name: has already been taken", "DuplicateValue");
  const id = crypto.randomUUID();
  const s = ctx.sealer;
  const niceId = await repo.insertOrg(ctx.tx, {
    id,
    name_sealed: s.seal(input.name, ref(id, "name")),
    name_bidx: bidx,
    notes_sealed: input.notes ? s.seal(input.notes, ref(id, "notes")) : null,
    details_sealed: input.details ? s.seal(input.details, ref(id, "details")) : null,
    external_id_sealed: input.external_id ? s.seal(input.external_id, ref(id, "external_id")) : null,
    tags: input.tags ?? [],
    shared_tickets: input.shared_tickets ?? false,
  });
  if (input.domain_names?.length) await setDomains(ctx, id, input.domain_names);
  // The search module's name index, in this transaction.
  await indexOrganization(ctx, { id, name: input.name });
  audit(ctx, { action: "organization.created", resourceType: "organization", resourceId: niceId, fields: Object.keys(input) });
  return (await presentOrgs(ctx, [(await repo.findOrgByNiceId(ctx.tx, niceId))!]))[0]!;
}

export async function showOrganization(ctx: RequestContext, niceId: number): Promise<OrgView> {
  requireStaff(ctx);
  const o = await repo.findOrgByNiceId(ctx.tx, niceId);
  if (!o) throw notFound();
  return (await presentOrgs(ctx, [o]))[0]!;
}

/** `idsIn`: only these (the search module's name index, as a subquery of ids). */
export async function listOrganizations(ctx: RequestContext, page: Page, idsIn?: RawBuilder<unknown>) {
  requireStaff(ctx);
  const { rows, count } = await repo.listOrgs(ctx.tx, page, idsIn);
  return { rows: await presentOrgs(ctx, rows), count };
}

/** Organizations changed after a position, with the keys of their places (incremental exports; staff). */
export async function changedOrganizations(ctx: RequestContext, after: { key: string; id: number }, until: Date, limit: number): Promise<{ views: OrgView[]; keys: string[] }> {
  requireStaff(ctx);
  const rows = await repo.listChangedOrgs(ctx.tx, after, until, limit);
  return { views: await presentOrgs(ctx, rows), keys: rows.map((r) => r.sort_key) };
}

/** Zendesk's `organizations/search?name=`: the organization of exactly this name (ignoring case), or none (staff). */
export async function searchOrganizationsByName(ctx: RequestContext, name: string): Promise<OrgView[]> {
  requireStaff(ctx);
  const o = await repo.findOrgByNameBidx(ctx.tx, nameIndex(ctx, name));
  return o ? presentOrgs(ctx, [o]) : [];
}

/** For the search module's rebuild: organizations after a public id, with their names opened. */
export async function searchableOrganizations(ctx: RequestContext, afterNiceId: number, limit: number): Promise<Array<{ id: string; niceId: number; name: string }>> {
  const rows = await repo.listOrgsAfter(ctx.tx, afterNiceId, limit);
  return rows.map((o) => ({ id: o.id, niceId: o.nice_id, name: ctx.sealer.open(o.name_sealed, ref(o.id, "name")) }));
}

export async function showManyOrganizations(ctx: RequestContext, ids: number[]): Promise<OrgView[]> {
  requireStaff(ctx);
  return presentOrgs(ctx, await repo.findOrgsByNiceIds(ctx.tx, ids));
}

export async function updateOrganization(ctx: RequestContext, niceId: number, input: OrgUpdateInput): Promise<OrgView> {
  const a = requireStaff(ctx);
  const o = await repo.findOrgByNiceId(ctx.tx, niceId);
  if (!o) throw notFound();
  if (!organizationPolicy.edit(a)) throw forbidden();
  if (input.shared_tickets !== undefined && input.shared_tickets !== o.shared_tickets && !organizationPolicy.shareTickets(a)) throw forbidden("Only owners and admins decide whether an organization shares its requests.");
  const s = ctx.sealer;
  const patch: Parameters<typeof repo.updateOrg>[2] = {};
  if (input.name !== undefined) {
    const bidx = nameIndex(ctx, input.name);
    const other = await repo.findOrgByNameBidx(ctx.tx, bidx);
    if (other && other.id !== o.id) throw invalid("name", "Name: has already been taken", "DuplicateValue");
    patch.name_sealed = s.seal(input.name, ref(o.id, "name"));
    patch.name_bidx = bidx;
  }
  if (input.notes !== undefined) patch.notes_sealed = input.notes ? s.seal(input.notes, ref(o.id, "notes")) : null;
  if (input.details !== undefined) patch.details_sealed = input.details ? s.seal(input.details, ref(o.id, "details")) : null;
  if (input.external_id !== undefined) patch.external_id_sealed = input.external_id ? s.seal(input.external_id, ref(o.id, "external_id")) : null;
  if (input.tags !== undefined) patch.tags = input.tags;
  if (input.shared_tickets !== undefined) patch.shared_tickets = input.shared_tickets;
  if (input.domain_names !== undefined) {
    // Domain names place new end users in the organization (domain mapping): joining by another road.
    if (!organizationPolicy.addMembers(a, o)) throw forbidden(SHARED_REFUSAL);
    await setDomains(ctx, o.id, input.domain_names);
  }
  const fields = Object.keys(input);
  if (fields.length > 0) {
    await repo.updateOrg(ctx.tx, o.id, patch);
    if (input.name !== undefined) await indexOrganization(ctx, { id: o.id, name: input.name });
    audit(ctx, { action: "organization.updated", resourceType: "organization", resourceId: niceId, fields });
  }
  return (await presentOrgs(ctx, [(await repo.findOrgByNiceId(ctx.tx, niceId))!]))[0]!;
}

export async function deleteOrganization(ctx: RequestContext, niceId: number): Promise<void> {
  const a = requireStaff(ctx);
  if (!organizationPolicy.delete(a)) throw forbidden();
  const o = await repo.findOrgByNiceId(ctx.tx, niceId);
  if (!o) throw notFound();
  if (await repo.orgInUse(ctx.tx, o.id)) {
    throw new AppError("RecordInvalid", { description: "The organization still has users or tickets.", details: { base: [{ description: "Organization has users or tickets", error: "InUse" }] } });
  }
  await repo.deleteOrg(ctx.tx, o.id);
  audit(ctx, { action: "organization.deleted", resourceType: "organization", resourceId: niceId });
}

/** Presents organizations by internal id, for sideloading. */
export async function presentOrgsByIds(ctx: RequestContext, ids: string[]): Promise<OrgView[]> {
  return presentOrgs(ctx, (await repo.findOrgsByIds(ctx.tx, [...new Set(ids)])).sort((a, b) => a.nice_id - b.nice_id));
}

/**
 * Replaces an organization's domains (Zendesk's `domain_names`). A domain belongs to one
 * organization of the tenant at most; users created later with an address at it join it.
 */
async function setDomains(ctx: RequestContext, orgId: string, names: string[]): Promise<void> {
  const unique = [...new Set(names)];
  const rows = unique.map((d) => ({ id: crypto.randomUUID(), domain: d, domain_bidx: domainIndex(ctx.sealer, d) }));
  const taken = await repo.domainsTakenByOthers(ctx.tx, rows.map((r) => r.domain_bidx), orgId);
  const clash = rows.filter((r) => taken.some((t) => Buffer.from(t).equals(r.domain_bidx))).map((r) => r.domain);
  if (clash.length) throw invalid("domain_names", `Domain names: ${clash.join(", ")} already belong to another organization`, "DuplicateValue");
  await repo.replaceDomains(ctx.tx, orgId, rows.map((r) => ({ id: r.id, domain_sealed: ctx.sealer.seal(r.domain, dref(r.id)), domain_bidx: r.domain_bidx })));
}

/** For the users module: the organization whose domain an address is at, if any (domain mapping). */
export async function organizationForDomain(ctx: RequestContext, domain: string): Promise<{ id: string; niceId: number } | undefined> {
  const o = await repo.findOrgByDomainBidx(ctx.tx, domainIndex(ctx.sealer, domain));
  return o ? { id: o.id, niceId: o.nice_id } : undefined;
}

/** For search: an organization by its whole name (ignoring case; names are sealed, found by their blind index). */
export async function findOrganizationByName(ctx: RequestContext, name: string): Promise<{ id: string; niceId: number } | undefined> {
  const o = await repo.findOrgByNameBidx(ctx.tx, nameIndex(ctx, name));
  return o ? { id: o.id, niceId: o.nice_id } : undefined;
}

/** For other modules: an organization's internal id from its public id, or undefined. */
export async function findOrganizationId(ctx: RequestContext, niceId: number): Promise<string | undefined> {
  return (await repo.findOrgByNiceId(ctx.tx, niceId))?.id;
}
