import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runRetention } from "../src/modules/privacy/privacy-service.ts";
import { purgeExpiredTrash } from "../src/modules/tickets/trash-service.ts";
import { createBlobStore } from "../src/platform/blobs/index.ts";
import { takeTurn } from "../src/platform/jobs/jobs-repo.ts";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";

/**
 * Legal holds and the retention policy over real HTTP, with the app's clock moved on: a hold on a
 * ticket, a person or an organization keeps the trash's purge and retention runs away; the policy
 * moves old solved tickets to the trash (not excluded tags, not held ones), its preview says which
 * first; admins only; shared upkeep runs once per period whatever the number of processes.
 */

let offsetMs = 0;
const now = () => new Date(Date.now() + offsetMs);
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ now });
});
afterAll(async () => t?.close());

type Json = Record<string, any>;
const DAY = 86_400_000;
const deps = () => ({ db: t.db, keyring: t.keyring, blobs: createBlobStore(t.config), hooks: t.app.hooks });

async function open(a: TestTenant, subject: string, extra: Record<string, unknown> = {}): Promise<number> {
  const r = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject, comment: { body: subject }, ...extra } });
  expect(r.status, r.text).toBe(201);
  return r.body.ticket.id as number;
}
const solve = async (a: TestTenant, id: number) => expect((await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { status: "solved" } })).status).toBe(200);
const hold = (a: TestTenant, target_type: string, target_id: number, reason = "Litigation 2026-17") => a.api("POST", "/api/v2/legal_holds.json", { legal_hold: { target_type, target_id, reason } });
const trashIds = async (a: TestTenant) => ((await a.api("GET", "/api/v2/deleted_tickets.json?per_page=100")).body.deleted_tickets as Json[]).map((d) => d.id);
const exists = async (a: TestTenant, id: number) => (await a.api("GET", `/api/v2/tickets/${id}.json`)).status === 200;

describe("legal holds", () => {
  let a: TestTenant;
  beforeAll(async () => {
    a = await buildTenant(t, "holds");
  });

  it("are created, listed, released and audited by admins; refused to agents; another tenant's are 404", async () => {
    const id = await open(a, "Contract dispute");
    const created = await hold(a, "ticket", id, "Dispute with Example Ltd");
    expect(created.status, created.text).toBe(201);
    const h = created.body.legal_hold;
    const owner = (await a.api("GET", "/api/v2/users/me.json")).body.user;
    expect(h).toMatchObject({ target_type: "ticket", target_id: id, reason: "Dispute with Example Ltd", active: true, created_by_id: owner.id, released_at: null });
    expect((await hold(a, "ticket", id)).status).toBe(422); // already held
    expect((await hold(a, "ticket", 999_999)).status).toBe(422);
    expect((await hold(a, "user", 999_999)).status).toBe(422);
    expect((await hold(a, "organization", 999_999)).status).toBe(422);
    expect((await hold(a, "group", 1)).status).toBe(422);
    expect((await hold(a, "ticket", id, "   ")).status).toBe(422);

    const agent = await buildUser(t, a, "agent", "Agent");
    const agentAs = { email: agent.email, token: agent.token! };
    expect((await a.api("GET", "/api/v2/legal_holds.json", undefined, agentAs)).status).toBe(403);
    expect((await a.api("POST", "/api/v2/legal_holds.json", { legal_hold: { target_type: "ticket", target_id: id, reason: "x" } }, agentAs)).status).toBe(403);
    expect((await a.api("PUT", `/api/v2/legal_holds/${h.id}/release.json`, undefined, agentAs)).status).toBe(403);

    const b = await buildTenant(t, "holdsb");
    expect((await b.api("GET", `/api/v2/legal_holds/${h.id}.json`)).status).toBe(404);
    expect((await b.api("PUT", `/api/v2/legal_holds/${h.id}/release.json`)).status).toBe(404);
    expect((await hold(b, "ticket", id)).status).toBe(422); // A's ticket is no ticket of B's

    expect(((await a.api("GET", "/api/v2/legal_holds.json?active=true")).body.legal_holds as Json[]).map((x) => x.id)).toContain(h.id);
    const released = await a.api("PUT", `/api/v2/legal_holds/${h.id}/release.json`);
    expect(released.body.legal_hold).toMatchObject({ id: h.id, active: false, released_by_id: owner.id });
    expect(((await a.api("GET", "/api/v2/legal_holds.json?active=true")).body.legal_holds as Json[]).map((x) => x.id)).not.toContain(h.id);
    expect(((await a.api("GET", "/api/v2/legal_holds.json")).body.legal_holds as Json[]).map((x) => x.id)).toContain(h.id);
    // Releasing again changes nothing; a new hold on the same ticket is allowed.
    expect((await a.api("PUT", `/api/v2/legal_holds/${h.id}/release.json`)).body.legal_hold.released_at).toBe(released.body.legal_hold.released_at);
    expect((await hold(a, "ticket", id)).status).toBe(201);
    const actions = ((await a.api("GET", "/api/v2/audit_logs.json?per_page=100")).body.audit_logs as Json[]).map((l) => l.action);
    expect(actions).toEqual(expect.arrayContaining(["legal_hold.created", "legal_hold.released"]));
  });

  it("keep a held ticket, a held person's requests and a held organization's tickets in the trash until released", async () => {
    const person = await buildUser(t, a, "end-user", "Held Person");
    const org = (await a.api("POST", "/api/v2/organizations.json", { organization: { name: "Held Org" } })).body.organization;
    const plain = await open(a, "Plain");
    const byTicket = await open(a, "Held itself");
    const byPerson = await open(a, "Their request", { requester_id: person.id });
    const byOrg = await open(a, "Org ticket", { organization_id: org.id });
    for (const [kind, target] of [["ticket", byTicket], ["user", person.id], ["organization", org.id]] as const) expect((await hold(a, kind, target)).status).toBe(201);
    for (const id of [plain, byTicket, byPerson, byOrg]) expect((await a.api("DELETE", `/api/v2/tickets/${id}.json`)).status).toBe(204);

    // Deleting a held ticket for good is refused; the unheld one goes.
    const refused = await a.api("DELETE", `/api/v2/deleted_tickets/${byPerson}.json`);
    expect(refused.status).toBe(409);
    expect(refused.body.description).toMatch(/legal hold/);
    expect((await a.api("DELETE", `/api/v2/deleted_tickets/destroy_many.json?ids=${plain},${byOrg}`)).status).toBe(409);
    expect(await trashIds(a)).toEqual(expect.arrayContaining([plain, byTicket, byPerson, byOrg]));

    // The trash's upkeep, 31 days on: the unheld ticket goes, the held ones stay.
    await purgeExpiredTrash(deps(), new Date(Date.now() + 31 * DAY));
    const left = await trashIds(a);
    expect(left).not.toContain(plain);
    expect(left).toEqual(expect.arrayContaining([byTicket, byPerson, byOrg]));

    // Released: they go at the next run.
    const active = (await a.api("GET", "/api/v2/legal_holds.json?active=true&per_page=100")).body.legal_holds as Json[];
    for (const h of active) expect((await a.api("PUT", `/api/v2/legal_holds/${h.id}/release.json`)).status).toBe(200);
    await purgeExpiredTrash(deps(), new Date(Date.now() + 31 * DAY));
    expect(await trashIds(a)).toEqual([]);
  });
});

describe("the retention policy", () => {
  let a: TestTenant;
  beforeAll(async () => {
    a = await buildTenant(t, "retain");
  });
  afterAll(() => {
    offsetMs = 0;
  });

  it("previews, then moves solved tickets older than its days to the trash, except excluded tags and held tickets; admins only", async () => {
    expect((await a.api("GET", "/api/v2/retention_policy.json")).body.retention_policy).toEqual({ enabled: false, solved_days: 365, excluded_tags: [], trash_days: 30, audit_hot_days: 90, audit_purge_days: 30, last_run_at: null });
    const agent = await buildUser(t, a, "agent", "Agent");
    expect((await a.api("GET", "/api/v2/retention_policy.json", undefined, { email: agent.email, token: agent.token! })).status).toBe(403);
    expect((await a.api("PUT", "/api/v2/retention_policy.json", { retention_policy: { solved_days: 0 } })).status).toBe(422);
    expect((await a.api("PUT", "/api/v2/retention_policy.json", { retention_policy: { trash_days: 366 } })).status).toBe(422);

    const old = await open(a, "Old solved");
    const keep = await open(a, "Old but kept", { tags: ["contract"] });
    const held = await open(a, "Old but held");
    const openOne = await open(a, "Still open");
    for (const id of [old, keep, held]) await solve(a, id);
    expect((await hold(a, "ticket", held)).status).toBe(201);

    offsetMs = 100 * DAY;
    const fresh = await open(a, "Recently solved");
    await solve(a, fresh);
    offsetMs = 400 * DAY;

    const saved = await a.api("PUT", "/api/v2/retention_policy.json", { retention_policy: { solved_days: 365, excluded_tags: ["Contract"], trash_days: 7 } });
    expect(saved.status, saved.text).toBe(200);
    expect(saved.body.retention_policy).toMatchObject({ enabled: false, solved_days: 365, excluded_tags: ["contract"], trash_days: 7 });

    const preview = await a.api("GET", "/api/v2/retention_policy/preview.json");
    expect(preview.status, preview.text).toBe(200);
    expect(preview.body).toMatchObject({ count: 1, count_capped: false });
    expect(preview.body.tickets.map((x: Json) => x.id)).toEqual([old]);
    expect(preview.body.tickets[0]).toMatchObject({ subject: "Old solved", status: "solved" });
    // Overrides: a shorter period and no excluded tags.
    const wider = await a.api("GET", "/api/v2/retention_policy/preview.json?solved_days=30&excluded_tags=");
    expect(wider.body.tickets.map((x: Json) => x.id).sort((x: number, y: number) => x - y)).toEqual([old, keep, fresh].sort((x, y) => x - y));
    expect((await a.api("GET", "/api/v2/retention_policy/preview.json?solved_days=abc")).status).toBe(422);
    expect((await a.api("GET", "/api/v2/retention_policy/preview.json?excluded_tags=a%20b")).status).toBe(422);

    // Off: a run changes nothing.
    await runRetention(deps(), now());
    expect(await exists(a, old)).toBe(true);

    expect((await a.api("PUT", "/api/v2/retention_policy.json", { retention_policy: { enabled: true } })).status).toBe(200);
    await runRetention(deps(), now());
    expect(await exists(a, old)).toBe(false);
    for (const id of [keep, held, openOne, fresh]) expect(await exists(a, id), `ticket ${id}`).toBe(true);
    const [entry] = ((await a.api("GET", "/api/v2/deleted_tickets.json")).body.deleted_tickets as Json[]).filter((d) => d.id === old);
    expect(entry).toMatchObject({ actor: null, previous_state: "solved" });
    expect((await a.api("GET", "/api/v2/retention_policy.json")).body.retention_policy.last_run_at).not.toBeNull();
    const actions = ((await a.api("GET", "/api/v2/audit_logs.json?per_page=100")).body.audit_logs as Json[]).map((l) => l.action);
    expect(actions).toEqual(expect.arrayContaining(["retention_policy.updated", "retention.ran", "ticket.deleted"]));

    // The policy's trash days: gone for good after 7 days, not after 6.
    await purgeExpiredTrash(deps(), new Date(now().getTime() + 6 * DAY));
    expect(await trashIds(a)).toContain(old);
    await purgeExpiredTrash(deps(), new Date(now().getTime() + 8 * DAY));
    expect(await trashIds(a)).not.toContain(old);
  });

  it("runs shared upkeep once per period across processes", async () => {
    const name = `test.turn${Date.now()}`;
    const at = new Date("2030-01-01T00:00:00Z");
    const take = (when: Date) => t.db.system((c) => takeTurn(c, name, 3_600_000, when));
    const both = await Promise.all([take(at), take(at)]);
    expect(both.filter(Boolean)).toHaveLength(1);
    expect(await take(new Date(at.getTime() + 59 * 60_000))).toBe(false);
    expect(await take(new Date(at.getTime() + 60 * 60_000))).toBe(true);
  });
});
