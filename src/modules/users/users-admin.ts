import { dropUndelivered } from "../../platform/jobs/mail-job.ts";
import { actorUser, type RequestContext } from "../../platform/context.ts";
import type { Role } from "../../platform/db/schema.ts";
import { forbidden, notFound } from "../../platform/errors.ts";
import { audit } from "../audit/audit-service.ts";
import { revokeAccessOf } from "../identity/identity-service.ts";
import { cancelPendingEmailChanges } from "./users-email.ts";
import { userPolicy } from "./users-policy.ts";
import { indexUser } from "../search/people-index.ts";
import * as adminRepo from "./users-admin-repo.ts";
import * as repo from "./users-repo.ts";
import { changeRole, presentUser } from "./users-service.ts";
import type { UserView } from "./users-types.ts";

/**
 * People operations of the admin center that the Zendesk user API cannot express: any role
 * change including owner (through the same changeRole as `PUT /users/{id}`), and deletion.
 *
 * Deletion is a soft delete, as in Zendesk (`DELETE /api/v2/users/{id}` answers the user with
 * `active: false`): the account is deactivated, its sessions and API tokens are revoked at once,
 * and it can no longer sign in; its tickets keep their requester and assignee. Its sealed
 * personal data (name, e-mail, phone) stays in the database until erasure (the privacy module's
 * `/deleted_users`: restorable for 30 days, then erased); the e-mail address stays taken meanwhile.
 */

export async function changeUserRole(ctx: RequestContext, niceId: number, next: Role, currentSession?: Buffer): Promise<UserView> {
  if (!userPolicy.manageRoles(actorUser(ctx))) throw forbidden();
  const u = await repo.findUserByNiceId(ctx.tx, niceId);
  if (!u) throw notFound();
  await changeRole(ctx, u, next, currentSession);
  return presentUser(ctx, (await repo.findUserById(ctx.tx, u.id))!);
}

export async function deleteUser(ctx: RequestContext, niceId: number): Promise<UserView> {
  const actor = actorUser(ctx);
  if (!userPolicy.manageRoles(actor)) throw forbidden();
  const u = await repo.findUserByNiceId(ctx.tx, niceId);
  if (!u) throw notFound();
  if (u.active) {
    const owners = u.role === "owner" ? await adminRepo.lockActiveOwners(ctx.tx) : [];
    const decision = userPolicy.delete(actor, u, owners.length);
    if (!decision.ok) throw forbidden(decision.reason);
    await adminRepo.deactivateUser(ctx.tx, u.id, actor.userId, ctx.now());
    await revokeAccessOf(ctx, u.id, { signinLinks: true, passkeys: true });
    await cancelPendingEmailChanges(ctx, u.id);
    // Mail the relay never took for them is dropped with them.
    await dropUndelivered(ctx.tx, { userId: u.id });
    // Nobody's search finds a deleted person: their name index entries go.
    await indexUser(ctx, { id: u.id, removed: true });
    audit(ctx, { action: "user.deleted", resourceType: "user", resourceId: u.nice_id, fields: ["active"] });
  }
  return presentUser(ctx, (await repo.findUserById(ctx.tx, u.id))!);
}
