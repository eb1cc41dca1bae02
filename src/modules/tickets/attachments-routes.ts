import type { FastifyInstance } from "fastify";
import { create as contentDisposition } from "content-disposition";
import { z } from "zod";
import { BlobTooLargeError } from "../../platform/blobs/index.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { AppError } from "../../platform/errors.ts";
import { defineRoute } from "../../platform/http/route.ts";
import { publicId, publicIdParam, wholeNumber } from "../../platform/schemas.ts";
import { attachmentScanJob } from "./attachment-scan.ts";
import { attachmentUpkeep } from "./attachments-upkeep.ts";
import * as service from "./attachments-service.ts";
import { attachmentSettingsInput, attachmentSettingsView, attachmentView, fileName, uploadToken, uploadView } from "./attachments-types.ts";
import { findVisibleTicketId } from "./tickets-service.ts";

/**
 * Zendesk's Attachments API: `POST /uploads` (the file's raw bytes as the body), `DELETE
 * /uploads/{token}`, `GET /attachments/{id}`, a comment attachment's redaction, and Vaultdesk's
 * download route (a link signed for the signed-in user, see attachments-service.ts) and the
 * tenant's attachment settings.
 */
export async function register(app: FastifyInstance, deps: AppDeps): Promise<void> {
  if (deps.scanner) deps.jobs.define(attachmentScanJob(deps, deps.scanner, app.log));
  for (const task of attachmentUpkeep(deps)) deps.jobs.maintain(task);

  // The upload route reads its body as a stream, whatever its type: in a context of its own, so
  // no other route ever receives an unparsed body.
  await app.register(async (raw) => {
    raw.removeAllContentTypeParsers();
    raw.addContentTypeParser("*", (_req, payload, done) => done(null, payload));
    defineRoute(raw, deps, {
      method: "POST", url: "/api/v2/uploads", operationId: "createUpload", tag: "attachments", auth: "optional",
      summary: "Uploads one file: the raw bytes as the body, its name in `filename`. Answers a token for `comment.uploads`; `token` adds the file to an earlier upload. Sealed as it streams; the type is detected from the content.",
      query: z.object({ filename: fileName, token: uploadToken.optional() }),
      response: uploadView,
      prepare: async ({ req, inTenant }) => {
        const { filename, token } = req.query as { filename: string; token?: string };
        const declared = Number(req.headers["content-length"] ?? NaN);
        const gate = await inTenant((ctx) => service.openUpload(deps, ctx, token));
        // Refused before a byte is read when the client says the size (the error answer closes the connection).
        if (Number.isFinite(declared) && declared > gate.settings.max_bytes) throw new BlobTooLargeError(gate.settings.max_bytes);
        const body = req.body as AsyncIterable<Uint8Array> | undefined;
        if (!body || typeof (body as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] !== "function") {
          throw new AppError("BadRequest", { description: "Send the file's bytes as the request body, with a Content-Type header." });
        }
        const received = await service.receiveFile(deps, gate, filename, body);
        return { gate, received, filename };
      },
      // The file is stored before the transaction: if the request fails after that (its
      // credential revoked meanwhile, the insert refused), the file goes too.
      cleanup: async (prepared) => service.deleteBlobs(deps, prepared.gate.sealer.tenantId, [prepared.received.id]),
      handler: async (ctx, { prepared }) => service.recordUpload(deps, ctx, prepared.gate, prepared.received, prepared.filename),
    });
  });

  defineRoute(app, deps, {
    method: "DELETE", url: "/api/v2/uploads/:token", operationId: "deleteUpload", tag: "attachments", auth: "optional", status: 204,
    summary: "Removes an upload no comment took, with its files (its uploader only).",
    params: z.object({ token: uploadToken }), response: z.undefined(),
    handler: async (ctx, { params, afterCommit }) => {
      const blobs = await service.deleteUpload(ctx, params.token);
      // The files go once the rows are gone for good, outside the transaction.
      afterCommit(() => service.deleteBlobs(deps, ctx.tx.tenantId, blobs));
    },
  });

  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/attachments/:id", operationId: "showAttachment", tag: "attachments", auth: "user",
    summary: "An attachment the caller may see (staff: on tickets they see; end users: on public comments of their requests; anyone: their own unattached uploads).",
    params: publicIdParam, response: z.object({ attachment: attachmentView }),
    handler: async (ctx, { params }) => ({ attachment: await service.showAttachment(deps, ctx, params.id) }),
  });

  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/attachments/:id/download", operationId: "downloadAttachment", tag: "attachments", auth: "user",
    summary: "The file, as a download. Needs the link from `content_url` (signed for the signed-in caller, valid for minutes) and a caller who may see the file.",
    params: publicIdParam,
    query: z.object({ expires: wholeNumber(0, 99_999_999_999), signature: z.string().min(1).max(100).regex(/^[A-Za-z0-9_-]+$/) }),
    response: z.string().describe("The file's bytes"),
    handler: async (ctx, { params, query, reply }) => {
      const d = await service.openDownload(deps, ctx, params.id, query);
      reply.header("content-type", d.contentType);
      reply.header("content-length", String(d.size));
      reply.header("content-disposition", contentDisposition(d.fileName, { type: "attachment" }));
      reply.header("cache-control", "private, no-store");
      reply.header("x-content-type-options", "nosniff");
      reply.header("content-security-policy", "default-src 'none'; sandbox");
      return d.stream;
    },
  });

  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/tickets/:ticket_id/comments/:comment_id/attachments/:id/redact", operationId: "redactCommentAttachment", tag: "attachments", auth: "user",
    summary: "Removes an attached file for good (its bytes are deleted); the attachment stays, named redacted.txt.",
    params: z.object({ ticket_id: publicId, comment_id: publicId, id: publicId }), response: z.object({ attachment: attachmentView }),
    handler: async (ctx, { params, afterCommit }) => {
      const ticketId = await findVisibleTicketId(ctx, params.ticket_id);
      const r = await service.redactAttachment(deps, ctx, { ticketId, commentNiceId: params.comment_id }, params.id);
      afterCommit(() => service.deleteBlobs(deps, ctx.tx.tenantId, [r.blobId]));
      return { attachment: r.view };
    },
  });

  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/attachment_settings", operationId: "showAttachmentSettings", tag: "attachments", auth: "user",
    summary: "What this helpdesk accepts as attachments (admins).",
    response: z.object({ settings: attachmentSettingsView }),
    handler: async (ctx) => ({ settings: await service.showSettings(deps, ctx) }),
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/attachment_settings", operationId: "updateAttachmentSettings", tag: "attachments", auth: "user",
    // Fewer refused extensions or more accepted types let malware in: only soon after a sign-in.
    recentSignIn: "change the attachment settings",
    summary: "Turns attachments on or off (also for customers), sets the size limit, refused extensions and accepted types (admins).",
    body: attachmentSettingsInput, response: z.object({ settings: attachmentSettingsView }),
    handler: async (ctx, { body }) => ({ settings: await service.updateSettings(deps, ctx, stripUndefined(body.settings)) }),
  });
}

function stripUndefined<T extends object>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}
