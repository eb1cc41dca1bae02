import { create as contentDisposition } from "content-disposition";
import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import type { AppDeps } from "../../platform/deps.ts";
import { defineRoute } from "../../platform/http/route.ts";
import { publicIdParam } from "../../platform/schemas.ts";
import { orgView } from "../organizations/organizations-types.ts";
import { auditEvent, ticketView } from "../tickets/tickets-types.ts";
import { userView } from "../users/users-types.ts";
import { cursorPage, timeBasedPage } from "./exports-incremental.ts";
import { exportJob } from "./exports-jobs.ts";
import * as service from "./exports-service.ts";
import { dataExportView, downloadQuery, incrementalPage, incrementalQuery, tenantExportInput, tenantExportView, timeBasedPage as timeBasedPageOf, timeBasedQuery } from "./exports-types.ts";

/**
 * Vaultdesk's data exports: a person's (`/api/v2/users/:id/data_exports`, `/users/me/data_exports`,
 * `/data_exports/:id`) and a tenant's (`/api/v2/exports`, `/exports/:id`). Zendesk has no such
 * endpoints for a person; its incremental exports are the closest to a tenant's. Each file is
 * downloaded once through a signed link (`download_url`).
 */
export function register(app: FastifyInstance, deps: AppDeps): void {
  deps.jobs.define(exportJob(deps));
  for (const task of service.exportUpkeep(deps)) deps.jobs.maintain(task);

  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/data_exports/:id", operationId: "showDataExport", tag: "data_exports", auth: "user",
    summary: "Vaultdesk: a person export's status, with its single-use `download_url` once ready (the asker only).",
    params: publicIdParam, response: z.object({ data_export: dataExportView }),
    handler: async (ctx, { params }) => ({ data_export: await service.showExport(ctx, params.id, "person") }),
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/data_exports/:id/download", operationId: "downloadDataExport", tag: "data_exports", auth: "user",
    summary: "Vaultdesk: the person export's ZIP, once: needs the signed `download_url`; then 410, and the file is deleted.",
    params: publicIdParam, query: downloadQuery, response: z.string().describe("The ZIP's bytes"),
    handler: async (ctx, { params, query, reply, afterCommit }) => sendExport(deps, ctx.tx.tenantId, await service.openExportDownload(deps, ctx, params.id, "person", query), reply, afterCommit),
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/exports", operationId: "createExport", tag: "exports", auth: "user",
    // Every ticket, user or organization at once: only soon after a sign-in.
    recentSignIn: "export the account's data",
    summary: "Vaultdesk: exports the account's tickets, users or organizations as CSV or JSON (owners and admins): chosen fields, rows updated between `start_time` and `end_time`.",
    body: tenantExportInput, response: z.object({ export: tenantExportView }), status: 202,
    handler: async (ctx, { body }) => ({ export: await service.createTenantExport(ctx, body.export) }),
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/exports/:id", operationId: "showExport", tag: "exports", auth: "user",
    summary: "Vaultdesk: a tenant export's status and progress (`rows_done`), with its single-use `download_url` once ready (the asker only).",
    params: publicIdParam, response: z.object({ export: tenantExportView }),
    handler: async (ctx, { params }) => ({ export: await service.showTenantExport(ctx, params.id) }),
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/exports/:id/download", operationId: "downloadExport", tag: "exports", auth: "user",
    summary: "Vaultdesk: the tenant export's file, once: needs the signed `download_url`; then 410, and the file is deleted.",
    params: publicIdParam, query: downloadQuery, response: z.string().describe("The file's bytes"),
    handler: async (ctx, { params, query, reply, afterCommit }) => sendExport(deps, ctx.tx.tenantId, await service.openExportDownload(deps, ctx, params.id, "tenant", query), reply, afterCommit),
  });
  // Zendesk's incremental exports, cursor-based and time-based (exports-incremental.ts).
  // What is left of a ticket or organization deleted for good (purged_records): its id and when.
  const purged = (what: string) =>
    z.object({ id: z.number(), url: z.string(), deleted: z.literal(true), deleted_at: z.string(), updated_at: z.string().describe("When it was deleted: its place in the stream.") }).describe(`Vaultdesk: ${what} deleted for good (nothing else is left of it): remove your copy.`);
  const streamed = {
    tickets: {
      item: z.union([
        ticketView.extend({ status: z.union([ticketView.shape.status, z.literal("deleted")]).describe("`deleted`: the ticket is in the trash (its content is left out).") }),
        purged("a ticket").extend({ status: z.literal("deleted") }),
      ]),
      name: "Ticket",
      what: "tickets (those in the trash, and those deleted for good, with status `deleted`)",
    },
    users: { item: userView, name: "User", what: "people (deleted ones not active, erased ones as their tombstone)" },
    organizations: { item: z.union([orgView, purged("an organization")]), name: "Organization", what: "organizations (those deleted, with `deleted: true`)" },
  } as const;
  for (const resource of ["tickets", "users", "organizations"] as const) {
    const { item, name, what } = streamed[resource];
    defineRoute(app, deps, {
      method: "GET", url: `/api/v2/incremental/${resource}/cursor`, operationId: `incremental${name}Export`, tag: "exports", auth: "user",
      summary: `${resource === "organizations" ? "Vaultdesk, in the shape of Zendesk's cursor-based exports" : "Zendesk's cursor-based incremental export"}: ${what} changed at or after \`start_time\`, oldest change first (owners and admins).`,
      // Every ticket, person or organization, page by page: not from an old or stolen cookie (as POST /exports).
      recentSignIn: "export the account's data",
      query: incrementalQuery, response: incrementalPage(resource, item),
      handler: async (ctx, { query, url }) => {
        const { items, ...rest } = await cursorPage(ctx, deps.config.incrementalSettleMs, resource, query, url);
        return { [resource]: items, ...rest } as never; // the page's items under the resource's name, checked by the response schema
      },
    });
    defineRoute(app, deps, {
      method: "GET", url: `/api/v2/incremental/${resource}`, operationId: `incremental${name}ExportByTime`, tag: "exports", auth: "user",
      summary: `Zendesk's time-based incremental export: ${what} changed at or after \`start_time\`, oldest change first; \`next_page\` goes on (owners and admins).`,
      recentSignIn: "export the account's data",
      query: timeBasedQuery, response: timeBasedPageOf(resource, item),
      handler: async (ctx, { query, url }) => {
        const { items, ...rest } = await timeBasedPage(ctx, deps.config.incrementalSettleMs, resource, query, url);
        return { [resource]: items, ...rest } as never; // as above
      },
    });
  }
  // Zendesk's incremental ticket events export (time-based only, as Zendesk): each ticket audit.
  const ticketEvent = z.object({
    id: z.number().describe("The audit's id (GET /tickets/{ticket_id}/audits)."),
    ticket_id: z.number(),
    timestamp: z.number().int().describe("Unix seconds of `created_at`."),
    created_at: z.string(),
    updater_id: z.number().nullable(),
    via: z.string().describe("The channel (Zendesk's via.channel)."),
    event_type: z.literal("Audit"),
    child_events: z.array(auditEvent.omit({ type: true }).extend({ event_type: auditEvent.shape.type, via: z.string() })).describe("The audit's events: `Create` and `Change` (field_name, value, previous_value); `Comment` (body, public, author_id) only with `include=comment_events`."),
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/incremental/ticket_events", operationId: "incrementalTicketEventExport", tag: "exports", auth: "user",
    summary: "Zendesk's incremental ticket events export: every ticket audit made at or after `start_time`, oldest first; `next_page` goes on (owners and admins). Tickets in the trash, and those of or by people whose processing is restricted, are left out.",
    // Every comment, internal notes included: not from an old or stolen cookie (as POST /exports).
    recentSignIn: "export the account's data",
    query: timeBasedQuery.extend({ include: z.enum(["comment_events"]).optional().describe("`comment_events`: comments' bodies among the child events.") }),
    response: timeBasedPageOf("ticket_events", ticketEvent),
    handler: async (ctx, { query, url }) => {
      const { items, ...rest } = await timeBasedPage(ctx, deps.config.incrementalSettleMs, "ticket_events", query, url);
      return { ticket_events: items, ...rest } as never; // as above
    },
  });
}

/**
 * The person-export requests live under `/api/v2/users` (the users module registers them, as it
 * does the passkey routes under the same path; docs/architecture.md's route table).
 */
export function registerPersonExportRoutes(app: FastifyInstance, deps: AppDeps): void {
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/users/me/data_exports", operationId: "createMyDataExport", tag: "data_exports", auth: "user",
    summary: "Vaultdesk: asks for an export of everything the account holds about the caller (a ZIP, see docs/privacy.md); it is built in the background.",
    response: z.object({ data_export: dataExportView }), status: 202,
    handler: async (ctx) => ({ data_export: await service.createPersonExport(ctx, "me") }),
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/users/:id/data_exports", operationId: "createUserDataExport", tag: "data_exports", auth: "user",
    summary: "Vaultdesk: asks for an export of a person's data (owners, admins, roles with data export access); internal notes about them are included.",
    // Someone else's data, internal notes about them included: not from an old or stolen cookie.
    recentSignIn: "export someone's data",
    params: publicIdParam, response: z.object({ data_export: dataExportView }), status: 202,
    handler: async (ctx, { params }) => ({ data_export: await service.createPersonExport(ctx, params.id) }),
  });
}

function sendExport(deps: Pick<AppDeps, "blobs">, tenantId: string, d: service.ExportDownload, reply: FastifyReply, afterCommit: (fn: () => Promise<void>) => void) {
  // The single use is taken with the commit; the file goes once it has been sent (or the client left).
  let sent = false;
  let committed = false;
  const remove = () => (sent && committed ? service.removeExportFile(deps, tenantId, d.blobId) : Promise.resolve());
  d.stream.once("close", () => {
    sent = true;
    void remove();
  });
  afterCommit(async () => {
    committed = true;
    await remove();
  });
  reply.header("content-type", d.contentType);
  reply.header("content-length", String(d.size));
  reply.header("content-disposition", contentDisposition(d.fileName, { type: "attachment" }));
  reply.header("cache-control", "private, no-store");
  reply.header("x-content-type-options", "nosniff");
  reply.header("content-security-policy", "default-src 'none'; sandbox");
  return d.stream;
}
