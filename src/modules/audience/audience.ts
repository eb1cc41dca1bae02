import { actorUser, type RequestContext, type UserActor } from "../../platform/context.ts";
import { NO_ID } from "../../platform/db/database.ts";
import { forbidden, invalid, notFound } from "../../platform/errors.ts";
import { groupIdsOfUser, resolveGroup } from "../groups/groups-service.ts";
import { isAdmin } from "../users/users-policy.ts";
import { audiencePolicy, type Audience } from "./audience-policy.ts";
import type { RestrictionInput, RestrictionView } from "./audience-types.ts";

/**
 * What saved views and macros share: who one is for (`restriction`, Zendesk's shape), who sees and
 * changes it (audience-policy.ts), its title and the limits of each kind. Each module keeps its own
 * table and its own content (conditions, actions); this holds the rules, written once.
 */

/** What a module calls its items, in the sentences of refusals ("view"/"views", "macro"/"macros"). */
export type Noun = { one: string; many: string };


/** The columns of an item's row that say who it is for (`group_nice`: its group's public id, joined). */
export type AudienceRow = { user_id: string | null; group_id: string | null; group_nice: number | string | null };

export const audienceOf = (r: AudienceRow): Audience => (r.user_id ? { kind: "user", userId: r.user_id } : r.group_id ? { kind: "group", groupId: r.group_id } : { kind: "everyone" });

/** `restriction` as answered to `actor`: a personal item is seen by its owner alone, so it names the caller. */
export const restrictionOf = (actor: UserActor, r: AudienceRow): RestrictionView => (r.user_id ? { type: "User", id: actor.niceId } : r.group_id ? { type: "Group", id: Number(r.group_nice) } : null);

/** The caller, or 403 (`refusal`) for end users and anyone else outside the workspace. */
export function requireUse(ctx: RequestContext, refusal: string): UserActor {
  const a = actorUser(ctx);
  if (!audiencePolicy.use(a)) throw forbidden(refusal);
  return a;
}

/** An item `actor` sees, or 404: another tenant's, another person's personal one, a group's they are not in. */
export async function visibleItem<R extends AudienceRow>(ctx: RequestContext, actor: UserActor, row: R | undefined): Promise<R> {
  if (!row) throw notFound();
  const groups = row.group_id && !isAdmin(actor.role) ? await groupIdsOfUser(ctx, actor.userId) : [];
  if (!audiencePolicy.sees(actor, audienceOf(row), groups)) throw notFound();
  return row;
}

/** Of `list(groups, admin)`, the rows `actor` sees (the repo narrows, the policy decides). */
export async function seenRows<R extends AudienceRow>(ctx: RequestContext, actor: UserActor, list: (groupIds: readonly string[], allGroups: boolean) => Promise<R[]>): Promise<R[]> {
  const groups = await groupIdsOfUser(ctx, actor.userId);
  return (await list(groups, isAdmin(actor.role))).filter((r) => audiencePolicy.sees(actor, audienceOf(r), groups));
}

/** Refuses a write `actor` may not make to an item for `audience` (403). */
export function requireWrite(actor: UserActor, audience: Audience, noun: Noun, doing: "change" | "delete"): void {
  if (!audiencePolicy.write(actor, audience)) throw forbidden(`Only owners and admins ${doing} shared ${noun.many}.`);
}

/** A title trimmed, of 1 to 255 characters as people count them (code points: an emoji is one, not two UTF-16 units); else 422. */
export function titleOf(t: string): string {
  const s = t.trim();
  const n = [...s].length;
  if (n < 1 || n > 255) throw invalid("title", "Title: must be 1 to 255 characters");
  return s;
}

/** Who a restriction as sent is for, checked: another person's id, or a group missing in the tenant, answers 422; a shared one by a non-admin 403. */
export async function audienceFor(ctx: RequestContext, actor: UserActor, r: RestrictionInput, noun: Noun): Promise<Audience> {
  if (r === null) {
    if (!audiencePolicy.write(actor, { kind: "everyone" })) throw forbidden(`Only owners and admins share ${noun.many}.`);
    return { kind: "everyone" };
  }
  if (r.type === "User") {
    if (r.id !== actor.niceId) throw invalid("restriction", `Restriction: a personal ${noun.one} belongs to the person who makes it (their own id)`);
    return { kind: "user", userId: actor.userId };
  }
  if (!audiencePolicy.write(actor, { kind: "group", groupId: NO_ID })) throw forbidden(`Only owners and admins share ${noun.many}.`);
  const g = await resolveGroup(ctx, r.id).catch(() => undefined);
  if (!g) throw invalid("restriction", "Restriction: group not found");
  return { kind: "group", groupId: g.id };
}

/**
 * Refuses an item beyond the limit of its audience's kind (422): `count(userId)` counts a person's
 * own (or, undefined, the account's shared ones) under the module's lock, so that items created at
 * once cannot pass the limit together.
 */
export async function withinLimit(audience: Audience, count: (userId: string | undefined) => Promise<number>, limits: { personal: number; shared: number }, noun: Noun): Promise<void> {
  const personal = audience.kind === "user";
  const n = await count(personal ? audience.userId : undefined);
  const max = personal ? limits.personal : limits.shared;
  if (n >= max) throw invalid("restriction", personal ? `${cap(noun.many)}: at most ${max} personal ${noun.many} each; delete some first` : `${cap(noun.many)}: at most ${max} shared ${noun.many} in an account; delete some first`, "TooMany");
}

/**
 * The columns to write when an item's restriction is changed to `r` (checked as `audienceFor`
 * checks it). A move between personal and shared is counted against the limit of the kind it
 * enters (`limit`: the module's `withinLimit` with its own count and maxima); a move within a kind
 * is not, as the counts do not change.
 */
export async function restrictionChange(
  ctx: RequestContext,
  actor: UserActor,
  before: AudienceRow,
  r: RestrictionInput,
  noun: Noun,
  limit: (audience: Audience) => Promise<void>,
): Promise<Pick<AudienceRow, "user_id" | "group_id">> {
  const audience = await audienceFor(ctx, actor, r, noun);
  if ((audience.kind === "user") !== (audienceOf(before).kind === "user")) await limit(audience);
  return { user_id: audience.kind === "user" ? audience.userId : null, group_id: audience.kind === "group" ? audience.groupId : null };
}

/** Whether an item is personal, as `access=personal|shared` filters. */
export const accessMatches = (access: "personal" | "shared" | undefined, restriction: RestrictionView): boolean => (access === undefined ? true : access === "personal" ? restriction?.type === "User" : restriction?.type !== "User");

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
