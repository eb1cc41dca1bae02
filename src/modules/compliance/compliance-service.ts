import { actorUser, type RequestContext } from "../../platform/context.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { AppError, forbidden, type FieldDetail } from "../../platform/errors.ts";
import type { SettingsChanged } from "../../platform/settings-changes.ts";
import { adminPolicy } from "../admin/admin-policy.ts";
import { audit } from "../audit/audit-service.ts";
import { CONTROLS, readersFor, type ControlDef } from "./compliance-controls.ts";
import * as repo from "./compliance-repo.ts";
import type { ControlView, PostureView, SubprocessorsView } from "./compliance-types.ts";

/**
 * The compliance center: the security posture report (compliance-controls.ts), healthcare mode,
 * and the operator's sub-processors and hosting region. Owners and admins only.
 */

type Deps = Pick<AppDeps, "config" | "urls">;

function manage(ctx: RequestContext): void {
  if (!adminPolicy.manage(actorUser(ctx))) throw forbidden("The compliance center is for owners and admins.");
}

async function evaluate(deps: Deps, ctx: RequestContext, defs: readonly ControlDef[]): Promise<ControlView[]> {
  const env = { deps, ctx, read: readersFor(deps, ctx) };
  const out: ControlView[] = [];
  for (const c of defs) {
    const r = await c.check(env);
    out.push({ key: c.key, title: c.title, state: r.state, owner: c.owner, healthcare: c.healthcare, requirement: c.seed, detail: r.detail, fix: c.fix });
  }
  return out;
}

/** The 422 that names each failing control, with what is wrong and where to fix it. */
function refusal(description: string, failing: readonly ControlView[]): AppError {
  const details: Record<string, FieldDetail[]> = {};
  for (const c of failing) details[c.key] = [{ description: `${c.title}: ${c.detail}`, error: "HealthcareControlFails", fix: c.fix }];
  return new AppError("RecordInvalid", { description: `${description} Failing: ${failing.map((c) => c.key).join(", ")}.`, details });
}

export async function posture(deps: Deps, ctx: RequestContext): Promise<PostureView> {
  manage(ctx);
  const controls = await evaluate(deps, ctx, CONTROLS);
  const count = (s: ControlView["state"]) => controls.filter((c) => c.state === s).length;
  return {
    healthcare_mode: await repo.healthcareMode(ctx.tx),
    checked_at: ctx.now().toISOString(),
    counts: { pass: count("pass"), fail: count("fail"), not_applicable: count("not_applicable") },
    controls,
  };
}

export async function showHealthcareMode(ctx: RequestContext): Promise<{ enabled: boolean }> {
  manage(ctx);
  return { enabled: await repo.healthcareMode(ctx.tx) };
}

/** Turning it on checks every healthcare control and changes nothing when one fails (422 naming them). Audited when it changes. */
export async function updateHealthcareMode(deps: Deps, ctx: RequestContext, enabled: boolean): Promise<{ enabled: boolean }> {
  manage(ctx);
  const current = await repo.healthcareMode(ctx.tx);
  if (enabled === current) return { enabled };
  if (enabled) {
    const failing = (await evaluate(deps, ctx, CONTROLS.filter((c) => c.healthcare))).filter((c) => c.state === "fail");
    if (failing.length > 0) throw refusal("Healthcare mode needs every healthcare control to pass.", failing);
  }
  await repo.storeHealthcareMode(ctx.tx, enabled, ctx.now());
  audit(ctx, { action: enabled ? "healthcare_mode.enabled" : "healthcare_mode.disabled", resourceType: "account", resourceId: "compliance", fields: ["healthcare_mode"] });
  return { enabled };
}

/**
 * The one guard of every settings writer (platform/settings-changes.ts): while healthcare mode is
 * on, a change that leaves one of the customer's healthcare controls reading that setting failing
 * is refused 422, naming the control; the write and its audit entry roll back with it.
 */
export function guardSettingsChange(deps: Deps) {
  return async (ctx: RequestContext, event: SettingsChanged): Promise<void> => {
    const defs = CONTROLS.filter((c) => c.healthcare && c.owner === "customer" && c.areas.includes(event.area));
    if (defs.length === 0 || !(await repo.healthcareMode(ctx.tx))) return;
    const failing = (await evaluate(deps, ctx, defs)).filter((c) => c.state === "fail");
    if (failing.length > 0) throw refusal("Healthcare mode is on: this change would break a healthcare control. Turn healthcare mode off first to make it.", failing);
  };
}

/** The operator's sub-processors and hosting region, from configuration. */
export function subprocessors(deps: Pick<AppDeps, "config">, ctx: RequestContext): SubprocessorsView {
  manage(ctx);
  return {
    hosting_region: deps.config.region,
    subprocessors: deps.config.subprocessors.map((s) => ({ name: s.name, purpose: s.purpose, location: s.location, url: s.url ?? null })),
  };
}
