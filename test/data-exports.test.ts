import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runExportUpkeep } from "../src/modules/exports/exports-service.ts";
import { createOrganization } from "../src/modules/organizations/organizations-service.ts";
import { currentStaffActor } from "../src/modules/users/users-service.ts";
import { makeContext } from "../src/platform/context.ts";
import { createBlobStore } from "../src/platform/blobs/index.ts";
import { buildTenant, buildUser, createTokenFor, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { unzip } from "./support/zip.ts";
import { marker } from "./support/markers.ts";

/**
 * Data exports over real HTTP: a person's ZIP (content, no one else's data, internal notes only in
 * an export run by staff, attachment bytes), the single-use signed link (second use 410), expiry on
 * the app's clock, the file removed from the blob folder, who may see what (404 across people and
 * tenants); a tenant's CSV and JSON exports with chosen fields, a time range and progress.
 */

let offsetMs = 0;
const now = () => new Date(Date.now() + offsetMs);
let t: TestApp;
const sent: Array<{ to: string; subject: string; text: string }> = [];
const mailer = { available: true, send: async (m: { to: string; subject: string; text: string }) => void sent.push(m), close: () => undefined };
beforeAll(async () => {
  process.env.VAULTDESK_EXPORT_BATCH = "100";
  t = await startTestApp({ now, mailer, env: { VAULTDESK_JOB_POLL_SECONDS: "0.1" } });
});
async function mailTo(to: string, needle: string): Promise<{ subject: string; text: string }> {
  for (let i = 0; ; i++) {
    const m = sent.find((x) => x.to === to && x.text.includes(needle));
    if (m) return m;
    if (i > 1000) throw new Error(`no mail to ${to} with ${needle}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
afterAll(async () => {
  delete process.env.VAULTDESK_EXPORT_BATCH;
  await t?.close();
});

type Json = Record<string, any>;
type As = { email: string; token: string };
const HOUR = 3600_000;

/** Follows an export until it has finished (ready, failed). */
async function settled(a: TestTenant, url: string, as?: As, key = "data_export"): Promise<Json> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = await a.api("GET", url, undefined, as);
    expect(r.status, r.text).toBe(200);
    const e = r.body[key] as Json;
    if (e.status !== "queued" && e.status !== "working") return e;
    if (Date.now() > deadline) throw new Error(`export still ${e.status}`);
    await new Promise((res) => setTimeout(res, 25));
  }
}

const pathOf = (url: string) => {
  const u = new URL(url);
  return u.pathname + u.search;
};

const exportsFolder = (a: TestTenant) => path.join(t.config.blobDir, a.tenantId, "exports");
const storedExports = (a: TestTenant) => (fs.existsSync(exportsFolder(a)) ? fs.readdirSync(exportsFolder(a)) : []);
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; !cond(); i++) {
    if (i > 400) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("a person's export", () => {
  let a: TestTenant;
  let pat: { id: number; email: string; token: string };
  let quinn: { id: number; email: string; token: string };
  const FILE = crypto.randomBytes(150_000); // over two sealed segments
  const M = { pub: marker("zqxpublic"), note: marker("zqxinternal"), other: marker("zqxotherperson"), reply: marker("zqxreply") };

  beforeAll(async () => {
    a = await buildTenant(t, "pexp");
    const p = await buildUser(t, a, "end-user", "Pat Person");
    const q = await buildUser(t, a, "end-user", `Quinn ${M.other}`);
    pat = { ...p, token: await createTokenFor(t, a, p.id) };
    quinn = { ...q, token: await createTokenFor(t, a, q.id) };
    const mine = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: `Pat's ${M.pub}`, comment: { body: `Body ${M.pub}` }, requester_id: p.id } });
    expect(mine.status, mine.text).toBe(201);
    const id = mine.body.ticket.id as number;
    expect((await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: `Note ${M.note}`, public: false } } })).status).toBe(200);
    const up = await t.request({ method: "POST", path: "/api/v2/uploads.json?filename=scan%20of%20form.bin", host: a.host, rawBody: FILE, headers: { "content-type": "application/binary", authorization: "Basic " + Buffer.from(`${a.ownerEmail}/token:${a.ownerToken}`).toString("base64") } });
    expect(up.status, up.text).toBe(201);
    expect((await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: `Reply ${M.reply}`, uploads: [up.body.upload.token] } } })).status).toBe(200);
    const theirs = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: `Quinn's ${M.other}`, comment: { body: `Body ${M.other}` }, requester_id: q.id } });
    expect(theirs.status).toBe(201);
  });

  async function download(e: Json, as?: As) {
    return t.request({ method: "GET", path: pathOf(e.download_url), host: a.host, headers: { authorization: "Basic " + Buffer.from(`${as?.email ?? a.ownerEmail}/token:${as?.token ?? a.ownerToken}`).toString("base64") } });
  }

  it("run by an admin: a ZIP with the person's data, internal notes about them, their files; once, then 410 and the file is gone", async () => {
    const created = await a.api("POST", `/api/v2/users/${pat.id}/data_exports.json`);
    expect(created.status, created.text).toBe(202);
    expect(created.body.data_export).toMatchObject({ user_id: pat.id, download_url: null });
    expect(["queued", "working", "ready"]).toContain(created.body.data_export.status);
    const e = await settled(a, `/api/v2/data_exports/${created.body.data_export.id}.json`);
    expect(e.status).toBe("ready");
    expect(e.download_url).toMatch(new RegExp(`^${a.origin}/api/v2/data_exports/${e.id}/download\\?expires=\\d+&signature=`));
    expect(storedExports(a)).toHaveLength(1);
    // Sealed in the blob folder: neither the markers nor the ZIP's signature in clear.
    const stored = fs.readFileSync(path.join(exportsFolder(a), storedExports(a)[0]!));
    expect(stored.includes(Buffer.from(M.pub))).toBe(false);
    expect(stored.includes(Buffer.from("manifest.json"))).toBe(false);

    // The asker is told, without content: a link to the export's status, from configuration.
    const mail = await mailTo(a.ownerEmail, `${a.origin}/api/v2/data_exports/${e.id}.json`);
    expect(mail.subject).toContain("ready");
    for (const x of [M.pub, M.note, pat.email, "Pat Person"]) expect(mail.text).not.toContain(x);

    const got = await download(e);
    expect(got.status, got.text).toBe(200);
    expect(got.headers["content-type"]).toBe("application/zip");
    expect(got.headers["content-disposition"]).toContain("attachment");
    const files = await unzip(got.raw);
    const manifest = JSON.parse(files.get("manifest.json")!.toString("utf8"));
    expect(manifest).toMatchObject({ schema: "vaultdesk.person-export", version: 1, tenant: { id: a.tenantId }, subject: { id: pat.id }, requested_by: "staff", internal_notes_included: true });
    expect(manifest.counts).toMatchObject({ profile: 1, tickets: 1, attachments: 1 });
    for (const name of ["profile", "identities", "organizations", "tickets", "conversation", "comments", "consent_records", "sessions", "sign_in_links", "passkeys", "views", "satisfaction_ratings", "attachments"]) {
      expect(files.has(`${name}.json`), name).toBe(true);
      expect(files.has(`${name}.csv`), name).toBe(true);
    }
    expect(JSON.parse(files.get("profile.json")!.toString())[0]).toMatchObject({ id: pat.id, name: "Pat Person", email: pat.email });
    const conversation = JSON.parse(files.get("conversation.json")!.toString()) as Json[];
    expect(conversation.map((c) => c.body).join(" ")).toContain(M.pub);
    expect(conversation.find((c) => String(c.body).includes(M.note))).toMatchObject({ public: false });
    const profileCsv = parse(files.get("profile.csv")!, { columns: true }) as Json[];
    expect(profileCsv[0]).toMatchObject({ id: String(pat.id), email: pat.email });
    // The attachment, byte for byte.
    const listed = JSON.parse(files.get("attachments.json")!.toString())[0];
    expect(listed).toMatchObject({ file_name: "scan of form.bin", size: FILE.length });
    expect(files.get(listed.path)!.equals(FILE)).toBe(true);
    // Nothing of anyone else's.
    for (const [name, bytes] of files) expect(bytes.includes(Buffer.from(M.other)), name).toBe(false);

    // Once only; the file leaves the blob folder.
    const again = await download(e);
    expect(again.status).toBe(410);
    await until(() => storedExports(a).length === 0, "the export's file removed");
    expect((await a.api("GET", `/api/v2/data_exports/${e.id}.json`)).body.data_export).toMatchObject({ status: "downloaded", download_url: null });
    const actions = ((await a.api("GET", "/api/v2/audit_logs.json?per_page=100")).body.audit_logs as Json[]).map((l) => l.action);
    expect(actions).toEqual(expect.arrayContaining(["data_export.created", "data_export.completed", "data_export.downloaded"]));
  });

  it("asked by the person: their own data without internal notes", async () => {
    const created = await a.api("POST", "/api/v2/users/me/data_exports.json", undefined, pat);
    expect(created.status, created.text).toBe(202);
    const e = await settled(a, `/api/v2/data_exports/${created.body.data_export.id}.json`, pat);
    expect(e).toMatchObject({ status: "ready", user_id: pat.id });
    expect((await mailTo(pat.email, `${a.origin}/my-information`)).text).not.toContain(M.pub);
    // The link is the person's: the admin cannot use it, nor see the export.
    expect((await download(e)).status).toBe(404);
    expect((await a.api("GET", `/api/v2/data_exports/${e.id}.json`)).status).toBe(404);
    const got = await download(e, pat);
    expect(got.status).toBe(200);
    const files = await unzip(got.raw);
    expect(JSON.parse(files.get("manifest.json")!.toString())).toMatchObject({ requested_by: "self", internal_notes_included: false });
    const all = Buffer.concat([...files.values()]);
    expect(all.includes(Buffer.from(M.pub))).toBe(true);
    expect(all.includes(Buffer.from(M.reply))).toBe(true);
    expect(all.includes(Buffer.from(M.note))).toBe(false);
    expect(all.includes(Buffer.from(M.other))).toBe(false);
    const listed = JSON.parse(files.get("attachments.json")!.toString())[0];
    expect(files.get(listed.path)!.equals(FILE)).toBe(true);
  });

  it("holds a staff member's personal views (their titles and conditions), not the shared views they made", async () => {
    const agent = await buildUser(t, a, "agent", "Vera Views");
    const as = { email: agent.email, token: agent.token! };
    const mine = await a.api("POST", "/api/v2/views.json", { view: { title: `Mine ${marker("zqxview")}`, all: [{ field: "current_tags", operator: "includes", value: "vip" }] } }, as);
    expect(mine.status, mine.text).toBe(201);
    // A shared view the owner made, and one by another person: neither is the agent's.
    expect((await a.api("POST", "/api/v2/views.json", { view: { title: "Everyone's", restriction: null, all: [{ field: "status", operator: "is", value: "open" }] } })).status).toBe(201);
    const created = await a.api("POST", `/api/v2/users/${agent.id}/data_exports.json`);
    expect(created.status, created.text).toBe(202);
    const e = await settled(a, `/api/v2/data_exports/${created.body.data_export.id}.json`);
    const files = await unzip((await download(e)).raw);
    expect(JSON.parse(files.get("manifest.json")!.toString()).counts).toMatchObject({ views: 1 });
    const views = JSON.parse(files.get("views.json")!.toString()) as Json[];
    expect(views).toEqual([expect.objectContaining({ id: mine.body.view.id, title: mine.body.view.title, active: true, conditions_all: [{ field: "current_tags", operator: "includes", value: "vip" }], conditions_any: [] })]);
    expect(files.has("views.csv")).toBe(true);
  });

  it("is refused across people and tenants: an end user cannot export someone else; another's export and another tenant's id are 404", async () => {
    expect((await a.api("POST", `/api/v2/users/${quinn.id}/data_exports.json`, undefined, pat)).status).toBe(403);
    const agent = await buildUser(t, a, "agent", "Agent");
    expect((await a.api("POST", `/api/v2/users/${pat.id}/data_exports.json`, undefined, { email: agent.email, token: agent.token! })).status).toBe(403);
    expect((await a.api("POST", "/api/v2/users/999999/data_exports.json")).status).toBe(404);
    // An agent whose custom role grants data export access may export a person.
    const r = await a.api("POST", "/api/v2/custom_roles.json", { custom_role: { name: "Privacy desk", configuration: { data_export_access: true } } });
    expect(r.status, r.text).toBe(201);
    const desk = await buildUser(t, a, "agent", "Privacy desk agent");
    expect((await a.api("PUT", `/api/v2/users/${desk.id}.json`, { user: { custom_role_id: r.body.custom_role.id } })).status).toBe(200);
    const deskAs = { email: desk.email, token: await createTokenFor(t, a, desk.id) };
    const byDesk = await a.api("POST", `/api/v2/users/${pat.id}/data_exports.json`, undefined, deskAs);
    expect(byDesk.status, byDesk.text).toBe(202);
    expect((await settled(a, `/api/v2/data_exports/${byDesk.body.data_export.id}.json`, deskAs)).status).toBe("ready");
    const mine = (await a.api("POST", `/api/v2/users/${quinn.id}/data_exports.json`)).body.data_export as Json;
    const e = await settled(a, `/api/v2/data_exports/${mine.id}.json`);
    expect((await a.api("GET", `/api/v2/data_exports/${e.id}.json`, undefined, quinn)).status).toBe(404);
    expect((await download(e, quinn)).status).toBe(404);
    const b = await buildTenant(t, "pexpb");
    expect((await b.api("GET", `/api/v2/data_exports/${e.id}.json`)).status).toBe(404);
    expect((await t.request({ method: "GET", path: pathOf(e.download_url), host: b.host, headers: { authorization: "Basic " + Buffer.from(`${b.ownerEmail}/token:${b.ownerToken}`).toString("base64") } })).status).toBe(404);
    // A tampered signature is no link.
    const bad = e.download_url.replace(/signature=.{4}/, "signature=AAAA");
    expect((await t.request({ method: "GET", path: pathOf(bad), host: a.host, headers: { authorization: "Basic " + Buffer.from(`${a.ownerEmail}/token:${a.ownerToken}`).toString("base64") } })).status).toBe(404);
    // The first one is still usable.
    expect((await download(e)).status).toBe(200);
  });

  it("expires after 24 hours on the app's clock; the upkeep deletes the file", async () => {
    const created = (await a.api("POST", `/api/v2/users/${pat.id}/data_exports.json`)).body.data_export as Json;
    const e = await settled(a, `/api/v2/data_exports/${created.id}.json`);
    expect(e.status).toBe("ready");
    expect(new Date(e.expires_at).getTime() - new Date(e.ready_at).getTime()).toBe(24 * HOUR);
    await until(() => storedExports(a).length >= 1, "a stored export");
    offsetMs += 25 * HOUR;
    try {
      const late = (await a.api("GET", `/api/v2/data_exports/${e.id}.json`)).body.data_export;
      expect(late).toMatchObject({ status: "expired", download_url: null });
      expect((await download(e)).status).toBe(410);
      expect(storedExports(a).length).toBeGreaterThanOrEqual(1);
      await runExportUpkeep({ db: t.db, keyring: t.keyring, blobs: createBlobStore(t.config), hooks: t.app.hooks }, now());
      expect(storedExports(a)).toHaveLength(0);
    } finally {
      offsetMs -= 25 * HOUR;
    }
  });
});

describe("a tenant's export", () => {
  let a: TestTenant;
  const owner = () => ({ email: a.ownerEmail, token: a.ownerToken });
  beforeAll(async () => {
    a = await buildTenant(t, "texp");
  });

  it("of tickets as CSV: the chosen fields, rows updated in the time range; admins only", async () => {
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) ids.push((await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: `Early ${i}`, comment: { body: "x" }, tags: ["early"] } })).body.ticket.id);
    await new Promise((r) => setTimeout(r, 1100));
    for (let i = 0; i < 2; i++) ids.push((await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: `Late, "quoted" ${i}`, comment: { body: "x" }, tags: ["late", "two"] } })).body.ticket.id);
    const all = (await a.api("GET", "/api/v2/tickets.json?per_page=100")).body.tickets as Json[];
    const start = all.find((x) => x.id === ids[3])!.updated_at as string;
    const expected = all.filter((x) => new Date(x.updated_at).getTime() >= new Date(start).getTime()).map((x) => String(x.id));
    expect(expected.length).toBeGreaterThanOrEqual(2);
    expect(expected.length).toBeLessThan(5);

    const agent = await buildUser(t, a, "agent", "Agent");
    expect((await a.api("POST", "/api/v2/exports.json", { export: { resource: "tickets", format: "csv" } }, { email: agent.email, token: agent.token! })).status).toBe(403);
    expect((await a.api("POST", "/api/v2/exports.json", { export: { resource: "tickets", format: "csv", fields: ["id", "password"] } })).status).toBe(422);
    expect((await a.api("POST", "/api/v2/exports.json", { export: { resource: "tickets", format: "xml" } })).status).toBe(422);
    expect((await a.api("POST", "/api/v2/exports.json", { export: { resource: "tickets", format: "csv", start_time: 200, end_time: 100 } })).status).toBe(422);

    const created = await a.api("POST", "/api/v2/exports.json", { export: { resource: "tickets", format: "csv", fields: ["id", "subject", "tags", "updated_at"], start_time: start } });
    expect(created.status, created.text).toBe(202);
    expect(created.body.export).toMatchObject({ resource: "tickets", format: "csv", fields: ["id", "subject", "tags", "updated_at"] });
    const e = await settled(a, `/api/v2/exports/${created.body.export.id}.json`, owner(), "export");
    expect(e).toMatchObject({ status: "ready", rows_done: expected.length });
    const got = await t.request({ method: "GET", path: pathOf(e.download_url), host: a.host, headers: { authorization: "Basic " + Buffer.from(`${a.ownerEmail}/token:${a.ownerToken}`).toString("base64") } });
    expect(got.status).toBe(200);
    expect(got.headers["content-type"]).toContain("text/csv");
    const rows = parse(got.raw, { columns: true }) as Json[];
    expect(Object.keys(rows[0]!)).toEqual(["id", "subject", "tags", "updated_at"]);
    expect(rows.map((r) => r.id).sort()).toEqual(expected.sort());
    expect(rows.find((r) => r.id === String(ids[4]))).toMatchObject({ subject: `Late, "quoted" 1`, tags: expect.stringContaining("late") });
    expect((await t.request({ method: "GET", path: pathOf(e.download_url), host: a.host, headers: { authorization: "Basic " + Buffer.from(`${a.ownerEmail}/token:${a.ownerToken}`).toString("base64") } })).status).toBe(410);
    await until(() => storedExports(a).length === 0, "the export's file removed");
    // Another admin does not see it; another tenant neither.
    const admin2 = await buildUser(t, a, "admin", "Second admin");
    expect((await a.api("GET", `/api/v2/exports/${e.id}.json`, undefined, { email: admin2.email, token: admin2.token! })).status).toBe(404);
    const b = await buildTenant(t, "texpb");
    expect((await b.api("GET", `/api/v2/exports/${e.id}.json`)).status).toBe(404);
  });

  it("of 2,000 organizations as JSON, in batches, with progress", async () => {
    await t.db.tenant(a.tenantId, async (tx) => {
      const sys = makeContext({ tx, sealer: await t.keyring.sealerFor(tx), actor: { kind: "system" }, now, requestId: "test" });
      const owner1 = (await tx.db.selectFrom("users").select("id").where("role", "=", "owner").executeTakeFirstOrThrow()).id;
      const ctx = { ...sys, actor: await currentStaffActor(sys, owner1) };
      for (let i = 0; i < 2000; i++) await createOrganization(ctx, { name: `Org ${String(i).padStart(4, "0")}` });
    });
    const created = await a.api("POST", "/api/v2/exports.json", { export: { resource: "organizations", format: "json", fields: ["id", "name"] } });
    expect(created.status, created.text).toBe(202);
    const seen = new Set<number>();
    let e: Json;
    for (let i = 0; ; i++) {
      e = (await a.api("GET", `/api/v2/exports/${created.body.export.id}.json`)).body.export;
      seen.add(e.rows_done);
      if (e.status === "ready" || e.status === "failed") break;
      if (i > 5000) throw new Error("export did not finish");
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(e).toMatchObject({ status: "ready", rows_done: 2000 });
    expect([...seen].some((n) => n > 0 && n < 2000), `progress seen: ${[...seen].join(",")}`).toBe(true);
    const got = await t.request({ method: "GET", path: pathOf(e.download_url), host: a.host, headers: { authorization: "Basic " + Buffer.from(`${a.ownerEmail}/token:${a.ownerToken}`).toString("base64") } });
    expect(got.status).toBe(200);
    const body = JSON.parse(got.text) as { organizations: Json[] };
    expect(body.organizations).toHaveLength(2000);
    expect(Object.keys(body.organizations[0]!)).toEqual(["id", "name"]);
    expect(new Set(body.organizations.map((o) => o.name)).size).toBe(2000);
  }, 180_000);
});
