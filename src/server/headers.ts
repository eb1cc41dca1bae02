import type { FastifyReply } from "fastify";

/** The headers every answer carries, whatever produced it (a route, the error renderer, or a raw client-error answer). */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Resource-Policy": "same-origin",
  "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
  "Content-Security-Policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  "Cache-Control": "no-store",
});

/** Sets the security headers and the request id on a reply. */
export function securityHeaders(reply: FastifyReply, requestId: string, https: boolean): void {
  reply.header("X-Request-Id", requestId);
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) reply.header(k, v);
  if (https) reply.header("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
}
