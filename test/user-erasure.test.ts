import { buffer } from "node:stream/consumers";
import { Writable } from "node:stream";
import type { Readable } from "node:stream";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyChain } from "../src/modules/audit/audit-service.ts";
import { eraseExpiredDeletedUsers } from "../src/modules/privacy/erasure-service.ts";
import { createBlobStore, getSealed, listSealed } from "../src/platform/blobs/index.ts";
import { dbColumn, SEALED_COLUMNS, type ColumnRef } from "../src/platform/crypto/sealed-columns.ts";
import { acceptingMailer } from "./support/at-rest.ts";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { message, send, settled, supportOf } from "./support/mail-in.ts";
import { marker } from "./support/markers.ts";
import { pairRows, type PairRow } from "./support/search-pairs.ts";

/** Phrase pairs as comparable text (hash, visibility, count), in a stable order. */
const pairText = (rows: PairRow[]) => rows.map((r) => `${r.term.toString("hex")} ${r.internal} ${r.tf}`).sort();

/**
 * Deleting people and erasing them (GDPR art. 17) over real HTTP: the deleted users list and its
 * restore, legal holds refusing an erasure, the erasure receipt bound to the audit chain, agents'
 * contributions kept under a pseudonym, the upkeep after 30 days, and the completeness proof — a
 * person's marker written through tickets, comments, files, mail, the search index and the audit
 * trail cannot be found after the erasure in any sealed value of the tenant (each one decrypted),
 * any stored file (decrypted), any log line, or a search.
 */

let offsetMs = 0;
const now = () => new Date(Date.now() + offsetMs);
const DAY = 86_400_000;
const lines: string[] = [];
let t: TestApp;
beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString("utf8"));
      cb();
    },
  });
  t = await startTestApp({ now, logStream: sink, mailer: acceptingMailer, env: { VAULTDESK_SMTP_LISTEN: "127.0.0.1:0", VAULTDESK_JOB_POLL_SECONDS: "0.1" } });
});
afterAll(async () => t?.close());

type Json = Record<string, any>;
const deps = () => ({ db: t.db, keyring: t.keyring, blobs: createBlobStore(t.config), hooks: t.app.hooks });

async function person(a: TestTenant, name: string, email: string, extra: Json = {}): Promise<number> {
  const r = await a.api("POST", "/api/v2/users.json", { user: { name, email, ...extra } });
  expect(r.status, r.text).toBe(201);
  return r.body.user.id;
}
const del = async (a: TestTenant, id: number) => expect((await a.api("DELETE", `/api/v2/users/${id}.json`)).status).toBe(200);

/** Every sealed value of the tenant, decrypted, with where it is. */
async function everySealedValue(tenantId: string): Promise<Array<{ where: string; text: string }>> {
  return t.db.tenant(tenantId, async (tx) => {
    const sealer = await t.keyring.sealerFor(tx);
    const out: Array<{ where: string; text: string }> = [];
    for (const [table, columns] of Object.entries(SEALED_COLUMNS)) {
      const names = Object.keys(columns);
      const rows = await sql<Record<string, unknown>>`SELECT id::text AS id, ${sql.join(names.map((c) => sql.ref(dbColumn(c))))} FROM ${sql.table(table)}`.execute(tx.db);
      for (const row of rows.rows) {
        for (const [column, kind] of Object.entries(columns)) {
          const v = row[dbColumn(column)] as Uint8Array | null;
          if (!v) continue;
          const ref = { table, column, row: String(row.id) } as ColumnRef;
          const text = kind === "json" ? JSON.stringify(sealer.openJson(v, ref as ColumnRef<"json">)) : sealer.open(v, ref as ColumnRef<"text">);
          out.push({ where: `${table}.${column} ${String(row.id)}`, text });
        }
      }
    }
    return out;
  });
}

/** Every stored file of the tenant, decrypted. */
async function everyFile(tenantId: string): Promise<Array<{ where: string; bytes: Buffer }>> {
  const blobs = createBlobStore(t.config);
  const sealer = await t.db.tenant(tenantId, (tx) => t.keyring.sealerFor(tx));
  const out: Array<{ where: string; bytes: Buffer }> = [];
  for await (const ref of listSealed(blobs, tenantId)) out.push({ where: `${ref.purpose}/${ref.id}`, bytes: await buffer((await getSealed(blobs, sealer, ref)) as Readable) });
  return out;
}

const upload = async (a: TestTenant, name: string, content: string) => {
  const r = await t.request({ method: "POST", path: `/api/v2/uploads.json?filename=${encodeURIComponent(name)}`, host: a.host, rawBody: Buffer.from(content), headers: { "content-type": "text/plain", authorization: "Basic " + Buffer.from(`${a.ownerEmail}/token:${a.ownerToken}`).toString("base64") } });
  expect(r.status, r.text).toBe(201);
  return r.body.upload.token as string;
};

describe("deleted people", () => {
  let a: TestTenant;
  let b: TestTenant;
  beforeAll(async () => {
    a = await buildTenant(t, "erd");
    b = await buildTenant(t, "erd");
  });

  it("are listed with who deleted them, restorable, admins only; another tenant's ids answer 404", async () => {
    const id = await person(a, "Dana Deleted", `dana.${Date.now()}@example.test`);
    await del(a, id);
    const owner = (await a.api("GET", "/api/v2/users/me.json")).body.user;
    const list = await a.api("GET", "/api/v2/deleted_users.json");
    expect(list.status, list.text).toBe(200);
    const d = (list.body.deleted_users as Json[]).find((x) => x.id === id)!;
    expect(d).toMatchObject({ name: "Dana Deleted", active: false, deleted_by_id: owner.id, role: "end-user" });
    expect(new Date(d.erase_after).getTime() - new Date(d.deleted_at).getTime()).toBe(30 * DAY);
    expect((await a.api("GET", `/api/v2/deleted_users/${id}.json`)).body.deleted_user.id).toBe(id);

    const agent = await buildUser(t, a, "agent", "Agent");
    const agentAs = { email: agent.email, token: agent.token! };
    for (const [m, p] of [["GET", "/api/v2/deleted_users.json"], ["GET", `/api/v2/deleted_users/${id}.json`], ["PUT", `/api/v2/deleted_users/${id}/restore.json`], ["DELETE", `/api/v2/deleted_users/${id}.json`], ["GET", `/api/v2/deleted_users/${id}/erasure_preview.json`], ["GET", "/api/v2/erasure_receipts.json"]] as const) {
      expect((await a.api(m, p, undefined, agentAs)).status, `${m} ${p}`).toBe(403);
      if (p !== "/api/v2/deleted_users.json" && p !== "/api/v2/erasure_receipts.json") expect((await b.api(m, p)).status, `other tenant ${m} ${p}`).toBe(404);
    }
    // Someone not deleted is not in the list, and cannot be erased without being deleted first.
    expect((await a.api("DELETE", `/api/v2/deleted_users/${agent.id}.json`)).status).toBe(404);

    const back = await a.api("PUT", `/api/v2/deleted_users/${id}/restore.json`);
    expect(back.status, back.text).toBe(200);
    expect((await a.api("GET", `/api/v2/users/${id}.json`)).body.user.active).toBe(true);
    expect(((await a.api("GET", "/api/v2/deleted_users.json")).body.deleted_users as Json[]).map((x) => x.id)).not.toContain(id);
    expect(((await a.api("GET", "/api/v2/users/autocomplete.json?name=Dana")).body.users as Json[]).map((x) => x.id)).toContain(id);
    const actions = ((await a.api("GET", `/api/v2/audit_logs.json?filter[source_type]=user&filter[source_id]=${id}`)).body.audit_logs as Json[]).map((x) => x.action);
    expect(actions).toEqual(expect.arrayContaining(["user.deleted", "user.restored"]));
  });

  it("a legal hold on the person, or on a ticket they wrote in, refuses the erasure (409) until released", async () => {
    const id = await person(a, "Held Person", `held.${Date.now()}@example.test`);
    const other = await person(a, "Other Requester", `other.${Date.now()}@example.test`);
    const shared = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Shared", requester_id: other, comment: { body: "first" } } });
    expect((await a.api("PUT", `/api/v2/tickets/${shared.body.ticket.id}.json`, { ticket: { comment: { body: "I was there too", author_id: id, public: true } } })).status).toBe(200);
    await del(a, id);
    const onPerson = await a.api("POST", "/api/v2/legal_holds.json", { legal_hold: { target_type: "user", target_id: id, reason: "Claim" } });
    const onTicket = await a.api("POST", "/api/v2/legal_holds.json", { legal_hold: { target_type: "ticket", target_id: shared.body.ticket.id, reason: "Claim" } });
    const preview = await a.api("GET", `/api/v2/deleted_users/${id}/erasure_preview.json`);
    expect(preview.body.erasure_preview.legal_hold_ids.sort()).toEqual([onPerson.body.legal_hold.id, onTicket.body.legal_hold.id].sort());
    expect((await a.api("DELETE", `/api/v2/deleted_users/${id}.json`)).status).toBe(409);
    expect((await a.api("PUT", `/api/v2/legal_holds/${onPerson.body.legal_hold.id}/release.json`)).status).toBe(200);
    const still = await a.api("DELETE", `/api/v2/deleted_users/${id}.json`);
    expect(still.status).toBe(409);
    expect(still.text).toContain(String(onTicket.body.legal_hold.id));
    expect((await a.api("PUT", `/api/v2/legal_holds/${onTicket.body.legal_hold.id}/release.json`)).status).toBe(200);
    expect((await a.api("DELETE", `/api/v2/deleted_users/${id}.json`)).status).toBe(200);
    // The comment is erased, the other requester's ticket stays.
    const comments = (await a.api("GET", `/api/v2/tickets/${shared.body.ticket.id}/comments.json`)).body.comments as Json[];
    expect(comments.map((c) => c.body)).toEqual(["first", "[Removed: the author's personal data was erased.]"]);
  });

  it("erasing the opener of a shared ticket replaces the subject they gave it and renames quoting it, not staff's own words", async () => {
    const id = await person(a, "Opal Opener", `opal.${Date.now()}@example.test`);
    const other = await person(a, "Cal Copied", `cal.${Date.now()}@example.test`);
    const open = async (subject: string, rename: string) => {
      const r = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject, requester_id: id, collaborator_ids: [other], comment: { body: "My words", author_id: id } } });
      expect(r.status, r.text).toBe(201);
      expect((await a.api("PUT", `/api/v2/tickets/${r.body.ticket.id}.json`, { ticket: { subject: rename } })).status).toBe(200);
      return r.body.ticket.id as number;
    };
    // A short, common subject is theirs only where it stands alone; a long one also inside a rename, whatever its case and spacing.
    const short = await open("Help", "Helpdesk migration for the finance team");
    const long = await open("Heater broken at 12 Elm Street flat 3", "heater  broken at 12 elm street FLAT 3");
    await del(a, id);
    expect((await a.api("DELETE", `/api/v2/deleted_users/${id}.json`)).status).toBe(200);
    const ERASED = "[Removed: the author's personal data was erased.]";
    const subjectEvents = async (ticket: number) =>
      ((await a.api("GET", `/api/v2/tickets/${ticket}/audits.json`)).body.audits as Json[]).flatMap((x) => x.events as Json[]).filter((e) => e.field_name === "subject").map((e) => [e.type, e.value, e.previous_value ?? null]);
    expect((await a.api("GET", `/api/v2/tickets/${short}.json`)).body.ticket.subject).toBe("Helpdesk migration for the finance team");
    expect(await subjectEvents(short)).toEqual([["Create", ERASED, null], ["Change", "Helpdesk migration for the finance team", ERASED]]);
    expect((await a.api("GET", `/api/v2/tickets/${long}.json`)).body.ticket.subject).toBe(ERASED);
    expect(await subjectEvents(long)).toEqual([["Create", ERASED, null], ["Change", ERASED, ERASED]]);
    expect((await a.api("GET", "/api/v2/search.json?query=elm")).body.count).toBe(0);
  });

  it("erasing a comment in a ticket in the trash leaves the trashed ticket out of the index, and its restore indexes it as a fresh write would", async () => {
    const id = await person(a, "Trashed Writer", `trashed.${Date.now()}@example.test`);
    const other = await person(a, "Trash Requester", `trashreq.${Date.now()}@example.test`);
    const word = marker("trashword").replace(/[^a-z]/g, "");
    const tk = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: `Parcel ${word}`, requester_id: other, comment: { body: `Where is my ${word} parcel` } } });
    const nice = tk.body.ticket.id as number;
    expect((await a.api("PUT", `/api/v2/tickets/${nice}.json`, { ticket: { comment: { body: "I saw the courier leave it", author_id: id, public: true } } })).status).toBe(200);
    const rows = () =>
      t.db.tenant(a.tenantId, async (tx) => ({
        postings: (await sql<{ r: string }>`SELECT concat_ws(' ', encode(term, 'hex'), internal, tf) AS r FROM search_postings WHERE nice_id = ${nice} ORDER BY 1`.execute(tx.db)).rows.map((x) => x.r),
        pairs: pairText(await pairRows(tx.db, sql`s.nice_id = ${nice}`)),
        documents: (await sql<{ r: string }>`SELECT concat_ws(' ', internal, length) AS r FROM search_documents d JOIN tickets t ON t.tenant_id = d.tenant_id AND t.id = d.ticket_id WHERE t.nice_id = ${nice} ORDER BY 1`.execute(tx.db)).rows.map((x) => x.r),
      }));
    const indexed = await rows();
    expect(indexed.postings.length).toBeGreaterThan(5);
    expect(indexed.pairs.length).toBeGreaterThan(5);
    expect((await a.api("DELETE", `/api/v2/tickets/${nice}.json`)).status).toBe(204);
    expect(await rows()).toEqual({ postings: [], pairs: [], documents: [] });
    await del(a, id);
    expect((await a.api("DELETE", `/api/v2/deleted_users/${id}.json`)).status).toBe(200);
    // The erasure blanked the comment in the trashed ticket and wrote nothing to the index.
    expect(await rows()).toEqual({ postings: [], pairs: [], documents: [] });
    expect((await a.api("PUT", `/api/v2/deleted_tickets/${nice}/restore.json`)).status).toBe(204);
    const restored = await rows();
    expect(restored.postings.length).toBeGreaterThan(5);
    // As a ticket freshly written with the texts it now holds: the same subject and comments.
    const comments = ((await a.api("GET", `/api/v2/tickets/${nice}/comments.json`)).body.comments as Json[]).map((c) => c.body as string);
    expect(comments).toEqual([`Where is my ${word} parcel`, "[Removed: the author's personal data was erased.]"]);
    const fresh = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: `Parcel ${word}`, requester_id: other, comment: { body: comments[0] } } });
    expect((await a.api("PUT", `/api/v2/tickets/${fresh.body.ticket.id}.json`, { ticket: { comment: { body: comments[1], public: true } } })).status).toBe(200);
    const freshPostings = await t.db.tenant(a.tenantId, async (tx) => (await sql<{ r: string }>`SELECT concat_ws(' ', encode(term, 'hex'), internal, tf) AS r FROM search_postings WHERE nice_id = ${fresh.body.ticket.id} ORDER BY 1`.execute(tx.db)).rows.map((x) => x.r));
    expect(restored.postings).toEqual(freshPostings);
    expect(restored.pairs).toEqual(await t.db.tenant(a.tenantId, async (tx) => pairText(await pairRows(tx.db, sql`s.nice_id = ${fresh.body.ticket.id}`))));
    expect(restored.pairs.length).toBeGreaterThan(5);
    expect((await a.api("GET", `/api/v2/search.json?query=${word}`)).body.results.map((r: Json) => r.id).sort()).toEqual([nice, fresh.body.ticket.id].sort());
  });

  it("an agent's erasure keeps their replies, attributed to a pseudonym that names nobody", async () => {
    const agent = await buildUser(t, a, "agent", "Agatha Agentsson");
    const agentAs = { email: agent.email, token: agent.token! };
    const requester = await person(a, "Customer", `cust.${Date.now()}@example.test`);
    const tk = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Help", requester_id: requester, comment: { body: "please" } } });
    expect((await a.api("PUT", `/api/v2/tickets/${tk.body.ticket.id}.json`, { ticket: { comment: { body: "Here is the answer", public: true } } }, agentAs)).status).toBe(200);
    await del(a, agent.id);
    const r = await a.api("DELETE", `/api/v2/deleted_users/${agent.id}.json`);
    expect(r.status, r.text).toBe(200);
    const receipt = r.body.erasure_receipt;
    expect(receipt.kept.map((k: Json) => k.what)).toContain("staff_contributions");
    const comments = (await a.api("GET", `/api/v2/tickets/${tk.body.ticket.id}/comments.json`)).body.comments as Json[];
    expect(comments.map((c) => c.body)).toEqual(["please", "Here is the answer"]);
    expect(comments[1]!.author_id).toBe(agent.id);
    const tomb = (await a.api("GET", `/api/v2/users/${agent.id}.json`)).body.user;
    expect(tomb).toMatchObject({ name: `Deleted user ${receipt.pseudonym}`, email: null, active: false });
    expect(receipt.pseudonym).toMatch(/^[0-9a-f]{12}$/);
    // Its token works no more, and it is not deleted any longer (erased: not in the list).
    expect((await a.api("GET", "/api/v2/users/me.json", undefined, agentAs)).status).toBe(401);
    expect((await a.api("GET", `/api/v2/deleted_users/${agent.id}.json`)).status).toBe(404);
  });

  it("only an owner erases a deleted admin; a name the search cannot phrase still previews", async () => {
    const admin = await buildUser(t, a, "admin", "Second Admin");
    const adminAs = { email: admin.email, token: admin.token! };
    const other = await buildUser(t, a, "admin", "Third Admin");
    await del(a, other.id);
    expect((await a.api("DELETE", `/api/v2/deleted_users/${other.id}.json`, undefined, adminAs)).status).toBe(403);
    expect((await a.api("PUT", `/api/v2/deleted_users/${other.id}/restore.json`, undefined, adminAs)).status).toBe(403);
    expect((await a.api("GET", `/api/v2/deleted_users/${other.id}.json`)).status).toBe(200); // still there
    const odd = await person(a, "\"\\ :: ()", `odd.${Date.now()}@example.test`);
    await del(a, odd);
    const p = await a.api("GET", `/api/v2/deleted_users/${odd}/erasure_preview.json`, undefined, adminAs);
    expect(p.status, p.text).toBe(200);
    expect((await a.api("DELETE", `/api/v2/deleted_users/${odd}.json`, undefined, adminAs)).status).toBe(200);
    expect((await a.api("DELETE", `/api/v2/deleted_users/${other.id}.json`)).status).toBe(200);
  });

  it("the upkeep erases people deleted more than 30 days ago, with a receipt; held ones wait", async () => {
    const c = await buildTenant(t, "erx");
    const old = await person(c, "Old Deleted", `old.${Date.now()}@example.test`);
    const held = await person(c, "Old Held", `oldheld.${Date.now()}@example.test`);
    const recent = await person(c, "Recent Deleted", `recent.${Date.now()}@example.test`);
    await del(c, old);
    await del(c, held);
    expect((await c.api("POST", "/api/v2/legal_holds.json", { legal_hold: { target_type: "user", target_id: held, reason: "Claim" } })).status).toBe(201);
    offsetMs = 31 * DAY;
    try {
      await del(c, recent);
      await eraseExpiredDeletedUsers(deps(), now());
    } finally {
      offsetMs = 0;
    }
    const left = ((await c.api("GET", "/api/v2/deleted_users.json")).body.deleted_users as Json[]).map((x) => x.id).sort();
    expect(left).toEqual([held, recent].sort());
    const receipts = (await c.api("GET", "/api/v2/erasure_receipts.json")).body.erasure_receipts as Json[];
    expect(receipts).toHaveLength(1);
    expect(receipts[0]).toMatchObject({ user_id: old, cause: "expiry", erased_by_id: null });
  });
});

describe("erasure completeness", () => {
  it("after delete forever, the person's marker is nowhere: sealed values decrypted, files decrypted, logs, search; the chain verifies", async () => {
    const a = await buildTenant(t, "erc");
    const M = marker("ZQXERASE");
    const email = `${marker("zqx.erase.").toLowerCase()}@marker-example.test`;
    const phone = "+46 70 123 45 67";
    const p = await person(a, `${M} Person`, email, { phone, external_id: `${M}-ext`, tags: ["vip"] });
    const other = await person(a, "Other Customer", `other.${Date.now()}@example.test`);

    // A ticket they requested (only party), with a comment of theirs carrying a file, and a staff reply.
    const solo = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: `${M} my order`, requester_id: p, comment: { body: `${M} where is my order? call ${phone}`, author_id: p } } });
    expect(solo.status, solo.text).toBe(201);
    const tok = await upload(a, `${M} receipt.txt`, `${M} receipt file ${email}\n`);
    expect((await a.api("PUT", `/api/v2/tickets/${solo.body.ticket.id}.json`, { ticket: { comment: { body: `${M} here is my receipt`, author_id: p, uploads: [tok] } } })).status).toBe(200);
    expect((await a.api("PUT", `/api/v2/tickets/${solo.body.ticket.id}.json`, { ticket: { comment: { body: "We are on it", public: true } } })).status).toBe(200);
    // A ticket shared with another customer: they are copied and write in it, with a file.
    const shared = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Team outing", requester_id: other, collaborator_ids: [p], comment: { body: "Who is coming?" } } });
    expect(shared.status, shared.text).toBe(201);
    const tok2 = await upload(a, `${M} photo.txt`, `${M} photo ${email}\n`);
    expect((await a.api("PUT", `/api/v2/tickets/${shared.body.ticket.id}.json`, { ticket: { comment: { body: `${M} I am coming, mail me at ${email}`, author_id: p, public: true, uploads: [tok2] } } })).status).toBe(200);
    // A ticket they opened with another customer copied: shared, so it stays. Its subject is
    // theirs, also where staff's rename quotes it (the Change event's value and previous value).
    const opened = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: `${M} heater broken`, requester_id: p, collaborator_ids: [other], comment: { body: `${M} the heater is broken`, author_id: p } } });
    expect(opened.status, opened.text).toBe(201);
    expect((await a.api("PUT", `/api/v2/tickets/${opened.body.ticket.id}.json`, { ticket: { subject: `Escalated: ${M} heater broken` } })).status).toBe(200);
    expect((await a.api("PUT", `/api/v2/tickets/${opened.body.ticket.id}.json`, { ticket: { comment: { body: "Technician booked", public: true } } })).status).toBe(200);
    // Mail from them: one message that makes a ticket (with a file), one held as spam.
    const smtpPort = t.app.smtpIn!.port;
    for (const spam of [false, true]) {
      const raw = message({ from: `${M} Person <${email}>`, to: supportOf(a), subject: `${M} mailed subject`, text: `${M} mailed body`, headers: spam ? ["X-Spam-Flag: YES"] : [], files: [{ name: `${M} mailed.txt`, type: "text/plain", content: Buffer.from(`${M} mailed file\n`) }] });
      expect((await send(smtpPort, { from: email, to: [supportOf(a)] }, raw)).rejected).toEqual([]);
    }
    expect((await settled(t, a, 2)).map((x) => x.state).sort()).toEqual(["suspended", "ticket"]);
    // Another person's ticket mentioning them: kept, and listed in the preview for redaction.
    const mention = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Note", requester_id: other, comment: { body: `Ask ${M} Person about it` } } });
    expect(mention.status).toBe(201);

    // The marker is there before (the checks below can fail).
    const before = await everySealedValue(a.tenantId);
    expect(before.some((v) => v.text.includes(M))).toBe(true);
    expect((await everyFile(a.tenantId)).some((f) => f.bytes.includes(M))).toBe(true);
    expect((await a.api("GET", `/api/v2/search.json?query=${encodeURIComponent(M)}`)).body.count).toBeGreaterThan(0);

    await del(a, p);
    const preview = (await a.api("GET", `/api/v2/deleted_users/${p}/erasure_preview.json`)).body.erasure_preview;
    expect(preview.tickets_deleted).toContain(solo.body.ticket.id);
    expect(preview.tickets_deleted).not.toContain(shared.body.ticket.id);
    expect(preview.tickets_deleted).not.toContain(opened.body.ticket.id);
    expect(preview.comments_erased).toBe(2);
    expect(preview.legal_hold_ids).toEqual([]);
    expect(preview.mentions.map((m: Json) => m.ticket_id)).toContain(mention.body.ticket.id);
    expect(preview.mentions.map((m: Json) => m.ticket_id)).toContain(shared.body.ticket.id);

    // The mention is redacted by staff, as the preview offers.
    const mc = (await a.api("GET", `/api/v2/tickets/${mention.body.ticket.id}/comments.json`)).body.comments[0];
    expect((await a.api("PUT", `/api/v2/tickets/${mention.body.ticket.id}/comments/${mc.id}/redact.json`, { text: `${M} Person` })).status).toBe(200);

    const erased = await a.api("DELETE", `/api/v2/deleted_users/${p}.json`);
    expect(erased.status, erased.text).toBe(200);
    const receipt = erased.body.erasure_receipt;
    expect(receipt).toMatchObject({ user_id: p, cause: "request", schema: "vaultdesk.erasure-receipt", version: 1 });
    expect(receipt.deleted.tickets).toBeGreaterThanOrEqual(2); // the solo ticket and the mailed one
    expect(receipt.deleted.comments_erased).toBe(2);
    expect(receipt.deleted.mail_messages).toBe(2);
    expect(receipt.deleted.suspended_tickets).toBe(1);
    expect(receipt.deleted.attachments).toBeGreaterThanOrEqual(3);
    expect(receipt.kept.map((k: Json) => k.what)).toEqual(expect.arrayContaining(["audit_trail"]));
    expect(JSON.stringify(receipt)).not.toContain(M);

    // Files go after the commit; the chainer links the entry a moment later.
    await new Promise((r) => setTimeout(r, 300));
    const shown = (await a.api("GET", `/api/v2/erasure_receipts/${receipt.id}.json`)).body.erasure_receipt;
    expect(shown.audit_entry.seq).toBeGreaterThan(0);
    expect(shown.audit_entry.hash).toMatch(/^[0-9a-f]{64}$/);
    const entry = await t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("audit_log").select(["action", "resource_id", "hash"]).where("id", "=", shown.audit_entry.id).executeTakeFirstOrThrow());
    expect(entry).toMatchObject({ action: "user.erased", resource_id: String(p) });
    expect(Buffer.from(entry.hash).toString("hex")).toBe(shown.audit_entry.hash);
    expect(await verifyChain(t.db, a.tenantId)).toMatchObject({ ok: true });

    // Nowhere: every sealed value decrypted, every file decrypted, every log line, the search.
    const needles = [M, M.toLowerCase(), email, "70 123 45 67", "zqx.erase"];
    for (const v of await everySealedValue(a.tenantId)) for (const n of needles) expect(v.text.includes(n), `${n} in ${v.where}`).toBe(false);
    for (const f of await everyFile(a.tenantId)) for (const n of needles) expect(f.bytes.includes(n), `${n} in file ${f.where}`).toBe(false);
    for (const l of lines) for (const n of needles) expect(l.includes(n), `${n} in a log line`).toBe(false);
    expect((await a.api("GET", `/api/v2/search.json?query=${encodeURIComponent(M)}`)).body.count).toBe(0);
    expect((await a.api("GET", `/api/v2/users/search.json?query=${encodeURIComponent(email)}`)).body.users).toEqual([]);
    // The search index holds no entry for the person's tickets or name.
    const leftovers = await t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("search_user_names").select("user_id").where("user_id", "in", tx.db.selectFrom("users").select("id").where("nice_id", "=", p)).execute());
    expect(leftovers).toEqual([]);
    // The shared ticket stays, the other customer's words in it too.
    const sc = (await a.api("GET", `/api/v2/tickets/${shared.body.ticket.id}/comments.json`)).body.comments as Json[];
    expect(sc.map((c) => c.body)).toEqual(["Who is coming?", "[Removed: the author's personal data was erased.]"]);
    expect(sc[1]!.attachments).toEqual([]);
    // The ticket they opened stays, its subject and description replaced, staff's reply kept.
    const ot = (await a.api("GET", `/api/v2/tickets/${opened.body.ticket.id}.json`)).body.ticket;
    expect([ot.subject, ot.description]).toEqual(["[Removed: the author's personal data was erased.]", "[Removed: the author's personal data was erased.]"]);
    const oc = (await a.api("GET", `/api/v2/tickets/${opened.body.ticket.id}/comments.json`)).body.comments as Json[];
    expect(oc.map((c) => c.body)).toEqual(["[Removed: the author's personal data was erased.]", "Technician booked"]);
    expect((await a.api("GET", "/api/v2/search.json?query=heater")).body.count).toBe(0);
    expect((await a.api("GET", "/api/v2/search.json?query=technician")).body.results.map((r: Json) => r.id)).toEqual([opened.body.ticket.id]);
    expect((await a.api("GET", `/api/v2/tickets/${solo.body.ticket.id}.json`)).status).toBe(404);
    // The rows about them are gone: sessions, tokens, consents, CCs.
    const rest = await t.db.tenant(a.tenantId, async (tx) => {
      const id = (await tx.db.selectFrom("users").select("id").where("nice_id", "=", p).executeTakeFirstOrThrow()).id;
      const n = async (table: "ticket_ccs" | "sessions" | "api_tokens" | "consent_records") => Number((await tx.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as("n")).where("user_id", "=", id).executeTakeFirstOrThrow()).n);
      return { ccs: await n("ticket_ccs"), sessions: await n("sessions"), tokens: await n("api_tokens"), consents: await n("consent_records") };
    });
    expect(rest).toEqual({ ccs: 0, sessions: 0, tokens: 0, consents: 0 });
  });
});
