import type { Readable } from "node:stream";
import { BlobNotFoundError, getSealed } from "../../platform/blobs/index.ts";
import type { RequestContext } from "../../platform/context.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { AppError, notFound } from "../../platform/errors.ts";
import { audit } from "../audit/audit-service.ts";
import { commentForOriginal } from "../tickets/email-channel.ts";
import * as repo from "./mail-repo.ts";

/**
 * The original message of a comment that came by e-mail, as it arrived (sealed in the blob store,
 * purpose "mail"): for staff who may see the ticket, audit-logged; 410 when it was not kept (a
 * card number in its words). Served as a download
 * (message/rfc822, attachment disposition, nosniff, sandbox CSP): never rendered by the browser.
 */
export async function openOriginal(deps: Pick<AppDeps, "blobs">, ctx: RequestContext, ticketNiceId: number, commentNiceId: number): Promise<Readable> {
  const { commentId } = await commentForOriginal(ctx, ticketNiceId, commentNiceId);
  const m = await repo.findInboundOfComment(ctx.tx, commentId);
  if (!m) throw notFound();
  audit(ctx, { action: "ticket.original_email_viewed", resourceType: "ticket", resourceId: ticketNiceId, fields: ["comment"] });
  try {
    return await getSealed(deps.blobs, ctx.sealer, { purpose: "mail", id: m.id });
  } catch (err) {
    // Deleted after processing because it held a card number (inbound-service holdsRedacted).
    if (err instanceof BlobNotFoundError) throw new AppError("Gone", { description: "The original of this message was not kept: it held a card number, masked in the comment." });
    throw err;
  }
}
