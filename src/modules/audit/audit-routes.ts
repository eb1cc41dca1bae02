import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { actorUser, type RequestContext } from "../../platform/context.ts";
import { forbidden } from "../../platform/errors.ts";
import { auditPolicy } from "./audit-policy.ts";
import { chainQueued } from "./audit-service.ts";
import { isoDate, pageQuery } from "../../platform/schemas.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { pageEnvelope, parsePage, type Page } from "../../platform/http/pagination.ts";
import { defineRoute } from "../../platform/http/route.ts";

/** The audit log API (admins only). Shows who did what to which resource and which fields; never values. */

const auditLogView = z.object({
  id: z.number(),
  url: z.string(),
  created_at: z.string(),
  actor_type: z.string(),
  actor_id: z.number().nullable(),
  action: z.string(),
  source_type: z.string(),
  source_id: z.string(),
  changed_fields: z.array(z.string()),
  ip_address: z.string().nullable(),
  request_id: z.string(),
});

async function listAuditLogs(ctx: RequestContext, page: Page, filter: { action?: string | undefined; actor_id?: number | undefined; source_type?: string | undefined; source_id?: string | undefined; since?: string | undefined; until?: string | undefined }) {
  if (!auditPolicy.view(actorUser(ctx))) throw forbidden();
  // Entries committed but not yet linked by the chainer are chained first, so the log is complete.
  await chainQueued(ctx.tx);
  let q = ctx.tx.db.selectFrom("audit_log").selectAll().where("tenant_id", "=", ctx.tx.tenantId);
  if (filter.action) q = q.where("action", "=", filter.action);
  if (filter.actor_id !== undefined) q = q.where("actor_kind", "=", "user").where("actor_id", "=", String(filter.actor_id));
  if (filter.source_type) q = q.where("resource_type", "=", filter.source_type);
  if (filter.source_id) q = q.where("resource_id", "=", filter.source_id);
  if (filter.since) q = q.where("occurred_at", ">=", new Date(filter.since));
  if (filter.until) q = q.where("occurred_at", "<", new Date(filter.until));
  const desc = page.mode === "offset" ? page.desc || true : page.desc;
  let rows;
  let count: number | undefined;
  if (page.mode === "cursor") {
    if (page.afterId !== undefined) q = q.where("seq", desc ? "<" : ">", page.afterId);
    rows = await q.orderBy("seq", desc ? "desc" : "asc").limit(page.size + 1).execute();
  } else {
    rows = await q.orderBy("seq", "desc").limit(page.limit).offset(page.offset).execute();
    const c = await q.clearSelect().select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
    count = Number(c.n);
  }
  const views = rows.map((r) => ({
    id: r.seq,
    url: `${ctx.apiBase}/audit_logs/${r.seq}.json`,
    created_at: r.occurred_at.toISOString(),
    actor_type: r.actor_kind,
    actor_id: r.actor_id ? Number(r.actor_id) : null,
    action: r.action,
    source_type: r.resource_type,
    source_id: r.resource_id,
    changed_fields: r.fields ? r.fields.split(",") : [],
    ip_address: r.ip_sealed ? ctx.sealer.open(r.ip_sealed, { table: "audit_log" as const, column: "ip" as const, row: r.id }) : null,
    request_id: r.request_id,
  }));
  return { views, count };
}

export function register(app: FastifyInstance, deps: AppDeps): void {
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/audit_logs", operationId: "listAuditLogs", tag: "audit_logs", auth: "user",
    query: pageQuery.extend({
      "filter[action]": z.string().max(80).regex(/^[a-z0-9_.:-]+$/).optional(),
      "filter[actor_id]": z.coerce.number().int().min(1).optional(),
      "filter[source_type]": z.string().max(80).regex(/^[a-z0-9_]+$/).optional(),
      "filter[source_id]": z.string().max(120).regex(/^[A-Za-z0-9_.:@-]+$/).optional(),
      "filter[created_at][]": z.array(isoDate).length(2).optional(),
      filter: z.object({
        action: z.string().max(80).regex(/^[a-z0-9_.:-]+$/).optional(),
        actor_id: z.coerce.number().int().min(1).optional(),
        source_type: z.string().max(80).regex(/^[a-z0-9_]+$/).optional(),
        source_id: z.string().max(120).regex(/^[A-Za-z0-9_.:@-]+$/).optional(),
        created_at: z.array(isoDate).length(2).optional(),
      }).optional(),
    }),
    response: z.object({ audit_logs: z.array(auditLogView) }).passthrough(),
    handler: async (ctx, { query, url }) => {
      const page = parsePage(query);
      const f = query.filter ?? {};
      const created = f.created_at ?? query["filter[created_at][]"];
      const r = await listAuditLogs(ctx, page, {
        action: f.action ?? query["filter[action]"],
        actor_id: f.actor_id ?? query["filter[actor_id]"],
        source_type: f.source_type ?? query["filter[source_type]"],
        source_id: f.source_id ?? query["filter[source_id]"],
        since: created?.[0],
        until: created?.[1],
      });
      const env = pageEnvelope(page, r.views, r.count, url);
      return { audit_logs: env.items, ...env.extra };
    },
  });
}
