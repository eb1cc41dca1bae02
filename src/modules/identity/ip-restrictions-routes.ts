import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AppDeps } from "../../platform/deps.ts";
import { defineRoute } from "../../platform/http/route.ts";
import * as ipRestrictions from "./ip-restrictions-service.ts";

const ipRestrictionView = z.object({
  enabled: z.boolean().describe("Whether requests and sign-ins are admitted only from the allowed ranges."),
  allowed_ips: z.string().describe("The allowed IPv4 and IPv6 addresses and CIDR ranges, separated by spaces (Zendesk's form), in canonical form."),
  enforce_end_users: z.boolean().describe("Whether end users are bound too (staff always are)."),
  allow_two_factor: z.boolean().describe("Vaultdesk: whether a person whose sign-in used a second factor or a passkey may come from outside the ranges."),
  current_ip: z.string().nullable().describe("Vaultdesk: the caller's address as the server sees it (after trusted proxies)."),
  current_ip_allowed: z.boolean().describe("Vaultdesk: whether the caller's address is in the allowed ranges."),
});

const ipRestrictionInput = z.strictObject({
  ip_restriction: z.strictObject({
    enabled: z.boolean().optional(),
    allowed_ips: z.string().max(10_000).regex(/^[0-9A-Fa-f.:/\s,]*$/, "must be IPv4 or IPv6 addresses or CIDR ranges separated by spaces").optional(),
    enforce_end_users: z.boolean().optional(),
    allow_two_factor: z.boolean().optional(),
  }),
  confirm_lockout: z.literal(true).optional().describe("Make a change that shuts out the admin making it (their current address outside the new ranges)."),
});

/** IP restrictions (Zendesk's `ip_restriction` account setting), admins and the owner. */
export function registerIpRestrictionRoutes(app: FastifyInstance, deps: AppDeps): void {
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/ip_restrictions", operationId: "showIpRestrictions", tag: "ip_restrictions", auth: "user",
    summary: "Vaultdesk: the networks staff (and optionally end users) may use the account from, and the caller's address as the server sees it (admins).",
    response: z.object({ ip_restriction: ipRestrictionView }),
    handler: async (ctx) => ({ ip_restriction: await ipRestrictions.showIpRestrictions(ctx) }),
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/ip_restrictions", operationId: "updateIpRestrictions", tag: "ip_restrictions", auth: "user",
    // Rules that can shut every owner out (until the operator lifts them): only soon after a sign-in.
    recentSignIn: "change the IP restrictions",
    summary: "Vaultdesk: changes the IP restrictions (admins; audited without the ranges). A change that would shut out the caller answers 422 unless `confirm_lockout: true`. Applies at once to every session and token.",
    body: ipRestrictionInput, response: z.object({ ip_restriction: ipRestrictionView }),
    handler: async (ctx, { body, req }) => ({
      ip_restriction: await ipRestrictions.updateIpRestrictions(ctx, body.ip_restriction, { confirmLockout: body.confirm_lockout === true, secondFactor: req.credentialSecondFactor }),
    }),
  });
}
