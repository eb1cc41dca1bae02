import { actorUser, type RequestContext } from "../../platform/context.ts";
import { AppError, forbidden } from "../../platform/errors.ts";
import { audit } from "../audit/audit-service.ts";
import type { ItemsHandler } from "../../platform/jobs/job-runner.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { enqueueItems, presentJob } from "../../platform/jobs/jobs.ts";
import { jobAbilities, type JobStatusWithAbilities } from "../jobs/jobs-service.ts";
import { currentStaffActor } from "../users/users-service.ts";
import { ticketPolicy } from "./tickets-policy.ts";
import { createTicket, updateTicket } from "./tickets-service.ts";
import type { TicketCreateInput, TicketUpdateInput } from "./tickets-types.ts";

/**
 * create_many and update_many as durable jobs, with Zendesk's job semantics: the request checks
 * the whole body and the caller's role, queues a job and answers its status (`queued`); the job
 * runner then does each ticket in a transaction of its own, as the caller, with their permissions
 * re-checked at that moment, and records one result per ticket. A refused or missing ticket is a
 * failed item; the job still completes. Only the job as a whole can fail (see job-runner.ts).
 */

export const BULK_UPDATE = "bulk_update_job";
export const BULK_CREATE = "bulk_create_job";
/** A job whose every try stopped for reasons not its own (crash, database down) fails after this many. */
const MAX_ATTEMPTS = 5;

type UpdateInput = { items: Array<{ id: number; change: TicketUpdateInput }> };
type CreateInput = { tickets: TicketCreateInput[] };

/** The error and details of a refused item: the same texts the single-ticket endpoint answers this caller. */
function refusal(err: AppError): { error: string; details: string } {
  const fields = Object.entries(err.details ?? {}).flatMap(([field, list]) => list.map((d) => `${field}: ${d.description}`));
  return { error: err.code, details: fields.length ? fields.join("; ") : err.description };
}

export const bulkUpdateHandler: ItemsHandler<UpdateInput> = {
  kind: "items",
  type: BULK_UPDATE,
  visible: true,
  actor: currentStaffActor,
  async runItem(ctx, input, index) {
    const { id, change } = input.items[index]!;
    await updateTicket(ctx, id, change);
    return { id, index, action: "update", success: true, status: "Updated" };
  },
  failedItem(input, index, err) {
    return { id: input.items[index]!.id, index, action: "update", success: false, ...refusal(err) };
  },
};

export const bulkCreateHandler: ItemsHandler<CreateInput> = {
  kind: "items",
  type: BULK_CREATE,
  visible: true,
  actor: currentStaffActor,
  async runItem(ctx, input, index) {
    const t = await createTicket(ctx, input.tickets[index]!);
    return { id: t.id, index, action: "create", success: true, status: "Created" };
  },
  failedItem(_input, index, err) {
    return { index, action: "create", success: false, ...refusal(err) };
  },
};

function requireStaff(ctx: RequestContext) {
  const a = actorUser(ctx);
  if (!ticketPolicy.useWorkspace(a)) throw forbidden("End users reach their tickets through the requests API.");
  return a;
}

async function enqueue<P>(deps: Pick<AppDeps, "jobs">, ctx: RequestContext, type: string, total: number, input: P): Promise<JobStatusWithAbilities> {
  const actor = actorUser(ctx);
  const id = await enqueueItems(ctx, { type, total, input, createdBy: actor.userId, maxAttempts: MAX_ATTEMPTS });
  audit(ctx, { action: "job.queued", resourceType: "job_status", resourceId: id, fields: [type] });
  const job = { id, job_type: type, status: "queued", total, progress: 0, results: [], message: null, created_by: actor.userId };
  return { ...presentJob(ctx, job), abilities: jobAbilities(deps, actor, job) };
}

/** Queues changes to many tickets: `ids` with one change, or one change per ticket. */
export async function queueUpdateMany(deps: Pick<AppDeps, "jobs">, ctx: RequestContext, items: UpdateInput["items"]): Promise<JobStatusWithAbilities> {
  const actor = requireStaff(ctx);
  // What the caller's role can never do is refused now; the rest is checked per ticket at run time.
  for (const { change } of items) {
    const properties = Object.keys(change).filter((k) => !["comment", "safe_update", "updated_stamp"].includes(k));
    if (properties.length > 0 && !ticketPolicy.editProperties(actor)) throw forbidden(ticketPolicy.editRefusal(actor));
    if (change.comment && (change.comment.public ?? true) && !ticketPolicy.replyPublicly(actor)) throw forbidden(ticketPolicy.publicReplyRefusal(actor));
  }
  return enqueue(deps, ctx, BULK_UPDATE, items.length, { items });
}

export async function queueCreateMany(deps: Pick<AppDeps, "jobs">, ctx: RequestContext, tickets: TicketCreateInput[]): Promise<JobStatusWithAbilities> {
  const actor = requireStaff(ctx);
  if (!ticketPolicy.create(actor)) throw forbidden();
  return enqueue(deps, ctx, BULK_CREATE, tickets.length, { tickets });
}
