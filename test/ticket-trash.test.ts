import fs from "node:fs";
import path from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { purgeTickets } from "../src/modules/tickets/conversation.ts";
import { purgeExpiredTrash, TRASH_DAYS } from "../src/modules/tickets/trash-service.ts";
import { makeContext } from "../src/platform/context.ts";
import { createBlobStore } from "../src/platform/blobs/index.ts";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";

/**
 * The trash (Zendesk's `/api/v2/deleted_tickets`) over real HTTP: a deleted ticket is listed with
 * who deleted it, restored with its search entries, or deleted for good with every row about it
 * and its files; the upkeep does that after TRASH_DAYS; roles without deletion, ticket access and
 * other tenants are refused.
 */

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t?.close());

type Json = Record<string, any>;
type As = { email: string; token: string };

async function open(a: TestTenant, subject: string, extra: Record<string, unknown> = {}): Promise<number> {
  const r = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject, comment: { body: `About the ${subject.toLowerCase()}` }, ...extra } });
  expect(r.status, r.text).toBe(201);
  return r.body.ticket.id as number;
}
const remove = async (a: TestTenant, id: number, as?: As) => expect((await a.api("DELETE", `/api/v2/tickets/${id}.json`, undefined, as)).status).toBe(204);
const searchIds = async (a: TestTenant, q: string) => ((await a.api("GET", `/api/v2/search.json?query=${encodeURIComponent(q)}`)).body.results as Json[]).map((r) => r.id);
const trash = async (a: TestTenant, as?: As) => {
  const r = await a.api("GET", "/api/v2/deleted_tickets.json", undefined, as);
  expect(r.status, r.text).toBe(200);
  return r.body.deleted_tickets as Json[];
};
/** Rows about a ticket in every table that holds them, by its internal id (and its nice_id, the search postings' key). */
async function rowsAbout(a: TestTenant, ticket: { id: string; nice: number }) {
  const ticketId = ticket.id;
  return t.db.tenant(a.tenantId, async (tx) => {
    const n = async (table: string) => Number((await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.table(table)} WHERE tenant_id = ${a.tenantId} AND ticket_id = ${ticketId}`.execute(tx.db)).rows[0]!.n);
    const out: Record<string, number> = {};
    for (const table of ["ticket_comments", "ticket_audits", "ticket_ccs", "attachments", "search_documents", "inbound_messages", "suspended_tickets", "undelivered_mail", "consent_records"]) out[table] = await n(table);
    out.search_postings = Number((await sql<{ n: string }>`SELECT count(*) AS n FROM search_postings WHERE tenant_id = ${a.tenantId} AND nice_id = ${ticket.nice}`.execute(tx.db)).rows[0]!.n);
    out.search_pairs = Number((await sql<{ n: string }>`SELECT count(*) AS n FROM search_pair_sets WHERE tenant_id = ${a.tenantId} AND nice_id = ${ticket.nice}`.execute(tx.db)).rows[0]!.n);
    out.tickets = Number((await sql<{ n: string }>`SELECT count(*) AS n FROM tickets WHERE tenant_id = ${a.tenantId} AND id = ${ticketId}`.execute(tx.db)).rows[0]!.n);
    return out;
  });
}
const internalId = (a: TestTenant, niceId: number) =>
  t.db.tenant(a.tenantId, async (tx) => ({ id: (await sql<{ id: string }>`SELECT id FROM tickets WHERE tenant_id = ${a.tenantId} AND nice_id = ${niceId}`.execute(tx.db)).rows[0]!.id, nice: niceId }));

describe("the trash", () => {
  let a: TestTenant;
  beforeAll(async () => {
    a = await buildTenant(t, "trash");
  });

  it("lists a deleted ticket with who deleted it, and restores it into lists and search", async () => {
    const id = await open(a, "Broken kettle", { status: "open" });
    expect(await searchIds(a, "kettle")).toEqual([id]);
    await remove(a, id);
    expect((await a.api("GET", `/api/v2/tickets/${id}.json`)).status).toBe(404);
    expect(await searchIds(a, "kettle")).toEqual([]);
    const [entry] = (await trash(a)).filter((d) => d.id === id);
    const owner = (await a.api("GET", "/api/v2/users/me.json")).body.user;
    expect(entry).toMatchObject({ id, subject: "Broken kettle", description: "About the broken kettle", previous_state: "open", actor: { id: owner.id, name: owner.name } });
    expect(Date.parse(entry!.deleted_at)).toBeGreaterThan(Date.now() - 60_000);

    expect((await a.api("PUT", `/api/v2/deleted_tickets/${id}/restore.json`)).status).toBe(204);
    expect((await a.api("GET", `/api/v2/tickets/${id}.json`)).body.ticket).toMatchObject({ id, subject: "Broken kettle", status: "open" });
    expect(await searchIds(a, "kettle")).toEqual([id]);
    expect(await searchIds(a, '"broken kettle"')).toEqual([id]);
    expect((await trash(a)).map((d) => d.id)).not.toContain(id);
    // Restoring what is not in the trash (any more) is 404.
    expect((await a.api("PUT", `/api/v2/deleted_tickets/${id}/restore.json`)).status).toBe(404);
    const logs = (await a.api("GET", "/api/v2/audit_logs.json")).body.audit_logs as Json[];
    expect(logs.some((l) => l.action === "ticket.restored" && String(l.source_id) === String(id))).toBe(true);
  });

  it("deletes for good: every row about the ticket and its files, audited; restore_many and destroy_many are all or nothing", async () => {
    const id = await open(a, "Leaking roof");
    const cc = await buildUser(t, a, "end-user", "Copied Person");
    expect((await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: "Internal: call the roofer", public: false }, collaborator_ids: [cc.id] } })).status).toBe(200);
    const ticketId = await internalId(a, id);
    const before = await rowsAbout(a, ticketId);
    expect(before).toMatchObject({ tickets: 1, ticket_comments: 2, ticket_audits: 2, ticket_ccs: 1 });
    expect(before.search_postings).toBeGreaterThan(0);
    expect(before.search_pairs).toBeGreaterThan(0);
    await remove(a, id);
    const other = await open(a, "Second ticket");
    await remove(a, other);

    // All or nothing: one id not in the trash refuses the lot.
    expect((await a.api("DELETE", `/api/v2/deleted_tickets/destroy_many.json?ids=${id},999999`)).status).toBe(404);
    expect((await trash(a)).map((d) => d.id)).toEqual(expect.arrayContaining([id, other]));
    expect((await a.api("PUT", `/api/v2/deleted_tickets/restore_many.json?ids=${other},999999`)).status).toBe(404);
    expect((await a.api("PUT", `/api/v2/deleted_tickets/restore_many.json?ids=${Array.from({ length: 101 }, (_, i) => i + 1).join(",")}`)).status).toBe(422);

    expect((await a.api("DELETE", `/api/v2/deleted_tickets/${id}.json`)).status).toBe(204);
    expect(Object.values(await rowsAbout(a, ticketId)).every((n) => n === 0)).toBe(true);
    expect((await trash(a)).map((d) => d.id)).not.toContain(id);
    expect((await a.api("GET", `/api/v2/tickets/${id}.json`)).status).toBe(404);
    expect((await a.api("DELETE", `/api/v2/deleted_tickets/${id}.json`)).status).toBe(404);
    const logs = (await a.api("GET", "/api/v2/audit_logs.json")).body.audit_logs as Json[];
    expect(logs.some((l) => l.action === "ticket.purged" && String(l.source_id) === String(id))).toBe(true);
    // The chain still verifies with the ticket gone.
    const verified = await a.api("GET", "/api/v2/audit_logs/verification.json");
    expect(verified.body.verification, verified.text).toMatchObject({ verified: true, first_broken_id: null });

    expect((await a.api("PUT", `/api/v2/deleted_tickets/restore_many.json?ids=${other}`)).status).toBe(204);
    expect((await a.api("GET", `/api/v2/tickets/${other}.json`)).status).toBe(200);
  });

  it("deletes many for good at once: each one's rows and search entries gone and each audited, a ticket outside the batch untouched", async () => {
    const a = await buildTenant(t, "trmany");
    const cc = await buildUser(t, a, "end-user", "Copied Person");
    const ids: number[] = [];
    for (let i = 0; i < 6; i++) {
      const id = await open(a, `Batch ticket ${i}`);
      expect((await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: `Internal note ${i}`, public: false }, collaborator_ids: [cc.id] } })).status).toBe(200);
      ids.push(id);
    }
    const kept = await open(a, "Kept ticket");
    const internal = await Promise.all(ids.map((id) => internalId(a, id)));
    const keptRows = await rowsAbout(a, await internalId(a, kept));
    for (const id of ids) await remove(a, id);
    expect((await a.api("DELETE", `/api/v2/deleted_tickets/destroy_many.json?ids=${ids.join(",")}`)).status).toBe(204);
    for (const [i, ticketId] of internal.entries()) expect(await rowsAbout(a, ticketId), `ticket ${ids[i]}`).toMatchObject(Object.fromEntries(Object.keys(keptRows).map((k) => [k, 0])));
    expect(await rowsAbout(a, await internalId(a, kept))).toEqual(keptRows);
    const purged = ((await a.api("GET", "/api/v2/audit_logs.json?filter[action]=ticket.purged")).body.audit_logs as Json[]).map((l) => Number(l.source_id));
    expect(purged.sort((x, y) => x - y)).toEqual([...ids].sort((x, y) => x - y));
    expect((await a.api("GET", "/api/v2/search.json?query=Batch")).body.results).toEqual([]);
  });

  it("purges across chunk boundaries: 5 tickets 2 at a time leave no row and 5 audit entries", async () => {
    const a = await buildTenant(t, "trchunk");
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) ids.push(await open(a, `Chunked ticket ${i}`));
    const kept = await open(a, "Kept ticket");
    const keptRows = await rowsAbout(a, await internalId(a, kept));
    expect(keptRows.search_postings).toBeGreaterThan(0);
    expect(keptRows.search_pairs).toBeGreaterThan(0);
    const internal = await Promise.all(ids.map((id) => internalId(a, id)));
    // Purged straight from the live state: each had its search entries until then.
    for (const x of internal) expect((await rowsAbout(a, x)).search_postings).toBeGreaterThan(0);
    for (const x of internal) expect((await rowsAbout(a, x)).search_pairs).toBeGreaterThan(0);
    await t.db.tenant(a.tenantId, async (tx) => {
      const ctx = makeContext({ tx, sealer: await t.keyring.sealerFor(tx), actor: { kind: "system" }, now: () => new Date(), hooks: t.app.hooks });
      await purgeTickets(ctx, internal.map((x) => ({ id: x.id, nice_id: x.nice })), 2);
    });
    for (const [i, ticketId] of internal.entries()) expect(await rowsAbout(a, ticketId), `ticket ${ids[i]}`).toMatchObject(Object.fromEntries(Object.keys(keptRows).map((k) => [k, 0])));
    expect(await rowsAbout(a, await internalId(a, kept))).toEqual(keptRows);
    const purged = ((await a.api("GET", "/api/v2/audit_logs.json?filter[action]=ticket.purged")).body.audit_logs as Json[]).map((l) => Number(l.source_id));
    expect(purged.sort((x, y) => x - y)).toEqual(ids);
  });

  it("takes the files of a ticket deleted for good", async () => {
    const up = await t.request({ method: "POST", path: "/api/v2/uploads.json?filename=plan.txt", host: a.host, rawBody: Buffer.from("the secret plan"), headers: { "content-type": "application/binary", authorization: `Bearer ${a.ownerToken}` } });
    expect(up.status, up.text).toBe(201);
    const r = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "With a file", comment: { body: "See the file", uploads: [up.body.upload.token] } } });
    expect(r.status, r.text).toBe(201);
    const id = r.body.ticket.id as number;
    const dir = path.join(t.config.blobDir, a.tenantId, "attachments");
    const [att] = (await a.api("GET", `/api/v2/tickets/${id}/comments.json`)).body.comments[0].attachments as Json[];
    const filesBefore = fs.readdirSync(dir);
    await remove(a, id);
    expect((await a.api("DELETE", `/api/v2/deleted_tickets/destroy_many.json?ids=${id}`)).status).toBe(204);
    const filesAfter = fs.readdirSync(dir);
    expect(filesAfter.length).toBe(filesBefore.length - 1);
    expect((await a.api("GET", `/api/v2/attachments/${att!.id}.json`)).status).toBe(404);
  });

  it(`deletes for good what stayed in the trash for more than ${TRASH_DAYS} days`, async () => {
    const id = await open(a, "Old news");
    await remove(a, id);
    const ticketId = await internalId(a, id);
    const deps = { db: t.db, keyring: t.keyring, blobs: createBlobStore(t.config), hooks: t.app.hooks };
    await purgeExpiredTrash(deps, new Date(Date.now() + (TRASH_DAYS - 1) * 86_400_000));
    expect((await trash(a)).map((d) => d.id)).toContain(id);
    await purgeExpiredTrash(deps, new Date(Date.now() + (TRASH_DAYS + 1) * 86_400_000));
    expect((await trash(a)).map((d) => d.id)).not.toContain(id);
    expect((await rowsAbout(a, ticketId)).tickets).toBe(0);
  });

  it("is for roles that may delete tickets, within their ticket access, and never another tenant's", async () => {
    const light = await buildUser(t, a, "light-agent", "Light");
    const lightAs = { email: light.email, token: light.token! };
    expect((await a.api("GET", "/api/v2/deleted_tickets.json", undefined, lightAs)).status).toBe(403);

    const roleR = await a.api("POST", "/api/v2/custom_roles.json", { custom_role: { name: "Group deleter", configuration: { ticket_access: "within-groups", ticket_deletion: true } } });
    expect(roleR.status, roleR.text).toBe(201);
    const agent = await buildUser(t, a, "agent", "Grouped");
    expect((await a.api("PUT", `/api/v2/users/${agent.id}.json`, { user: { custom_role_id: roleR.body.custom_role.id } })).status).toBe(200);
    const { createTokenFor } = await import("./support/harness.ts");
    const agentAs = { email: agent.email, token: await createTokenFor(t, a, agent.id) };
    const g = await a.api("POST", "/api/v2/groups.json", { group: { name: "Mine" } });
    await a.api("POST", "/api/v2/group_memberships.json", { group_membership: { user_id: agent.id, group_id: g.body.group.id } });
    const mine = await open(a, "In my group", { group_id: g.body.group.id });
    const theirs = await open(a, "Not my group");
    await remove(a, mine);
    await remove(a, theirs);
    const seen = (await trash(a, agentAs)).map((d) => d.id);
    expect(seen).toContain(mine);
    expect(seen).not.toContain(theirs);
    expect((await a.api("PUT", `/api/v2/deleted_tickets/${theirs}/restore.json`, undefined, agentAs)).status).toBe(404);
    expect((await a.api("DELETE", `/api/v2/deleted_tickets/${theirs}.json`, undefined, agentAs)).status).toBe(404);
    expect((await a.api("PUT", `/api/v2/deleted_tickets/${mine}/restore.json`, undefined, agentAs)).status).toBe(204);

    const b = await buildTenant(t, "trashb");
    expect((await b.api("PUT", `/api/v2/deleted_tickets/${theirs}/restore.json`)).status).toBe(404);
    expect((await b.api("DELETE", `/api/v2/deleted_tickets/${theirs}.json`)).status).toBe(404);
    expect((await trash(b)).map((d) => d.id)).not.toContain(theirs);
    expect((await trash(a)).map((d) => d.id)).toContain(theirs);
  });
});
