import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AppDeps } from "../../platform/deps.ts";
import { defineRoute } from "../../platform/http/route.ts";
import * as compliance from "./compliance-service.ts";
import { healthcareModeInput, healthcareModeView, postureView, subprocessorsView } from "./compliance-types.ts";

/**
 * Vaultdesk's compliance center (`/api/v2/compliance/…`), owners and admins: the security posture
 * report, healthcare mode (HIPAA/HDS), and the operator's sub-processors and hosting region.
 * Zendesk has no such endpoints. Healthcare mode guards every settings writer through the
 * `settings.changed` hook (platform/settings-changes.ts).
 */
export function register(app: FastifyInstance, deps: AppDeps): void {
  deps.hooks.on("settings.changed", compliance.guardSettingsChange(deps));
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/compliance/posture", operationId: "showCompliancePosture", tag: "compliance", auth: "user",
    summary: "Vaultdesk: the account's security posture: each control with its state (pass, fail, not_applicable), who owns it (operator or customer), what is wrong and where to fix it (admins).",
    response: z.object({ posture: postureView }),
    handler: async (ctx) => ({ posture: await compliance.posture(deps, ctx) }),
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/compliance/healthcare_mode", operationId: "showHealthcareMode", tag: "compliance", auth: "user",
    summary: "Vaultdesk: whether healthcare mode (HIPAA/HDS) is on (admins).",
    response: z.object({ healthcare_mode: healthcareModeView }),
    handler: async (ctx) => ({ healthcare_mode: await compliance.showHealthcareMode(ctx) }),
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/compliance/healthcare_mode", operationId: "updateHealthcareMode", tag: "compliance", auth: "user",
    // Turning it off lifts the guard on many settings: only soon after a sign-in.
    recentSignIn: "change healthcare mode",
    summary: "Vaultdesk: turns healthcare mode on or off (admins; audited). Turning it on answers 422 naming every failing healthcare control, and changes nothing; while it is on, settings changes that would break one are refused 422.",
    body: healthcareModeInput, response: z.object({ healthcare_mode: healthcareModeView }),
    handler: async (ctx, { body }) => ({ healthcare_mode: await compliance.updateHealthcareMode(deps, ctx, body.healthcare_mode.enabled) }),
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/compliance/subprocessors", operationId: "listSubprocessors", tag: "compliance", auth: "user",
    summary: "Vaultdesk: the installation's hosting region and sub-processors, as its operator configured them (admins).",
    response: subprocessorsView,
    handler: async (ctx) => compliance.subprocessors(deps, ctx),
  });
}
