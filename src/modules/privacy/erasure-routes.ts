import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AppDeps } from "../../platform/deps.ts";
import { listEnvelope, pageEnvelope, parsePage } from "../../platform/http/pagination.ts";
import { defineRoute } from "../../platform/http/route.ts";
import { pageQuery, publicIdParam } from "../../platform/schemas.ts";
import * as erasure from "./erasure-service.ts";
import { deletedUserView, erasurePreviewView, erasureReceiptView } from "./erasure-types.ts";

/**
 * Zendesk's deleted users (`/api/v2/deleted_users`: list, show, delete for good) with Vaultdesk's
 * restore, erasure preview and erasure receipts; owners and admins.
 */
export function register(app: FastifyInstance, deps: AppDeps): void {
  for (const task of erasure.erasureUpkeep(deps)) deps.jobs.maintain(task);
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/deleted_users", operationId: "listDeletedUsers", tag: "users", auth: "user",
    summary: "People deleted and not yet erased (restorable for 30 days); admins.",
    query: pageQuery, response: listEnvelope("deleted_users", deletedUserView),
    handler: async (ctx, { query, url }) => {
      const page = parsePage(query);
      const { views, count } = await erasure.listDeletedUsers(ctx, page);
      const env = pageEnvelope(page, views, count, url);
      return { deleted_users: env.items, ...env.extra };
    },
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/deleted_users/:id", operationId: "showDeletedUser", tag: "users", auth: "user",
    params: publicIdParam, response: z.object({ deleted_user: deletedUserView }),
    handler: async (ctx, { params }) => ({ deleted_user: await erasure.showDeletedUser(ctx, params.id) }),
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/deleted_users/:id/restore", operationId: "restoreDeletedUser", tag: "users", auth: "user",
    summary: "Vaultdesk: brings a deleted person back (active; their ended sessions and tokens stay ended).",
    params: publicIdParam, response: z.object({ deleted_user: deletedUserView }),
    handler: async (ctx, { params }) => ({ deleted_user: await erasure.restoreDeletedUser(ctx, params.id) }),
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/deleted_users/:id/erasure_preview", operationId: "previewUserErasure", tag: "users", auth: "user",
    summary: "Vaultdesk: what erasing the person would delete and keep, the legal holds in the way, and mentions of them in other tickets (to redact).",
    params: publicIdParam, response: z.object({ erasure_preview: erasurePreviewView }),
    handler: async (ctx, { params }) => ({ erasure_preview: await erasure.erasurePreview(ctx, params.id) }),
  });
  defineRoute(app, deps, {
    method: "DELETE", url: "/api/v2/deleted_users/:id", operationId: "eraseDeletedUser", tag: "users", auth: "user",
    summary: "Erases a deleted person for good (GDPR art. 17) and answers the erasure receipt; 409 under a legal hold.",
    params: publicIdParam, response: z.object({ erasure_receipt: erasureReceiptView }),
    handler: async (ctx, { params, afterCommit }) => ({ erasure_receipt: await erasure.eraseDeletedUser(deps, ctx, params.id, afterCommit) }),
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/erasure_receipts", operationId: "listErasureReceipts", tag: "users", auth: "user",
    summary: "Vaultdesk: receipts of erasures, newest last; admins.",
    query: pageQuery, response: listEnvelope("erasure_receipts", erasureReceiptView),
    handler: async (ctx, { query, url }) => {
      const page = parsePage(query);
      const { views, count } = await erasure.listReceipts(ctx, page);
      const env = pageEnvelope(page, views, count, url);
      return { erasure_receipts: env.items, ...env.extra };
    },
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/erasure_receipts/:id", operationId: "showErasureReceipt", tag: "users", auth: "user",
    params: publicIdParam, response: z.object({ erasure_receipt: erasureReceiptView }),
    handler: async (ctx, { params }) => ({ erasure_receipt: await erasure.showReceipt(ctx, params.id) }),
  });
}
