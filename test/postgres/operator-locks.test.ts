import crypto from "node:crypto";
import pg from "pg";
import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../../src/platform/db/database.ts";
import { Keyring } from "../../src/platform/crypto/keyring.ts";
import { LocalMasterKey } from "../../src/platform/crypto/master-key.ts";
import { createTenant, findTenant, reopenTenant } from "../../src/modules/tenants/tenants-service.ts";
import { freshPostgresDatabase } from "../support/postgres-database.ts";

/**
 * An operator's reopening of a closed tenant links its audit entry at once, so it waits for the
 * tenant's chain head; a chainer holding that head inserts into audit_log, whose foreign key takes
 * FOR KEY SHARE on the tenant's row. Reopening must not lock that row in a way that conflicts
 * (FOR UPDATE did: PostgreSQL found a deadlock, seen in CI). Here the chainer's two steps are made
 * by hand on a second connection, around a waiting reopen, in the order that deadlocked.
 */

describe("operator actions and the audit chainer on PostgreSQL", () => {
  it("reopening a closed tenant does not deadlock with a chainer holding the chain head", async () => {
    const database = await freshPostgresDatabase({ migrated: true });
    const db = await openDatabase({ kind: "postgres", url: database.url, poolSize: 4 });
    const chainer = new pg.Client({ connectionString: database.url });
    await chainer.connect();
    try {
      const keyring = new Keyring(new LocalMasterKey(crypto.randomBytes(32)));
      await createTenant(db, keyring, { subdomain: "lockre", ownerEmail: "owner@lockre.test" });
      const tenant = (await findTenant(db, { subdomain: "lockre" }))!;
      await sql`UPDATE tenants SET status = 'closed', closed_at = now(), deletes_at = now() + interval '90 days', termination_mode = 'delete_after_grace' WHERE id = ${tenant.id}::uuid`.execute(db.owner);

      // The chainer takes the chain head…
      await chainer.query("BEGIN");
      await chainer.query("SELECT seq FROM audit_heads WHERE tenant_id = $1 FOR UPDATE", [tenant.id]);
      // …the operator reopens, which locks the tenant's row and then waits for the head…
      const reopening = reopenTenant(db, "lockre").then(
        (t) => ({ ok: true as const, status: t.status }),
        (e: unknown) => ({ ok: false as const, error: String(e) }),
      );
      const deadline = Date.now() + 10_000;
      for (;;) {
        const waiting = await chainer.query(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()",
        );
        if (waiting.rows[0].n > 0) break;
        if (Date.now() > deadline) throw new Error("reopen never waited for the chain head");
        await new Promise((r) => setTimeout(r, 20));
      }
      // …and the chainer's insert into audit_log checks its foreign key: FOR KEY SHARE on the row.
      await chainer.query("SET LOCAL lock_timeout = '5s'");
      await chainer.query("SELECT 1 FROM tenants WHERE id = $1 FOR KEY SHARE", [tenant.id]);
      await chainer.query("COMMIT");

      expect(await reopening).toEqual({ ok: true, status: "active" });
      const actions = await sql<{ action: string }>`SELECT action FROM audit_log WHERE tenant_id = ${tenant.id}::uuid ORDER BY seq`.execute(db.owner);
      expect(actions.rows.map((r) => r.action)).toContain("tenant.reopened");
    } finally {
      await chainer.end().catch(() => undefined);
      await db.close();
      await database.drop();
    }
  });
});
