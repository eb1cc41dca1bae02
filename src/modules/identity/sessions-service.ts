import ipaddr from "ipaddr.js";
import { UAParser } from "ua-parser-js";
import { actorUser, type RequestContext } from "../../platform/context.ts";
import type { AppDeps } from "../../platform/deps.ts";
import type { SessionMethod } from "../../platform/db/schema.ts";
import { forbidden, invalid, notFound } from "../../platform/errors.ts";
import { queueMail } from "../../platform/jobs/mail-job.ts";
import { audit } from "../audit/audit-service.ts";
import { teamName } from "../admin/account-service.ts";
import { isAdmin } from "../users/users-policy.ts";
import * as repo from "./identity-repo.ts";
import { newDeviceMail } from "./new-device-mail.ts";
import { settingsChanged } from "../../platform/settings-changes.ts";

/**
 * Sessions and devices (Zendesk's Sessions API): a person's signed-in sessions with the browser
 * and OS they came from, ended one by one or all at once; a mail when a sign-in comes from a
 * device not seen before; and the tenant's session lengths.
 *
 * The device fingerprint is an HMAC (the keyring's secret hashing) of the user, the browser
 * family, the OS family and the client's network (IPv4 /16, IPv6 /32): coarse enough that a
 * browser update or a new address from the same provider is not "new", fine enough that a
 * sign-in from another browser, system or provider is. It is a hint for a notice, never a
 * credential.
 */

/** How far back a device counts as seen. */
export const DEVICE_MEMORY_DAYS = 90;
const sessionsRef = (id: string, column: "ip" | "user_agent") => ({ table: "sessions" as const, column, row: id });

export type Device = { browser: string | null; os: string | null };

/** Browser and OS names from a User-Agent header (ua-parser-js). */
export function parseDevice(ua: string | undefined | null): Device {
  if (!ua) return { browser: null, os: null };
  const r = new UAParser(ua.slice(0, 512)).getResult();
  const name = (n: string | undefined, v: string | undefined) => (n ? (v ? `${n} ${v}` : n) : null);
  return { browser: name(r.browser.name, r.browser.major), os: name(r.os.name, r.os.version) };
}

/** The network the fingerprint uses: IPv4 /16, IPv6 /32 (IPv4-mapped addresses are IPv4). */
export function deviceNetwork(ip: string | undefined): string {
  if (!ip || !ipaddr.isValid(ip)) return "-";
  const a = ipaddr.process(ip);
  if (a.kind() === "ipv4") return (a as ipaddr.IPv4).octets.slice(0, 2).join(".");
  return (a as ipaddr.IPv6).parts.slice(0, 2).map((p) => p.toString(16)).join(":");
}

export function deviceHash(deps: Pick<AppDeps, "keyring">, userId: string, ua: string | undefined, ip: string | undefined): Buffer {
  const r = ua ? new UAParser(ua.slice(0, 512)).getResult() : undefined;
  return deps.keyring.hashSecret("session-device", [userId, r?.browser.name ?? "-", r?.os.name ?? "-", deviceNetwork(ip)].join("\n"));
}

/** What a new session stores about its device: the sealed User-Agent header and the fingerprint. */
export function deviceColumns(deps: Pick<AppDeps, "keyring">, ctx: RequestContext, sessionId: string, userId: string) {
  return {
    user_agent_sealed: ctx.userAgent ? ctx.sealer.seal(ctx.userAgent, sessionsRef(sessionId, "user_agent")) : null,
    device_hash: deviceHash(deps, userId, ctx.userAgent, ctx.ip),
  };
}

/**
 * Before a new session is stored: when the user has signed in before (a session with a
 * fingerprint) but not from this device in the last 90 days, they are sent a mail. The very first
 * sign-in of an account, and an accepted invitation, send none: there is nothing to compare with,
 * and the person has just proved the mailbox the notice would go to.
 */
export async function noticeNewDevice(deps: Pick<AppDeps, "config">, ctx: RequestContext, user: { id: string; niceId: number }, hash: Buffer, method: SessionMethod): Promise<boolean> {
  if (method === "invitation") return false;
  const now = ctx.now();
  const seen = await repo.deviceSeen(ctx.tx, user.id, hash, new Date(now.getTime() - DEVICE_MEMORY_DAYS * 86_400_000));
  if (!seen.any || seen.seen) return false;
  const u = await repo.userForMail(ctx.tx, user.id);
  if (!u?.email_sealed) return false;
  const to = ctx.sealer.open(u.email_sealed, { table: "users" as const, column: "email" as const, row: user.id });
  const team = (await teamName(ctx)) ?? new URL(ctx.apiBase).hostname;
  await queueMail(ctx, deps.config.mailRetryMs, { to, ...newDeviceMail(u.locale, team, parseDevice(ctx.userAgent), now), about: { userId: user.id } });
  audit(ctx, { action: "user.new_device_notice", resourceType: "user", resourceId: user.niceId });
  return true;
}

export type SessionView = {
  id: number;
  user_id: number;
  authenticated_at: string;
  last_seen_at: string;
  browser: string | null;
  os: string | null;
  ip: string | null;
  method: SessionMethod;
  current: boolean;
  url: string;
};

const defaultsOf = (deps: Pick<AppDeps, "config">) => ({ idleMinutes: deps.config.sessionIdleMinutes, maxHours: deps.config.sessionMaxHours });

function present(ctx: RequestContext, s: repo.LiveSessionRow, currentHash: Buffer | undefined): SessionView {
  const ua = s.user_agent_sealed ? ctx.sealer.open(s.user_agent_sealed, sessionsRef(s.id, "user_agent")) : null;
  return {
    id: s.nice_id,
    user_id: s.user_nice_id,
    authenticated_at: s.created_at.toISOString(),
    last_seen_at: s.last_seen_at.toISOString(),
    ...parseDevice(ua),
    ip: s.ip_sealed ? ctx.sealer.open(s.ip_sealed, sessionsRef(s.id, "ip")) : null,
    method: s.method,
    current: currentHash !== undefined && Buffer.from(s.token_hash).equals(currentHash),
    url: `${ctx.apiBase}/users/${s.user_nice_id}/sessions/${s.nice_id}.json`,
  };
}

/** People list and end their own sessions; admins anyone's in the tenant. */
function mayManage(ctx: RequestContext, user: { id: string }): void {
  const actor = actorUser(ctx);
  if (actor.userId !== user.id && !isAdmin(actor.role)) throw forbidden("You can see and end your own sessions; admins can end anyone's.");
}

/** The same rule by the user's public id, checked before the user is looked up. */
export function mayManageUserNiceId(ctx: RequestContext, niceId: number): void {
  const actor = actorUser(ctx);
  if (actor.niceId !== niceId && !isAdmin(actor.role)) throw forbidden("You can see and end your own sessions; admins can end anyone's.");
}

export async function listSessions(deps: Pick<AppDeps, "config">, ctx: RequestContext, user: { id: string }, currentHash: Buffer | undefined): Promise<SessionView[]> {
  mayManage(ctx, user);
  const rows = await repo.listLiveSessions(ctx.tx, ctx.now(), defaultsOf(deps), { userId: user.id });
  return rows.map((s) => present(ctx, s, currentHash));
}

/** Every live session of the tenant (admins). */
export async function listAllSessions(deps: Pick<AppDeps, "config">, ctx: RequestContext, currentHash: Buffer | undefined): Promise<SessionView[]> {
  if (!isAdmin(actorUser(ctx).role)) throw forbidden("Only admins list every session.");
  const rows = await repo.listLiveSessions(ctx.tx, ctx.now(), defaultsOf(deps), {});
  return rows.map((s) => present(ctx, s, currentHash));
}

/** One live session of the user; another user's number, or one that has ended, is 404. */
async function findSession(deps: Pick<AppDeps, "config">, ctx: RequestContext, user: { id: string }, niceId: number) {
  mayManage(ctx, user);
  const [s] = await repo.listLiveSessions(ctx.tx, ctx.now(), defaultsOf(deps), { userId: user.id, niceId });
  if (!s) throw notFound();
  return s;
}

export async function showSession(deps: Pick<AppDeps, "config">, ctx: RequestContext, user: { id: string }, niceId: number, currentHash: Buffer | undefined): Promise<SessionView> {
  return present(ctx, await findSession(deps, ctx, user, niceId), currentHash);
}

export async function endSession(deps: Pick<AppDeps, "config">, ctx: RequestContext, user: { id: string }, niceId: number): Promise<void> {
  const s = await findSession(deps, ctx, user, niceId);
  await repo.revokeSessionById(ctx.tx, s.id, ctx.now());
  audit(ctx, { action: "session.ended", resourceType: "session", resourceId: niceId });
}

/** Ends the user's sessions, all of them or all but the caller's own (`keep`). */
export async function endSessionsOf(ctx: RequestContext, user: { id: string; niceId: number }, keep: Buffer | undefined): Promise<number> {
  mayManage(ctx, user);
  const n = await repo.revokeSessionsOfUser(ctx.tx, user.id, ctx.now(), keep);
  audit(ctx, { action: keep ? "user.other_sessions_ended" : "user.sessions_ended", resourceType: "user", resourceId: user.niceId });
  return n;
}

// ---- the tenant's session lengths

export type SessionSettings = { idle_minutes: number; max_hours: number; default_idle_minutes: number; default_max_hours: number };

export async function showSessionSettings(deps: Pick<AppDeps, "config">, ctx: RequestContext): Promise<SessionSettings> {
  if (!isAdmin(actorUser(ctx).role)) throw forbidden("Only admins see the session settings.");
  const s = await repo.sessionSettings(ctx.tx);
  return { idle_minutes: s.idle_minutes ?? deps.config.sessionIdleMinutes, max_hours: s.max_hours ?? deps.config.sessionMaxHours, default_idle_minutes: deps.config.sessionIdleMinutes, default_max_hours: deps.config.sessionMaxHours };
}

/** Changes the lengths (null: back to the default). Applies to live sessions at their next request. */
export async function updateSessionSettings(deps: Pick<AppDeps, "config">, ctx: RequestContext, input: { idle_minutes?: number | null | undefined; max_hours?: number | null | undefined }): Promise<SessionSettings> {
  if (!isAdmin(actorUser(ctx).role)) throw forbidden("Only admins change the session settings.");
  const cur = await repo.sessionSettings(ctx.tx);
  const next = { idle_minutes: input.idle_minutes === undefined ? cur.idle_minutes : input.idle_minutes, max_hours: input.max_hours === undefined ? cur.max_hours : input.max_hours };
  const idle = next.idle_minutes ?? deps.config.sessionIdleMinutes;
  const max = next.max_hours ?? deps.config.sessionMaxHours;
  if (idle > max * 60) throw invalid("idle_minutes", "Idle minutes: must not be longer than the absolute session length", "InvalidValue");
  await repo.storeSessionSettings(ctx.tx, next);
  const fields = Object.entries(input).filter(([, v]) => v !== undefined).map(([k]) => k);
  audit(ctx, { action: "session_settings.updated", resourceType: "account", resourceId: "sessions", fields });
  await settingsChanged(ctx, "sessions");
  return showSessionSettings(deps, ctx);
}

/** The absolute length of a session that starts now, in hours (the tenant's, else the default). */
export async function maxHoursFor(deps: Pick<AppDeps, "config">, ctx: RequestContext): Promise<number> {
  return (await repo.sessionSettings(ctx.tx)).max_hours ?? deps.config.sessionMaxHours;
}
