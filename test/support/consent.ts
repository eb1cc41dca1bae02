import crypto from "node:crypto";
import { sql } from "kysely";
import type { TestApp, TestTenant } from "./harness.ts";

/**
 * A consent record of a person, written as the help center's request form writes one (sealed text,
 * its hash and version): for suites that need a consent to withdraw without going through the form.
 * Returns the record's public id.
 */
export async function consentRecordFor(t: TestApp, tenant: TestTenant, userNiceId: number, text = "I agree to the processing of my request."): Promise<number> {
  return t.db.tenant(tenant.tenantId, async (tx) => {
    const sealer = await t.keyring.sealerFor(tx);
    const user = await tx.db.selectFrom("users").select("id").where("nice_id", "=", userNiceId).executeTakeFirstOrThrow();
    const id = crypto.randomUUID();
    const r = await tx.db
      .insertInto("consent_records")
      .values({
        tenant_id: tenant.tenantId,
        id,
        nice_id: sql<number>`vd_next_id('consent_records')`,
        user_id: user.id,
        ticket_id: null,
        text_version: 1,
        text_locale: null,
        text_sha256: crypto.createHash("sha256").update(text, "utf8").digest(),
        text_sealed: sealer.seal(text, { table: "consent_records", column: "text", row: id }),
        ip_sealed: null,
      })
      .returning("nice_id")
      .executeTakeFirstOrThrow();
    return Number(r.nice_id);
  });
}
