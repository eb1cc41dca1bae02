import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AppDeps } from "../../platform/deps.ts";
import { defineRoute } from "../../platform/http/route.ts";
import { publicId } from "../../platform/schemas.ts";
import { openOriginal } from "../mail/originals-service.ts";

/** Ticket routes of the e-mail channel: a comment's original message, for staff. */
export function register(app: FastifyInstance, deps: AppDeps): void {
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/tickets/:ticket_id/comments/:comment_id/original", operationId: "showCommentOriginalEmail", tag: "tickets", auth: "user",
    summary: "Vaultdesk: the original e-mail of a comment that came by mail (message/rfc822, as a download), for staff; audit-logged.",
    params: z.object({ ticket_id: publicId, comment_id: publicId }),
    response: z.string().describe("The message as received"),
    handler: async (ctx, { params, reply }) => {
      const stream = await openOriginal(deps, ctx, params.ticket_id, params.comment_id);
      reply.header("content-type", "message/rfc822");
      reply.header("content-disposition", `attachment; filename="ticket-${params.ticket_id}-comment-${params.comment_id}.eml"`);
      reply.header("cache-control", "private, no-store");
      reply.header("x-content-type-options", "nosniff");
      reply.header("content-security-policy", "default-src 'none'; sandbox");
      return stream;
    },
  });
}
