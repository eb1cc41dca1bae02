import { createBlobStore } from "../platform/blobs/index.ts";
import { z } from "zod";
import type { Runtime } from "../platform/runtime.ts";
import { email, name, subdomain } from "../platform/schemas.ts";
import { verifyChain } from "../modules/audit/audit-service.ts";
import { createTenant, findTenant, listTenants, shredTenant } from "../modules/tenants/tenants-service.ts";
import { AppError } from "../platform/errors.ts";
import { rotateTenantKey } from "../modules/keys/keys-service.ts";
import { PublicUrls } from "../platform/urls.ts";
import { resetPasswordByOperator } from "../modules/identity/password-reset-service.ts";
import { resetTwoFactorByOperator } from "../modules/identity/two-factor-service.ts";
import { liftIpRestrictionsByOperator } from "../modules/identity/ip-restrictions-service.ts";

/**
 * Operator commands. The CLI runs them in-process when it owns the data folder, or sends them
 * over the operator socket to the running server, which runs the very same functions.
 */
export const operations = {
  "tenant.create": {
    input: z.object({ subdomain, ownerEmail: email, ownerName: name.optional(), teamName: name.optional() }),
    run: async (rt: Runtime, a: { subdomain: string; ownerEmail: string; ownerName?: string | undefined; teamName?: string | undefined }) => {
      const t = await createTenant(rt.db, rt.keyring, a);
      const urls = new PublicUrls(rt.config);
      if (rt.listenPort !== undefined) urls.listening(rt.listenPort);
      const isDefault = rt.config.defaultTenant ? rt.config.defaultTenant === t.subdomain : t.isDefault;
      return { subdomain: t.subdomain, ownerEmail: t.ownerEmail, oneTimePassword: t.oneTimePassword, apiToken: t.apiToken, url: `${urls.tenantOrigin({ subdomain: t.subdomain, isDefault })}/` };
    },
  },
  "tenant.list": {
    input: z.object({}),
    run: async (rt: Runtime) => ({ tenants: (await listTenants(rt.db)).map((t) => ({ subdomain: t.subdomain, status: t.status, region: t.region, default: t.isDefault })) }),
  },
  "tenant.shred": {
    input: z.object({ tenant: subdomain }),
    run: async (rt: Runtime, a: { tenant: string }) => {
      await shredTenant(rt.db, rt.keyring, createBlobStore(rt.config), a.tenant);
      return { shredded: a.tenant };
    },
  },
  "audit.verify": {
    input: z.object({ tenant: subdomain }),
    run: async (rt: Runtime, a: { tenant: string }) => {
      const t = await findTenant(rt.db, { subdomain: a.tenant });
      if (!t) throw new AppError("RecordNotFound", { description: `no tenant '${a.tenant}'` });
      return verifyChain(rt.db, t.id);
    },
  },
  "keys.rotate": {
    input: z.object({ tenant: subdomain }),
    run: async (rt: Runtime, a: { tenant: string }) => {
      const t = await findTenant(rt.db, { subdomain: a.tenant });
      if (!t || t.status !== "active") throw new AppError("RecordNotFound", { description: `no active tenant '${a.tenant}'` });
      return rotateTenantKey(rt.db, rt.keyring, createBlobStore(rt.config), t.id);
    },
  },
  "user.reset_password": {
    input: z.object({ tenant: subdomain, email }),
    run: async (rt: Runtime, a: { tenant: string; email: string }) => {
      const t = await findTenant(rt.db, { subdomain: a.tenant });
      if (!t || t.status !== "active") throw new AppError("RecordNotFound", { description: `no active tenant '${a.tenant}'` });
      const r = await resetPasswordByOperator({ db: rt.db, keyring: rt.keyring }, t.id, a.email);
      const urls = new PublicUrls(rt.config);
      if (rt.listenPort !== undefined) urls.listening(rt.listenPort);
      const isDefault = rt.config.defaultTenant ? rt.config.defaultTenant === t.subdomain : t.isDefault;
      return { ...r, email: a.email, url: `${urls.tenantOrigin({ subdomain: t.subdomain, isDefault })}/` };
    },
  },
  "tenant.lift_ip_restrictions": {
    input: z.object({ tenant: subdomain }),
    run: async (rt: Runtime, a: { tenant: string }) => {
      const t = await findTenant(rt.db, { subdomain: a.tenant });
      if (!t || t.status !== "active") throw new AppError("RecordNotFound", { description: `no active tenant '${a.tenant}'` });
      return { lifted: await liftIpRestrictionsByOperator({ db: rt.db, keyring: rt.keyring }, t.id) };
    },
  },
  "user.reset_two_factor": {
    input: z.object({ tenant: subdomain, email }),
    run: async (rt: Runtime, a: { tenant: string; email: string }) => {
      const t = await findTenant(rt.db, { subdomain: a.tenant });
      if (!t || t.status !== "active") throw new AppError("RecordNotFound", { description: `no active tenant '${a.tenant}'` });
      return { ...(await resetTwoFactorByOperator({ db: rt.db, keyring: rt.keyring, config: rt.config }, t.id, a.email)), email: a.email };
    },
  },
  migrate: {
    input: z.object({}),
    run: async (rt: Runtime) => ({ applied: await rt.db.migrate() }),
  },
} as const;

export type OperationName = keyof typeof operations;

export async function runOperation(rt: Runtime, name: string, args: unknown): Promise<unknown> {
  const op = (operations as Record<string, { input: z.ZodType; run: (rt: Runtime, a: never) => Promise<unknown> }>)[name];
  if (!op) throw new AppError("InvalidEndpoint", { description: `unknown operation ${name}` });
  const parsed = op.input.safeParse(args);
  if (!parsed.success) {
    throw new AppError("RecordInvalid", { description: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") });
  }
  return op.run(rt, parsed.data as never);
}
