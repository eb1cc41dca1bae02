import type { TenantTx } from "../../platform/db/database.ts";
import { fetchPage, type Page } from "../../platform/http/pagination.ts";

/** SQL for reading the audit log (entries are written by vd_audit_enqueue and linked by the chainer). */

export async function listEntries(
  tx: TenantTx,
  page: Page,
  filter: { action?: string | undefined; actor_id?: number | undefined; source_type?: string | undefined; source_id?: string | undefined; since?: string | undefined; until?: string | undefined },
) {
  let q = tx.db.selectFrom("audit_log").selectAll().where("tenant_id", "=", tx.tenantId);
  if (filter.action) q = q.where("action", "=", filter.action);
  if (filter.actor_id !== undefined) q = q.where("actor_kind", "=", "user").where("actor_id", "=", String(filter.actor_id));
  if (filter.source_type) q = q.where("resource_type", "=", filter.source_type);
  if (filter.source_id) q = q.where("resource_id", "=", filter.source_id);
  if (filter.since) q = q.where("occurred_at", ">=", new Date(filter.since));
  if (filter.until) q = q.where("occurred_at", "<", new Date(filter.until));
  const counted = q.clearSelect().select((eb) => eb.fn.countAll<number>().as("n"));
  return fetchPage(q, page, "seq", async () => Number((await counted.executeTakeFirstOrThrow()).n));
}
