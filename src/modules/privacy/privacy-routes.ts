import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AppDeps } from "../../platform/deps.ts";
import { listEnvelope, pageEnvelope, parsePage } from "../../platform/http/pagination.ts";
import { defineRoute } from "../../platform/http/route.ts";
import { pageQuery, publicIdParam } from "../../platform/schemas.ts";
import * as privacy from "./privacy-service.ts";
import { showRedactionSettings, updateRedactionSettings } from "./redaction-service.ts";
import { redactionSettingsInput, redactionSettingsView, legalHoldInput, legalHoldView, retentionPolicyInput, retentionPolicyView, retentionPreviewQuery, retentionPreviewView } from "./privacy-types.ts";

/**
 * Vaultdesk's legal holds (`/api/v2/legal_holds`) and retention policy (`/api/v2/retention_policy`):
 * owners and admins; Zendesk has no such endpoints (its deletion schedules are closest).
 */
export function register(app: FastifyInstance, deps: AppDeps): void {
  for (const task of privacy.retentionUpkeep(deps)) deps.jobs.maintain(task);
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/legal_holds", operationId: "listLegalHolds", tag: "legal_holds", auth: "user",
    summary: "Vaultdesk: legal holds, active and released (`active=true`: active only); admins.",
    query: pageQuery.extend({ active: z.enum(["true", "false"]).optional() }), response: listEnvelope("legal_holds", legalHoldView),
    handler: async (ctx, { query, url }) => {
      const page = parsePage(query);
      const { views, count } = await privacy.listHolds(ctx, page, query.active === "true");
      const env = pageEnvelope(page, views, count, url);
      return { legal_holds: env.items, ...env.extra };
    },
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/legal_holds", operationId: "createLegalHold", tag: "legal_holds", auth: "user",
    summary: "Vaultdesk: puts a ticket, a person (their requests) or an organization (its tickets) under a legal hold: no purge, retention run or erasure touches it until released.",
    body: legalHoldInput, response: z.object({ legal_hold: legalHoldView }), status: 201,
    handler: async (ctx, { body }) => ({ legal_hold: await privacy.createHold(ctx, body.legal_hold) }),
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/legal_holds/:id", operationId: "showLegalHold", tag: "legal_holds", auth: "user",
    params: publicIdParam, response: z.object({ legal_hold: legalHoldView }),
    handler: async (ctx, { params }) => ({ legal_hold: await privacy.showHold(ctx, params.id) }),
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/legal_holds/:id/release", operationId: "releaseLegalHold", tag: "legal_holds", auth: "user",
    summary: "Vaultdesk: releases a legal hold (kept, with who released it and when).",
    params: publicIdParam, response: z.object({ legal_hold: legalHoldView }),
    handler: async (ctx, { params }) => ({ legal_hold: await privacy.releaseHold(ctx, params.id) }),
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/retention_policy", operationId: "showRetentionPolicy", tag: "retention_policy", auth: "user",
    summary: "Vaultdesk: the account's retention policy (admins).",
    response: z.object({ retention_policy: retentionPolicyView }),
    handler: async (ctx) => ({ retention_policy: await privacy.showPolicy(ctx) }),
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/retention_policy", operationId: "updateRetentionPolicy", tag: "retention_policy", auth: "user",
    summary: "Vaultdesk: changes the retention policy (admins; audited).",
    body: retentionPolicyInput, response: z.object({ retention_policy: retentionPolicyView }),
    handler: async (ctx, { body }) => ({ retention_policy: await privacy.updatePolicy(ctx, body.retention_policy) }),
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/retention_policy/preview", operationId: "previewRetentionPolicy", tag: "retention_policy", auth: "user",
    summary: "Vaultdesk: a dry run: how many tickets the policy (or `solved_days`/`excluded_tags` given here) would move to the trash now, and the first 100.",
    query: retentionPreviewQuery, response: retentionPreviewView,
    handler: async (ctx, { query }) => privacy.previewRetention(ctx, { solved_days: query.solved_days, excluded_tags: query.excluded_tags }),
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/redaction_settings", operationId: "showRedactionSettings", tag: "redaction_settings", auth: "user",
    summary: "Vaultdesk: which detectors mask text on its way in beside card numbers (always on): IBANs, national identity numbers by country (admins).",
    response: z.object({ redaction_settings: redactionSettingsView }),
    handler: async (ctx) => ({ redaction_settings: await showRedactionSettings(ctx) }),
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/redaction_settings", operationId: "updateRedactionSettings", tag: "redaction_settings", auth: "user",
    summary: "Vaultdesk: turns the IBAN detector on or off and sets the countries whose national identity numbers are masked (admins; audited). Applies to what is written from then on.",
    body: redactionSettingsInput, response: z.object({ redaction_settings: redactionSettingsView }),
    handler: async (ctx, { body }) => ({ redaction_settings: await updateRedactionSettings(ctx, body.redaction_settings) }),
  });
}
