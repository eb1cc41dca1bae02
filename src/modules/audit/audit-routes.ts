import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { listAuditLogs, verifyAuditChain } from "./audit-service.ts";
import { auditArchiveUpkeep, listArchives, openArchive } from "./audit-archive.ts";
import { checkCheckpointsForReader, checkpointForReader, checkpointSchema } from "./audit-checkpoints.ts";
import { isoDate, pageQuery, publicId, publicIdParam } from "../../platform/schemas.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { listEnvelope, pageEnvelope, parsePage } from "../../platform/http/pagination.ts";
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

const archiveView = z.object({
  id: z.number(),
  first_entry_id: z.number().describe("The first archived entry (`id` in the audit log)."),
  last_entry_id: z.number(),
  first_at: z.string(),
  last_at: z.string(),
  entries: z.number(),
  sha256: z.string().describe("SHA-256 of the file's bytes (hex)."),
  prev_hash: z.string().describe("The chain's hash before the first entry (hex): the file's chain starts from it."),
  last_hash: z.string().describe("The chain's hash at the last entry (hex)."),
  created_at: z.string(),
  verified_at: z.string().nullable().describe("When the file was read back and its chain recomputed, before its entries left the database."),
  purged_at: z.string().nullable().describe("When its entries were deleted from the database (null: still there too)."),
});

const checkpointCheckView = z.object({
  seq: z.number().describe("The checkpoint's entry (`id` in the audit log)."),
  at: z.string(),
  result: z.enum(["matches", "archived", "differs", "missing", "unsigned", "other_tenant"]),
  reason: z.string().optional().describe("Why it does not match (every result but `matches` and `archived`)."),
});

export function register(app: FastifyInstance, deps: AppDeps): void {
  for (const task of auditArchiveUpkeep(deps)) deps.jobs.maintain(task);
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/audit_logs", operationId: "listAuditLogs", tag: "audit_logs", auth: "user",
    query: pageQuery.extend({
      "filter[action]": z.string().max(80).regex(/^[a-z0-9_.:-]+$/).optional(),
      "filter[actor_id]": publicId.optional(),
      "filter[source_type]": z.string().max(80).regex(/^[a-z0-9_]+$/).optional(),
      "filter[source_id]": z.string().max(120).regex(/^[A-Za-z0-9_.:@-]+$/).optional(),
      "filter[created_at][]": z.array(isoDate).length(2).optional(),
      filter: z.object({
        action: z.string().max(80).regex(/^[a-z0-9_.:-]+$/).optional(),
        actor_id: publicId.optional(),
        source_type: z.string().max(80).regex(/^[a-z0-9_]+$/).optional(),
        source_id: z.string().max(120).regex(/^[A-Za-z0-9_.:@-]+$/).optional(),
        created_at: z.array(isoDate).length(2).optional(),
      }).optional(),
    }),
    response: listEnvelope("audit_logs", auditLogView),
    handler: async (ctx, { query, url }) => {
      // Newest first, as Zendesk lists audit logs; `sort_order=asc` for oldest first.
      const page = parsePage(query, { newestFirst: true });
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
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/audit_logs/verification", operationId: "verifyAuditLogs", tag: "audit_logs", auth: "user",
    summary: "Recomputes the account's audit hash chain: verified, entries checked, the first broken entry.",
    response: z.object({ verification: z.object({ verified: z.boolean(), entries_checked: z.number(), first_broken_id: z.number().nullable(), reason: z.string().nullable(), checked_at: z.string() }) }),
    handler: async (ctx) => ({ verification: await verifyAuditChain(ctx) }),
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/audit_logs/checkpoint", operationId: "getAuditCheckpoint", tag: "audit_logs", auth: "user",
    summary: "Vaultdesk: a signed checkpoint of the account's audit chain (its last entry and that entry's hash, signed with the installation's Ed25519 key), to keep outside the installation.",
    response: z.object({ checkpoint: checkpointSchema }),
    handler: async (ctx, { tenant }) => ({ checkpoint: await checkpointForReader(deps.keyring, ctx, tenant.subdomain) }),
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/audit_logs/checkpoints/check", operationId: "checkAuditCheckpoints", tag: "audit_logs", auth: "user",
    summary: "Vaultdesk: checks kept checkpoints (1 to 100) against the account's audit chain as stored: each must be this installation's, for this account, and its entry must still have its hash.",
    // A POST (the checkpoints are a body): a token needs the write scope, as for every POST.
    status: 200,
    body: z.object({ checkpoints: z.array(checkpointSchema).min(1).max(100) }).strict(),
    response: z.object({ checks: z.array(checkpointCheckView) }),
    handler: async (ctx, { body }) => ({ checks: await checkCheckpointsForReader(deps.keyring, ctx, body.checkpoints) }),
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/audit_archives", operationId: "listAuditArchives", tag: "audit_logs", auth: "user",
    summary: "Vaultdesk: files of audit entries older than the hot period, with the hashes that tie them into the chain.",
    query: pageQuery, response: listEnvelope("audit_archives", archiveView),
    handler: async (ctx, { query, url }) => {
      const page = parsePage(query);
      const r = await listArchives(ctx, page);
      const env = pageEnvelope(page, r.views, r.count, url);
      return { audit_archives: env.items, ...env.extra };
    },
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/audit_archives/:id/download", operationId: "downloadAuditArchive", tag: "audit_logs", auth: "user",
    summary: "Vaultdesk: an archive's entries as JSON lines after a header line (audited). Client addresses stay sealed, as in the chain.",
    params: publicIdParam, response: z.string().describe("JSON lines"),
    handler: async (ctx, { params, reply }) => {
      const f = await openArchive(deps, ctx, params.id);
      reply.header("content-type", "application/x-ndjson; charset=utf-8");
      reply.header("content-disposition", `attachment; filename="${f.name}"`);
      reply.header("cache-control", "private, no-store");
      reply.header("x-content-type-options", "nosniff");
      return f.stream;
    },
  });
}
