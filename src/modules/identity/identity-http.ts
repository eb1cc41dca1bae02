import type { FastifyReply, FastifyRequest } from "fastify";
import { SESSION_COOKIE, type Session } from "./identity-service.ts";

/**
 * The session cookie, set and cleared in one place for every route that signs someone in or out
 * (password, invitation, sign-in link): HttpOnly, SameSite=Lax, Secure under HTTPS, whole site.
 */
export function setSessionCookie(reply: FastifyReply, req: FastifyRequest, session: Session): void {
  reply.setCookie(SESSION_COOKIE, session.token, { httpOnly: true, sameSite: "lax", secure: req.protocol === "https", path: "/", expires: session.expires });
}

export function clearSessionCookie(reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { path: "/" });
}

/** The session cookie the request carries, if any. */
export const sessionCookieOf = (req: FastifyRequest): string | undefined => req.cookies[SESSION_COOKIE];
