import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, buildUser, type TestApp, type TestTenant, startTestApp, waitForJob } from "./support/harness.ts";
import { asSession, PASSWORD, signIn, staffWithPassword } from "./support/people.ts";

/**
 * Field permissions: a custom ticket field can be hidden or read-only for a role, and visible or
 * editable to end users. A hidden field is absent from every answer the role gets (ticket, lists,
 * search, show_many, audits, field definitions, job results); writing it answers like a missing
 * field (422); writing a read-only one answers 403 naming it. End users see portal fields in the
 * requests API and their personal-data export, and set only editable ones on a new request.
 */

let t: TestApp;
let a: TestTenant;
let b: TestTenant;
beforeAll(async () => {
  t = await startTestApp();
  a = await buildTenant(t, "fp");
  b = await buildTenant(t, "fpb");
});
afterAll(async () => t?.close());

type As = { email: string; token: string };
const as = (u: { email: string; token: string | undefined }): As => ({ email: u.email, token: u.token! });
// From an address of its own: the request form's per-address limit counts the signed-in posts apart.
const anon = (tenant: TestTenant, method: string, path: string, body?: unknown) =>
  t.request({ method, path, host: tenant.host, body, headers: body === undefined ? {} : { "content-type": "application/json" }, localAddress: "127.0.0.7" });
const fieldIds = (list: Array<{ id: number }>) => list.map((f) => f.id);
const valueOf = (ticket: { custom_fields: Array<{ id: number; value: unknown }> }, id: number) => ticket.custom_fields.find((f) => f.id === id);

async function field(tenant: TestTenant, body: Record<string, unknown>): Promise<number> {
  const r = await tenant.api("POST", "/api/v2/ticket_fields.json", { ticket_field: body });
  expect(r.status, r.text).toBe(201);
  return r.body.ticket_field.id as number;
}

describe("field permissions", () => {
  let plan: number; // visible and editable to end users
  let risk: number; // read-only for agents (preset 2), hidden from light agents and Tier 1
  let code: number; // staff only
  let tier1: number;
  let ticket: number;
  let agent: As;
  let light: As;
  let restricted: As & { id: number };
  let endUser: { id: number; email: string };

  beforeAll(async () => {
    const role = await a.api("POST", "/api/v2/custom_roles.json", { custom_role: { name: "Tier 1", configuration: { ticket_access: "all" } } });
    expect(role.status, role.text).toBe(201);
    tier1 = role.body.custom_role.id;
    plan = await field(a, { type: "tagger", title: "Plan", custom_field_options: [{ name: "Gold", value: "gold" }, { name: "Free", value: "free" }], visible_in_portal: true, editable_in_portal: true });
    risk = await field(a, { type: "number", title: "Risk score", permissions: [{ role_id: 2, access: "read_only" }, { role_id: 3, access: "hidden" }, { role_id: tier1, access: "hidden" }] });
    code = await field(a, { type: "text", title: "Internal code" });
    agent = as(await buildUser(t, a, "agent", "Agent Ada"));
    light = as(await buildUser(t, a, "light-agent", "Light Lou"));
    const r = await buildUser(t, a, "agent", "Tier Tim");
    expect((await a.api("PUT", `/api/v2/users/${r.id}.json`, { user: { custom_role_id: tier1 } })).status).toBe(200);
    // A role change ends the person's tokens: a new one carries the role.
    const { createTokenFor } = await import("./support/harness.ts");
    restricted = { email: r.email, token: await createTokenFor(t, a, r.id), id: r.id };
    endUser = await buildUser(t, a, "end-user", "Eve Customer");
    const created = await a.api("POST", "/api/v2/tickets.json", {
      ticket: { subject: "Fields", comment: { body: "Body" }, requester_id: endUser.id, custom_fields: [{ id: plan, value: "gold" }, { id: risk, value: 7 }, { id: code, value: "X-1" }] },
    });
    expect(created.status, created.text).toBe(201);
    ticket = created.body.ticket.id;
  });

  it("validates permissions and portal settings; admins only; changes audited", async () => {
    const bad = async (body: Record<string, unknown>) => (await a.api("POST", "/api/v2/ticket_fields.json", { ticket_field: { type: "text", title: "Bad", ...body } })).status;
    expect(await bad({ permissions: [{ role_id: 1, access: "hidden" }] })).toBe(422);
    expect(await bad({ permissions: [{ role_id: 2, access: "hidden" }, { role_id: 2, access: "read_only" }] })).toBe(422);
    expect(await bad({ permissions: [{ role_id: 999, access: "hidden" }] })).toBe(422);
    expect(await bad({ permissions: [{ role_id: 2, access: "secret" }] })).toBe(422);
    expect(await bad({ visible_in_portal: false, editable_in_portal: true })).toBe(422);
    // Another tenant's custom role is not one of this tenant's.
    let theirs = 0;
    for (const name of ["Elsewhere 1", "Elsewhere 2", "Elsewhere 3"]) {
      const other = await b.api("POST", "/api/v2/custom_roles.json", { custom_role: { name } });
      expect(other.status).toBe(201);
      theirs = other.body.custom_role.id as number;
    }
    const mine = await a.api("GET", "/api/v2/custom_roles.json");
    expect(mine.body.custom_roles.map((r: { id: number }) => r.id)).not.toContain(theirs);
    expect(await bad({ permissions: [{ role_id: theirs, access: "hidden" }] })).toBe(422);

    const shown = await a.api("GET", `/api/v2/ticket_fields/${risk}.json`);
    expect(shown.body.ticket_field).toMatchObject({ visible_in_portal: false, editable_in_portal: false, access: "edit" });
    expect(shown.body.ticket_field.permissions).toEqual([{ role_id: 2, access: "read_only" }, { role_id: 3, access: "hidden" }, { role_id: tier1, access: "hidden" }].sort((x, y) => x.role_id - y.role_id));
    // Agents may not change them.
    expect((await a.api("PUT", `/api/v2/ticket_fields/${risk}.json`, { ticket_field: { permissions: [] } }, agent)).status).toBe(403);
    // A change of permissions is audited as such; an unchanged list is not a change.
    const scratch = await field(a, { type: "checkbox", title: "Scratch" });
    expect((await a.api("PUT", `/api/v2/ticket_fields/${scratch}.json`, { ticket_field: { permissions: [{ role_id: 3, access: "read_only" }], editable_in_portal: true } })).body.ticket_field).toMatchObject({ visible_in_portal: true, editable_in_portal: true });
    expect((await a.api("PUT", `/api/v2/ticket_fields/${scratch}.json`, { ticket_field: { visible_in_portal: false } })).body.ticket_field).toMatchObject({ visible_in_portal: false, editable_in_portal: false });
    const log = await a.api("GET", "/api/v2/audit_logs.json?filter[action]=ticket_field.updated");
    const entries = log.body.audit_logs.filter((e: { source_id: number }) => String(e.source_id) === String(scratch));
    expect(entries.length).toBe(2);
    expect(JSON.stringify(entries)).toContain("permissions");
    expect((await a.api("DELETE", `/api/v2/ticket_fields/${scratch}.json`)).status).toBe(204);
  });

  it("shows an agent a read-only field and refuses a change of it with the field named", async () => {
    const shown = await a.api("GET", `/api/v2/tickets/${ticket}.json`, undefined, agent);
    expect(valueOf(shown.body.ticket, risk)?.value).toBe(7);
    const defs = await a.api("GET", "/api/v2/ticket_fields.json", undefined, agent);
    expect(defs.body.ticket_fields.find((f: { id: number }) => f.id === risk)).toMatchObject({ access: "read", permissions: [] });
    expect(defs.body.ticket_fields.find((f: { id: number }) => f.id === code)).toMatchObject({ access: "edit" });

    const refused = await a.api("PUT", `/api/v2/tickets/${ticket}.json`, { ticket: { custom_fields: [{ id: risk, value: 1 }], priority: "high" } }, agent);
    expect(refused.status, refused.text).toBe(403);
    expect(refused.body.details[`custom_fields.${risk}`][0].error).toBe("ReadOnly");
    expect(refused.body.description).toContain("Risk score");
    // Nothing of the refused update was written.
    const after = (await a.api("GET", `/api/v2/tickets/${ticket}.json`)).body.ticket;
    expect(valueOf(after, risk)?.value).toBe(7);
    expect(after.priority).toBeNull();
    // Sending the field back unchanged (as clients do) is not a change; other fields are written.
    const same = await a.api("PUT", `/api/v2/tickets/${ticket}.json`, { ticket: { custom_fields: [{ id: risk, value: 7 }, { id: code, value: "X-2" }] } }, agent);
    expect(same.status, same.text).toBe(200);
    expect(valueOf(same.body.ticket, code)?.value).toBe("X-2");
    // The admin may change it.
    expect((await a.api("PUT", `/api/v2/tickets/${ticket}.json`, { ticket: { custom_fields: [{ id: risk, value: 8 }] } })).status).toBe(200);
  });

  it("leaves a hidden field out of every answer to the role, and refuses writing it like a missing field", async () => {
    for (const who of [restricted, light]) {
      const shown = await a.api("GET", `/api/v2/tickets/${ticket}.json`, undefined, who);
      expect(shown.status, shown.text).toBe(200);
      expect(fieldIds(shown.body.ticket.custom_fields)).not.toContain(risk);
      expect(fieldIds(shown.body.ticket.fields)).not.toContain(risk);
      expect(fieldIds(shown.body.ticket.custom_fields)).toContain(code);
      const many = await a.api("GET", `/api/v2/tickets/show_many.json?ids=${ticket}`, undefined, who);
      expect(fieldIds(many.body.tickets[0].custom_fields)).not.toContain(risk);
      const list = await a.api("GET", "/api/v2/tickets.json?per_page=100", undefined, who);
      for (const tk of list.body.tickets) expect(fieldIds(tk.custom_fields)).not.toContain(risk);
      const search = await a.api("GET", `/api/v2/search.json?query=${encodeURIComponent("type:ticket")}`, undefined, who);
      expect(search.body.results.length).toBeGreaterThan(0);
      for (const r of search.body.results) expect(fieldIds(r.custom_fields)).not.toContain(risk);
      const defs = await a.api("GET", "/api/v2/ticket_fields.json", undefined, who);
      expect(fieldIds(defs.body.ticket_fields)).not.toContain(risk);
      expect((await a.api("GET", `/api/v2/ticket_fields/${risk}.json`, undefined, who)).status).toBe(404);
      // The admin's change of it (above) is not in the ticket's history for them.
      const audits = await a.api("GET", `/api/v2/tickets/${ticket}/audits.json`, undefined, who);
      const names = audits.body.audits.flatMap((x: { events: Array<{ field_name?: string }> }) => x.events.map((e) => e.field_name));
      expect(names).not.toContain(String(risk));
      expect(names).toContain(String(code));
      expect(JSON.stringify(audits.body)).not.toMatch(/"value":8\b/);
    }
    // The owner's history has it.
    const all = await a.api("GET", `/api/v2/tickets/${ticket}/audits.json`);
    expect(all.body.audits.flatMap((x: { events: Array<{ field_name?: string }> }) => x.events.map((e) => e.field_name))).toContain(String(risk));

    const write = await a.api("PUT", `/api/v2/tickets/${ticket}.json`, { ticket: { custom_fields: [{ id: risk, value: 1 }] } }, restricted);
    expect(write.status, write.text).toBe(422);
    expect(write.body.details[`custom_fields.${risk}`][0].description).toBe("is not an active ticket field");
    const create = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Mine", comment: { body: "x" }, custom_fields: [{ id: risk, value: 1 }] } }, restricted);
    expect(create.status).toBe(422);
    // An update the role makes answers without the hidden field or its change.
    const upd = await a.api("PUT", `/api/v2/tickets/${ticket}.json`, { ticket: { custom_fields: [{ id: code, value: "X-3" }] } }, restricted);
    expect(upd.status, upd.text).toBe(200);
    expect(fieldIds(upd.body.ticket.custom_fields)).not.toContain(risk);

    // A bulk update by the role that names the field fails for each ticket when the job runs.
    const job = await a.api("PUT", `/api/v2/tickets/update_many.json?ids=${ticket}`, { ticket: { custom_fields: [{ id: risk, value: 2 }] } }, restricted);
    expect(job.status, job.text).toBe(200);
    const done = await waitForJob(a, job.body.job_status.id, restricted);
    expect(done.results[0]).toMatchObject({ id: ticket, success: false });
    expect(JSON.stringify(done)).not.toContain("Risk score");
    expect(valueOf((await a.api("GET", `/api/v2/tickets/${ticket}.json`)).body.ticket, risk)?.value).toBe(8);
  });

  it("reads the role from a session as from a token, and follows a change of the role's field at once", async () => {
    const staff = await staffWithPassword(t, a, "agent");
    // The role change ends the invitation's session: sign in again as the role.
    expect((await a.api("PUT", `/api/v2/users/${staff.id}.json`, { user: { custom_role_id: tier1 } })).status).toBe(200);
    const s = await signIn(t, a, staff.email, PASSWORD);
    const shown = await asSession(t, a, s, "GET", `/api/v2/tickets/${ticket}.json`);
    expect(shown.status, shown.text).toBe(200);
    expect(fieldIds(shown.body.ticket.custom_fields)).not.toContain(risk);
    expect((await a.api("PUT", `/api/v2/ticket_fields/${risk}.json`, { ticket_field: { permissions: [{ role_id: 2, access: "read_only" }, { role_id: 3, access: "hidden" }] } })).status).toBe(200);
    expect(valueOf((await a.api("GET", `/api/v2/tickets/${ticket}.json`, undefined, restricted)).body.ticket, risk)?.value).toBe(8);
    expect(valueOf((await asSession(t, a, s, "GET", `/api/v2/tickets/${ticket}.json`)).body.ticket, risk)?.value).toBe(8);
    expect((await a.api("PUT", `/api/v2/ticket_fields/${risk}.json`, { ticket_field: { permissions: [{ role_id: 2, access: "read_only" }, { role_id: 3, access: "hidden" }, { role_id: tier1, access: "hidden" }] } })).status).toBe(200);
    expect(valueOf((await a.api("GET", `/api/v2/tickets/${ticket}.json`, undefined, restricted)).body.ticket, risk)).toBeUndefined();
  });

  it("shows end users the portal fields only, and lets them set editable ones on a new request", async () => {
    await a.api("PUT", "/api/v2/password_settings.json", { password_settings: { admins_set_end_user_passwords: true } });
    const password = "End user field passphrase 3";
    expect((await a.api("POST", `/api/v2/users/${endUser.id}/password.json`, { password })).status).toBe(204);
    const first = await signIn(t, a, endUser.email, password);
    expect((await asSession(t, a, first, "PUT", "/api/v2/users/me/password.json", { previous_password: password, password: `${password} mine` })).status).toBe(204);
    const me = await signIn(t, a, endUser.email, `${password} mine`);

    const req = await asSession(t, a, me, "GET", `/api/v2/requests/${ticket}.json`);
    expect(req.status, req.text).toBe(200);
    expect(req.body.request.custom_fields).toEqual([{ id: plan, value: "gold" }]);
    const defs = await asSession(t, a, me, "GET", "/api/v2/ticket_fields.json");
    expect(defs.status, defs.text).toBe(200);
    expect(defs.body.ticket_fields.map((f: { id: number; access: string }) => [f.id, f.access])).toEqual([[plan, "edit"]]);
    expect((await asSession(t, a, me, "GET", `/api/v2/ticket_fields/${code}.json`)).status).toBe(404);
    // Tickets stay the staff's API.
    expect((await asSession(t, a, me, "GET", `/api/v2/tickets/${ticket}.json`)).status).toBe(403);

    // The form (also before sign-in) offers the editable fields.
    const hc = await anon(a, "GET", "/api/v2/help_center.json");
    expect(hc.body.help_center.request_fields.map((f: { id: number; title: string }) => [f.id, f.title])).toEqual([[plan, "Plan"]]);

    const made = await asSession(t, a, me, "POST", "/api/v2/requests.json", { request: { subject: "With a plan", comment: { body: "Hello" }, custom_fields: [{ id: plan, value: "free" }] } });
    expect(made.status, made.text).toBe(201);
    expect(made.body.request.custom_fields).toEqual([{ id: plan, value: "free" }]);
    expect(valueOf((await a.api("GET", `/api/v2/tickets/${made.body.request.id}.json`)).body.ticket, plan)?.value).toBe("free");

    const count = async () => (await a.api("GET", "/api/v2/tickets.json?per_page=1")).body.count as number;
    const before = await count();
    for (const id of [code, risk, 999_999]) {
      const refused = await asSession(t, a, me, "POST", "/api/v2/requests.json", { request: { subject: "Sneaky", comment: { body: "x" }, custom_fields: [{ id, value: "1" }] } });
      expect(refused.status, refused.text).toBe(422);
      expect(refused.body.details[`custom_fields.${id}`][0].description).toBe("is not a field you can fill in");
    }
    const badValue = await anon(a, "POST", "/api/v2/requests.json", { request: { subject: "Anon", comment: { body: "x" }, requester: { name: "Ann On", email: "ann-on@example.test" }, custom_fields: [{ id: plan, value: "platinum" }] } });
    expect(badValue.status).toBe(422);
    expect(await count()).toBe(before);
    const anonOk = await anon(a, "POST", "/api/v2/requests.json", { request: { subject: "Anon", comment: { body: "x" }, requester: { name: "Ann On", email: "ann-on@example.test" }, custom_fields: [{ id: plan, value: "gold" }] } });
    expect(anonOk.status, anonOk.text).toBe(201);

    // The right of access shows the portal fields of each request, no others.
    const pd = await asSession(t, a, me, "GET", "/api/v2/help_center/me/personal_data.json");
    expect(pd.status).toBe(200);
    for (const r of pd.body.personal_data.requests) expect(fieldIds(r.custom_fields)).toEqual([plan]);
    expect(JSON.stringify(pd.body)).not.toContain("X-3");
  });
});
