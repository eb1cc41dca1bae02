import { sql } from "kysely";
import { expect } from "vitest";
import type { TestApp, TestTenant } from "./harness.ts";

/** What the macro suites share: making a macro through the API, and reading an account's usage rows. */

type As = { email: string; token: string };

async function created(r: Promise<{ status: number; text: string; body: any }>): Promise<any> {
  const x = await r;
  expect(x.status, x.text).toBe(201);
  return x.body;
}

/** A macro with a reply, made by `who` (the tenant's owner by default); `restriction` undefined: personal (the API's default), null: shared. */
export const makeMacro = async (tenant: TestTenant, title: string, restriction: unknown, who?: As): Promise<number> =>
  (await created(tenant.api("POST", "/api/v2/macros.json", { macro: { title, ...(restriction === undefined ? {} : { restriction }), actions: [{ field: "comment_value", value: "Hello" }] } }, who))).macro.id as number;

/** An account's macro_usage rows and the uses they count, read in its tenant context. */
export const macroUsageRows = (t: TestApp, tenant: TestTenant) =>
  t.db.tenant(tenant.tenantId, async (tx) => (await sql<{ n: number; uses: number }>`SELECT count(*)::int AS n, coalesce(sum(uses), 0)::int AS uses FROM macro_usage`.execute(tx.db)).rows[0]!);
