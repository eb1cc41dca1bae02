import { sql } from "kysely";
import type { AutomationDeps } from "../../src/modules/triggers/automations-run.ts";
import { createMailer } from "../../src/platform/mail.ts";
import { createMemoryRateLimiter } from "../../src/platform/rate-limiter.ts";
import { PublicUrls } from "../../src/platform/urls.ts";
import type { TestApp, TestTenant } from "./harness.ts";

/** What a test's own automations run needs, on the test app (its mailer, a rate limiter of its own, warnings dropped unless `warn` is given). */
export function automationDeps(t: TestApp, warn: (obj: object, msg: string) => void = () => undefined): AutomationDeps {
  const urls = new PublicUrls(t.config);
  urls.listening(t.port);
  return { db: t.db, keyring: t.keyring, hooks: t.app.hooks, mailer: createMailer(t.config), config: t.config, urls, rateLimiter: createMemoryRateLimiter(), logger: { warn } };
}

/** Moves every stored time of a ticket (its comments' and SLA state's too) `minutes` back: as if that long had passed. */
export const passTime = (t: TestApp, a: TestTenant, id: number, minutes: number) =>
  t.db.tenant(a.tenantId, async (tx) => {
    const d = `${minutes} minutes`;
    await sql`UPDATE tickets SET created_at = created_at - ${d}::interval, status_updated_at = status_updated_at - ${d}::interval, sla_next_breach_at = sla_next_breach_at - ${d}::interval WHERE nice_id = ${id}`.execute(tx.db);
    await sql`UPDATE ticket_comments SET created_at = created_at - ${d}::interval WHERE ticket_id = (SELECT id FROM tickets WHERE nice_id = ${id})`.execute(tx.db);
    await sql`UPDATE ticket_sla_metrics SET activated_at = activated_at - ${d}::interval, fulfilled_at = fulfilled_at - ${d}::interval, running_since = running_since - ${d}::interval, breach_at = breach_at - ${d}::interval WHERE ticket_id = (SELECT id FROM tickets WHERE nice_id = ${id})`.execute(tx.db);
  });
