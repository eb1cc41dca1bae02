import { sql } from "kysely";
import { actorUser, type RequestContext } from "../../platform/context.ts";
import { forbidden, invalid } from "../../platform/errors.ts";
import type { Page } from "../../platform/http/pagination.ts";
import { resolveGroup } from "../groups/groups-service.ts";
import { resolveOrganization } from "../organizations/organizations-service.ts";
import type { TicketSort } from "../tickets/tickets-types.ts";
import { countTickets, listTickets } from "../tickets/tickets-service.ts";
import { isStaff } from "../users/users-policy.ts";
import { findUserByEmail, resolveUser } from "../users/users-service.ts";
import { parseQuery, statusRank, type Term } from "./search-fns.ts";

/** Search: structured filters turned into one tenant-scoped ticket query. */

const STATUS_ORDER = ["new", "open", "pending", "hold", "solved", "closed"];

async function userIdFor(ctx: RequestContext, v: string): Promise<string | null | undefined> {
  const actor = actorUser(ctx);
  if (v === "me") return actor.userId;
  if (v === "none") return null;
  if (/^\d+$/.test(v)) return (await resolveUser(ctx, Number(v)).catch(() => undefined))?.id ?? "00000000-0000-0000-0000-000000000000";
  if (v.includes("@")) return (await findUserByEmail(ctx, v))?.id ?? "00000000-0000-0000-0000-000000000000";
  throw invalid("query", `users are matched by id, e-mail, "me" or "none", not by name: ${v}`, "Unsupported");
}

/** The search's filters, resolved inside the tenant, as functions over a query on `tickets as t`. */
async function filtersFor(ctx: RequestContext, query: string): Promise<(q: any) => any> { // any: see below
  const terms = parseQuery(query);
  const types = terms.filter((t): t is Extract<Term, { kind: "type" }> => t.kind === "type");
  if (types.some((t) => t.value !== "ticket")) throw invalid("query", "search currently covers tickets; list users, organizations and groups through their endpoints", "Unsupported");
  // Resolve references before building the query (each resolves inside the tenant only).
  const resolved: Array<(q: any) => any> = [];
  for (const t of terms) {
    switch (t.kind) {
      case "status": {
        const rank = statusRank(t.value);
        const set = STATUS_ORDER.filter((_, i) => (t.op === ":" ? i === rank : t.op === "<" ? i < rank : t.op === ">" ? i > rank : t.op === "<=" ? i <= rank : i >= rank));
        resolved.push((q) => q.where("t.status", "in", set));
        break;
      }
      case "priority":
        resolved.push((q) => q.where("t.priority", "=", t.value));
        break;
      case "ticket_type":
        resolved.push((q) => q.where("t.type", "=", t.value));
        break;
      case "assignee":
      case "requester":
      case "submitter": {
        const id = await userIdFor(ctx, t.value);
        const col = `t.${t.kind}_id`;
        resolved.push((q) => (id === null ? q.where(col, "is", null) : q.where(col, "=", id)));
        break;
      }
      case "tags":
        resolved.push((q) => (t.negate ? q.where(sql`NOT (t.tags @> ARRAY[${t.value}]::text[])`) : q.where(sql`t.tags @> ARRAY[${t.value}]::text[]`)));
        break;
      case "group": {
        const g = /^\d+$/.test(t.value) ? await resolveGroup(ctx, Number(t.value)).catch(() => undefined) : undefined;
        resolved.push((q) => q.where("t.group_id", "=", g?.id ?? "00000000-0000-0000-0000-000000000000"));
        break;
      }
      case "organization": {
        const o = /^\d+$/.test(t.value) ? await resolveOrganization(ctx, Number(t.value)).catch(() => undefined) : undefined;
        resolved.push((q) => q.where("t.organization_id", "=", o?.id ?? "00000000-0000-0000-0000-000000000000"));
        break;
      }
      case "created":
      case "updated":
      case "solved":
      case "due_date": {
        const col = t.kind === "due_date" ? "t.due_at" : `t.${t.kind}_at`;
        const d = new Date(t.value);
        const dayEnd = new Date(d.getTime() + 86_400_000);
        resolved.push((q) =>
          t.op === ":" ? q.where(col, ">=", d).where(col, "<", dayEnd) : q.where(col, t.op === "<" ? "<" : t.op === "<=" ? "<" : t.op === ">" ? ">=" : ">=", t.op === "<=" || t.op === ">" ? dayEnd : d),
        );
        break;
      }
      case "type":
        break;
    }
  }
  // `any` above: the ticket query builder's type is deep and each filter is checked at run time by Kysely.
  return (q) => resolved.reduce((acc, f) => f(acc), q);
}

export async function searchTickets(ctx: RequestContext, query: string, page: Page, sort?: TicketSort) {
  requireStaffForSearch(ctx);
  return listTickets(ctx, page, await filtersFor(ctx, query), sort);
}

/** Counts shown beside views stop at this many: counting further would read every matching row. */
export const COUNT_CAP = 10_000;

export async function countSearchResults(ctx: RequestContext, query: string) {
  requireStaffForSearch(ctx);
  return countTickets(ctx, await filtersFor(ctx, query), COUNT_CAP);
}

function requireStaffForSearch(ctx: RequestContext) {
  if (!isStaff(actorUser(ctx).role)) throw forbidden("End users reach their tickets through the requests API.");
}
