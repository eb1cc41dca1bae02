import crypto from "node:crypto";
import net from "node:net";
import type { ParsedMail } from "mailparser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { jobsSettled } from "./support/people.ts";
import { freePort } from "./support/process.ts";
import { startSmtpPeer, type SmtpPeer } from "./support/smtp-peer.ts";

/**
 * A notification is written when the ticket changes and sent by a durable job, maybe much later
 * (the mail server was down). When the person's processing is restricted in between, the queued
 * notification is recalled right before the next attempt (audited as withheld), while mail the
 * person asked for (a sign-in link) still goes. The mail server is real and starts late: until
 * then every attempt is refused at the TCP level.
 */

type Json = Record<string, any>;
let t: TestApp;
let smtp: SmtpPeer | undefined;
let port = 0;

beforeAll(async () => {
  port = await freePort();
  t = await startTestApp({ env: { VAULTDESK_SMTP_URL: `smtp://127.0.0.1:${port}`, VAULTDESK_JOB_POLL_SECONDS: "0.1", VAULTDESK_MAIL_RETRY_SECONDS: "2,2,2" } });
});
afterAll(async () => {
  await t?.close();
  await smtp?.close();
});

const customer = (a: TestTenant) => `c-${crypto.randomBytes(3).toString("hex")}@${a.subdomain}.test`;

/** Waits until every mail job has had its first attempt refused and waits for its retry. */
async function firstAttemptsRefused(a: TestTenant, count: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const rows = await t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("job_statuses").select(["status", "attempts"]).where("job_type", "=", "mail").execute());
    if (rows.length === count && rows.every((r) => r.status === "queued" && r.attempts >= 1)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("the mail jobs were not refused and queued again");
}

const SECRET_REPLY = "Your parcel ships today. Your door code is Zorbitt-5511.";

/** Opens a ticket for `email` (its first comment internal, so nothing is mailed for it), then replies with `reply`, which queues one notification. */
async function ticketWithReply(a: TestTenant, email: string, reply = SECRET_REPLY): Promise<{ id: number; requesterId: number }> {
  const c = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Parcel question", comment: { body: "Opened by phone.", public: false }, requester: { name: "Kim Waiting", email } } });
  expect(c.status, c.text).toBe(201);
  const id = c.body.ticket.id as number;
  const u = await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: reply } } });
  expect(u.status, u.text).toBe(200);
  return { id, requesterId: c.body.ticket.requester_id as number };
}

/** The tenant's mail jobs' payloads, opened, oldest first (cleared ones left out). */
async function payloads(a: TestTenant): Promise<Array<Json & { status: string }>> {
  return t.db.tenant(a.tenantId, async (tx) => {
    const sealer = await t.keyring.sealerFor(tx);
    const rows = await tx.db.selectFrom("job_statuses").select(["id", "status", "payload_sealed"]).where("job_type", "=", "mail").orderBy("created_at").execute();
    return rows.flatMap((r) => (r.payload_sealed ? [{ ...(sealer.openJson(r.payload_sealed, { table: "job_statuses", column: "payload", row: r.id }) as Json), status: r.status }] : []));
  });
}

const recipients = (m: ParsedMail) => (Array.isArray(m.to) ? m.to : m.to ? [m.to] : []).flatMap((x) => x.value.map((v) => (v.address ?? "").toLowerCase()));

describe("a queued notification", () => {
  it("is recalled when its person's processing is restricted before it could be sent; a sign-in link they asked for still goes", async () => {
    const a = await buildTenant(t, "recall");
    const restrictedEmail = customer(a);
    const otherEmail = customer(a);
    const r = await ticketWithReply(a, restrictedEmail, "Your parcel ships today.");
    await ticketWithReply(a, otherEmail, "Your parcel ships today.");
    expect((await t.request({ method: "POST", path: "/api/v2/help_center/sign_in_links.json", host: a.host, body: { email: restrictedEmail } })).status).toBe(202);
    await firstAttemptsRefused(a, 3);

    // Restricted while its notification waits for the mail server.
    expect((await a.api("PUT", `/api/v2/users/${r.requesterId}/restriction.json`, { restriction: { restricted: true, reason: "Objected by phone" } })).status).toBe(200);
    smtp = await startSmtpPeer(port);
    await jobsSettled(t, a.tenantId);

    const to = (email: string) => smtp!.messages.filter((m) => recipients(m).includes(email));
    // The control: the other person's notification went once the server was back.
    expect(to(otherEmail).map((m) => m.text)).toEqual([expect.stringContaining("Your parcel ships today.")]);
    // The restricted person got the sign-in link they asked for, and not the notification.
    const theirs = to(restrictedEmail);
    expect(theirs).toHaveLength(1);
    expect(theirs[0]!.text).toMatch(/\/signin\?token=/);
    expect(theirs[0]!.text).not.toContain("Your parcel ships today.");

    // The recall is audited, and the job says why it ended.
    const log = ((await a.api("GET", "/api/v2/audit_logs.json?per_page=100")).body.audit_logs as Json[]).map((l) => `${l.action}:${l.source_id ?? ""}`);
    expect(log).toContain(`notification.withheld:${r.requesterId}`);
    const jobs = await t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("job_statuses").select(["status", "results"]).where("job_type", "=", "mail").execute());
    expect(jobs.map((j) => j.status).sort()).toEqual(["completed", "completed", "failed"]);
    expect(jobs.find((j) => j.status === "failed")!.results).toEqual([expect.objectContaining({ error: "Withheld" })]);
  });
  it("is written anew when the comment it quotes is redacted before it could be sent: no attempt sends the redacted words", async () => {
    await smtp?.close();
    smtp = undefined;
    const a = await buildTenant(t, "recallred");
    const email = customer(a);
    const { id } = await ticketWithReply(a, email);
    await firstAttemptsRefused(a, 1);
    const reply = ((await a.api("GET", `/api/v2/tickets/${id}/comments.json`)).body.comments as Json[]).at(-1)!;
    const redacted = await a.api("PUT", `/api/v2/tickets/${id}/comments/${reply.id}/redact.json`, { text: "Zorbitt-5511" });
    expect(redacted.status, redacted.text).toBe(200);
    // Only the ticket's own mail is opened: it carries its ticket's id (0057), nothing else in clear.
    const held = await t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("job_statuses").select(["ticket_id"]).where("job_type", "=", "mail").execute());
    const ticketUuid = await t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("tickets").select("id").where("nice_id", "=", id).executeTakeFirstOrThrow());
    expect(held).toEqual([{ ticket_id: ticketUuid.id }]);
    // The queued message holds the redacted text now, sealed as before.
    const payloads = await t.db.tenant(a.tenantId, async (tx) => {
      const sealer = await t.keyring.sealerFor(tx);
      const rows = await tx.db.selectFrom("job_statuses").select(["id", "status", "payload_sealed"]).where("job_type", "=", "mail").execute();
      return rows.map((r) => ({ status: r.status, text: r.payload_sealed ? (sealer.openJson(r.payload_sealed, { table: "job_statuses", column: "payload", row: r.id }) as { text: string }).text : "" }));
    });
    expect(payloads).toEqual([{ status: "queued", text: expect.stringContaining("Your parcel ships today.") }]);
    expect(payloads[0]!.text).not.toContain("Zorbitt");

    smtp = await startSmtpPeer(port);
    await jobsSettled(t, a.tenantId);
    const sent = smtp.messages.filter((m) => recipients(m).includes(email));
    expect(sent).toHaveLength(1);
    expect(sent[0]!.text).toContain("Your parcel ships today.");
    expect(sent[0]!.text).not.toContain("Zorbitt");
  });

  it("in flight when the comment it quotes is redacted: a later attempt goes as rewritten, or not at all when it is no longer to be sent", async () => {
    await smtp?.close();
    smtp = undefined;
    const a = await buildTenant(t, "recallfly");
    const [kept, gone] = [customer(a), customer(a)];
    const ids: number[] = [];
    for (const email of [kept, gone]) ids.push((await ticketWithReply(a, email)).id);
    await firstAttemptsRefused(a, 2);
    // Another process holds both, handing them to the mail server.
    await t.db.tenant(a.tenantId, (tx) => sql`UPDATE job_statuses SET status = 'working', locked_by = 'elsewhere', locked_until = now() + interval '1 hour' WHERE job_type = 'mail'`.execute(tx.db));
    // The first was queued before its ticket's id was kept with it (0057): found all the same.
    await t.db.tenant(a.tenantId, (tx) => sql`UPDATE job_statuses SET ticket_id = NULL WHERE id = (SELECT id FROM job_statuses WHERE job_type = 'mail' ORDER BY created_at LIMIT 1)`.execute(tx.db));
    const payloads = () =>
      t.db.tenant(a.tenantId, async (tx) => {
        const sealer = await t.keyring.sealerFor(tx);
        const rows = await tx.db.selectFrom("job_statuses").select(["id", "status", "payload_sealed"]).where("job_type", "=", "mail").orderBy("created_at").execute();
        return rows.map((r) => ({ status: r.status, ...(r.payload_sealed ? (sealer.openJson(r.payload_sealed, { table: "job_statuses", column: "payload", row: r.id }) as { to: string; text: string; withdrawn?: boolean; about?: { notification?: { event?: string } } }) : { to: "", text: "" }) }));
      });
    const event = (await payloads())[0]!.about!.notification!.event!;
    const redact = async (ticket: number) => {
      const reply = ((await a.api("GET", `/api/v2/tickets/${ticket}/comments.json`)).body.comments as Json[]).at(-1)!;
      const r = await a.api("PUT", `/api/v2/tickets/${ticket}/comments/${reply.id}/redact.json`, { text: "Zorbitt-5511" });
      expect(r.status, r.text).toBe(200);
    };
    await redact(ids[0]!);
    // The notification is turned off before the second redaction: that message is no longer to go.
    const off = await a.api("PUT", "/api/v2/notification_settings", { settings: { [event]: false } });
    expect(off.status, off.text).toBe(200);
    await redact(ids[1]!);
    const held = await payloads();
    expect(held.map((p) => p.status)).toEqual(["working", "working"]);
    expect(held[0]).toMatchObject({ to: kept, text: expect.stringContaining("Your parcel ships today.") });
    expect(held[1]).toMatchObject({ to: gone, text: "", withdrawn: true });
    for (const p of held) expect(p.text).not.toContain("Zorbitt");

    // That attempt failed: the other process lets them go, and this one tries again.
    expect((await a.api("PUT", "/api/v2/notification_settings", { settings: { [event]: true } })).status).toBe(200);
    await t.db.tenant(a.tenantId, (tx) => sql`UPDATE job_statuses SET status = 'queued', locked_by = NULL, locked_until = NULL, run_after = now() WHERE job_type = 'mail'`.execute(tx.db));
    smtp = await startSmtpPeer(port);
    await jobsSettled(t, a.tenantId);
    expect(smtp.messages.filter((m) => recipients(m).includes(gone))).toEqual([]);
    const sent = smtp.messages.filter((m) => recipients(m).includes(kept));
    expect(sent).toHaveLength(1);
    expect(sent[0]!.text).toContain("Your parcel ships today.");
    expect(sent[0]!.text).not.toContain("Zorbitt");
    const jobs = await t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("job_statuses").select(["status", "results"]).where("job_type", "=", "mail").orderBy("created_at").execute());
    expect(jobs.map((j) => j.status)).toEqual(["completed", "failed"]);
    expect(jobs[1]!.results).toEqual([expect.objectContaining({ error: "Withheld" })]);
  });

  it("kept as undelivered after a last attempt that failed while the comment it quotes was redacted: the copy holds the rewritten words", async () => {
    await smtp?.close();
    smtp = undefined;
    const a = await buildTenant(t, "recalllast");
    const email = customer(a);
    const { id } = await ticketWithReply(a, email);
    await firstAttemptsRefused(a, 1);
    // The next attempt is the last; the mail server takes the connection and says nothing until told.
    await t.db.tenant(a.tenantId, (tx) => sql`UPDATE job_statuses SET max_attempts = attempts + 1, run_after = now() + interval '1 second' WHERE job_type = 'mail'`.execute(tx.db));
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(port, "127.0.0.1", r));
    try {
      for (let i = 0; sockets.length === 0; i++) {
        if (i > 500) throw new Error("the last attempt never reached the mail server");
        await new Promise((r) => setTimeout(r, 20));
      }
      const reply = ((await a.api("GET", `/api/v2/tickets/${id}/comments.json`)).body.comments as Json[]).at(-1)!;
      const redacted = await a.api("PUT", `/api/v2/tickets/${id}/comments/${reply.id}/redact.json`, { text: "Zorbitt-5511" });
      expect(redacted.status, redacted.text).toBe(200);
      for (const s of sockets) s.destroy();
      await jobsSettled(t, a.tenantId);
    } finally {
      await new Promise<void>((r) => silent.close(() => r()));
    }
    const jobs = await t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("job_statuses").select(["status", "message"]).where("job_type", "=", "mail").execute());
    expect(jobs).toEqual([{ status: "failed", message: "Failed after every attempt." }]);
    const copies = await t.db.tenant(a.tenantId, async (tx) => {
      const sealer = await t.keyring.sealerFor(tx);
      const rows = await tx.db.selectFrom("undelivered_mail").select(["id", "message_sealed"]).execute();
      return rows.map((r) => (sealer.openJson(r.message_sealed, { table: "undelivered_mail", column: "message", row: r.id }) as { text: string }).text);
    });
    expect(copies).toEqual([expect.stringContaining("Your parcel ships today.")]);
    expect(copies[0]).not.toContain("Zorbitt");
  });

  it("about a ticket moved to the trash is held without its words; erased with its requester, withheld: no later attempt sends either", async () => {
    await smtp?.close();
    smtp = undefined;
    const a = await buildTenant(t, "recalldel");
    const [trashed, purged, kept] = [customer(a), customer(a), customer(a)];
    const ids: number[] = [];
    const requesters: number[] = [];
    for (const email of [trashed, purged, kept]) {
      const made = await ticketWithReply(a, email);
      ids.push(made.id);
      requesters.push(made.requesterId);
    }
    await firstAttemptsRefused(a, 3);
    // One ticket to the trash; the other's requester erased, and with them the ticket only they are party to.
    expect((await a.api("DELETE", `/api/v2/tickets/${ids[0]}.json`)).status).toBe(204);
    expect((await a.api("DELETE", `/api/v2/users/${requesters[1]}.json`)).status).toBe(200);
    const erased = await a.api("DELETE", `/api/v2/deleted_users/${requesters[1]}.json`);
    expect(erased.status, erased.text).toBeLessThan(300);
    expect((await a.api("GET", `/api/v2/tickets/${ids[1]}.json`)).status).toBe(404);
    // The kept ticket's message is still waiting; the trashed one's is held (what it is about, none
    // of its words or its address), put off for the trash's days; the erased one's payload is gone.
    const jobs = await t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("job_statuses").select(["status", "payload_sealed", "results", "run_after"]).where("job_type", "=", "mail").orderBy("created_at").execute());
    expect(jobs.map((j) => [j.status, j.payload_sealed === null])).toEqual([["queued", false], ["failed", true], ["queued", false]]);
    expect(jobs[1]!.results).toEqual([expect.objectContaining({ error: "Withheld" })]);
    expect(jobs[0]!.run_after.getTime()).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    const held = (await payloads(a)).find((p) => p.held)!;
    expect(held).toMatchObject({ to: "", subject: "", text: "", withdrawn: true, held: "trash" });
    expect(JSON.stringify(held)).not.toContain("Zorbitt");
    smtp = await startSmtpPeer(port);
    await jobsSettled(t, a.tenantId);
    expect(smtp.messages.flatMap(recipients).filter((r) => [trashed, purged, kept].includes(r))).toEqual([kept]);
  });

  it("leaves no undelivered copy with the redacted words when a last attempt fails while the comment is being redacted", async () => {
    await smtp?.close();
    smtp = undefined;
    const a = await buildTenant(t, "recallrace");
    const { id } = await ticketWithReply(a, customer(a));
    await firstAttemptsRefused(a, 1);
    const reply = ((await a.api("GET", `/api/v2/tickets/${id}/comments.json`)).body.comments as Json[]).at(-1)!;
    // Another process's last attempt has just failed: holding the job's row, it records the job as
    // failed and keeps the message it claimed as undelivered (job-runner.ts), not yet committed,
    // while the redaction comes in. (On PostgreSQL the two run at once; the embedded database takes
    // one transaction at a time.)
    let redaction: Promise<{ status: number; text: string }> | undefined;
    await t.db.tenant(a.tenantId, async (tx) => {
      const sealer = await t.keyring.sealerFor(tx);
      const job = (await sql<{ id: string; payload_sealed: Uint8Array }>`SELECT id, payload_sealed FROM job_statuses WHERE job_type = 'mail' FOR UPDATE`.execute(tx.db)).rows[0]!;
      const { notAfter: _n, ...message } = sealer.openJson(job.payload_sealed, { table: "job_statuses", column: "payload", row: job.id }) as { notAfter: unknown; about: { ticketId: string }; text: string };
      expect(message.text).toContain("Zorbitt");
      await sql`UPDATE job_statuses SET status = 'failed', payload_sealed = NULL, finished_at = now() WHERE id = ${job.id}`.execute(tx.db);
      const copy = crypto.randomUUID();
      await tx.db
        .insertInto("undelivered_mail")
        .values({ tenant_id: a.tenantId, id: copy, message_sealed: sealer.sealJson(message, { table: "undelivered_mail", column: "message", row: copy }), attempts: 4, failed_at: new Date(), ticket_id: message.about.ticketId, user_id: null })
        .execute();
      redaction = a.api("PUT", `/api/v2/tickets/${id}/comments/${reply.id}/redact.json`, { text: "Zorbitt-5511" });
      await new Promise((r) => setTimeout(r, 500));
    });
    const r = await redaction!;
    expect(r.status, r.text).toBe(200);
    const copies = await t.db.tenant(a.tenantId, async (tx) => {
      const sealer = await t.keyring.sealerFor(tx);
      const rows = await tx.db.selectFrom("undelivered_mail").select(["id", "message_sealed"]).execute();
      return rows.map((x) => (sealer.openJson(x.message_sealed, { table: "undelivered_mail", column: "message", row: x.id }) as { text: string }).text);
    });
    for (const text of copies) expect(text).not.toContain("Zorbitt");
  });
  it("held while its ticket is in the trash is written anew and sent when the ticket is restored; not for a person restricted since, nor after the ticket was deleted for good", async () => {
    await smtp?.close();
    smtp = undefined;
    const a = await buildTenant(t, "recallback");
    const [restored, restricted, purged] = [customer(a), customer(a), customer(a)];
    const made = [];
    for (const email of [restored, restricted, purged]) made.push(await ticketWithReply(a, email));
    const [r, x, p] = made as [{ id: number; requesterId: number }, { id: number; requesterId: number }, { id: number; requesterId: number }];
    await firstAttemptsRefused(a, 3);
    for (const m of made) expect((await a.api("DELETE", `/api/v2/tickets/${m.id}.json`)).status).toBe(204);
    // While in the trash: one requester's processing is restricted, another ticket deleted for good.
    expect((await a.api("PUT", `/api/v2/users/${x.requesterId}/restriction.json`, { restriction: { restricted: true, reason: "Objected by phone" } })).status).toBe(200);
    expect((await a.api("DELETE", `/api/v2/deleted_tickets/${p.id}.json`)).status).toBe(204);
    expect((await payloads(a)).map((m) => [m.status, m.held])).toEqual([["queued", "trash"], ["queued", "trash"]]);
    // Nothing of the deleted ticket comes back; another tenant cannot restore these; a light agent may not.
    expect((await a.api("PUT", `/api/v2/deleted_tickets/${p.id}/restore.json`)).status).toBe(404);
    const b = await buildTenant(t, "recallbackb");
    expect((await b.api("PUT", `/api/v2/deleted_tickets/${r.id}/restore.json`)).status).toBe(404);
    const light = await buildUser(t, a, "light-agent");
    expect((await a.api("PUT", `/api/v2/deleted_tickets/${r.id}/restore.json`, undefined, { email: light.email, token: light.token! })).status).toBe(403);

    const restore = await a.api("PUT", `/api/v2/deleted_tickets/restore_many.json?ids=${r.id},${x.id}`);
    expect(restore.status, restore.text).toBeLessThan(300);
    // Restoring again restores nothing, and queues nothing twice.
    expect((await a.api("PUT", `/api/v2/deleted_tickets/${r.id}/restore.json`)).status).toBe(404);
    // The restored ticket's message is written again from the ticket as it is now, due at once.
    const back = (await payloads(a)).filter((m) => m.about?.ticketId);
    expect(back.map((m) => [m.to, m.held])).toEqual([[restored, undefined]]);
    expect(["queued", "working"]).toContain(back[0]!.status);
    expect(back[0]!.text).toContain("Your parcel ships today.");

    smtp = await startSmtpPeer(port);
    await jobsSettled(t, a.tenantId);
    const got = smtp.messages.flatMap(recipients).filter((e) => [restored, restricted, purged].includes(e));
    expect(got).toEqual([restored]);
    const log = ((await a.api("GET", "/api/v2/audit_logs.json?per_page=100")).body.audit_logs as Json[]).map((l) => `${l.action}:${l.source_id ?? ""}`);
    expect(log).toContain(`notification.withheld:${x.requesterId}`);
    const jobs = await t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("job_statuses").select(["status", "payload_sealed"]).where("job_type", "=", "mail").where("ticket_id", "is not", null).orderBy("created_at").execute());
    expect(jobs.map((j) => [j.status, j.payload_sealed === null])).toEqual([["completed", true], ["failed", true], ["failed", true]]);
  });

  it("from a trigger is written anew, not dropped, when the comment it quotes is redacted: the mail goes without the redacted words", async () => {
    await smtp?.close();
    smtp = undefined;
    const a = await buildTenant(t, "recalltrig");
    const trig = await a.api("POST", "/api/v2/triggers.json", {
      trigger: { title: "Tell them", conditions: { all: [{ field: "current_tags", operator: "includes", value: "mailme" }] }, actions: [{ field: "notification_user", value: ["requester_id", "TRIG {{ticket.id}}", "Latest: {{ticket.latest_comment}}"] }] },
    });
    expect(trig.status, trig.text).toBe(201);
    const email = customer(a);
    const c = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Parcel question", tags: ["mailme"], comment: { body: "Opened by phone.", public: false }, requester: { name: "Kim Waiting", email } } });
    expect(c.status, c.text).toBe(201);
    const id = c.body.ticket.id as number;
    expect((await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: SECRET_REPLY } } })).status).toBe(200);
    // The built-in reply notification and the trigger's mail.
    await firstAttemptsRefused(a, 2);
    expect((await payloads(a)).filter((m) => m.subject.startsWith("TRIG")).map((m) => m.text)).toEqual([expect.stringContaining("Zorbitt")]);
    const reply = ((await a.api("GET", `/api/v2/tickets/${id}/comments.json`)).body.comments as Json[]).at(-1)!;
    expect((await a.api("PUT", `/api/v2/tickets/${id}/comments/${reply.id}/redact.json`, { text: "Zorbitt-5511" })).status).toBe(200);
    const waiting = await payloads(a);
    expect(waiting.map((m) => m.status)).toEqual(["queued", "queued"]);
    for (const m of waiting) expect(JSON.stringify(m)).not.toContain("Zorbitt");

    // Trashed and restored, the trigger's mail comes back too, written from the ticket as it is.
    expect((await a.api("DELETE", `/api/v2/tickets/${id}.json`)).status).toBe(204);
    expect((await a.api("PUT", `/api/v2/deleted_tickets/${id}/restore.json`)).status).toBe(204);
    smtp = await startSmtpPeer(port);
    await jobsSettled(t, a.tenantId);
    const sent = smtp.messages.filter((m) => recipients(m).includes(email));
    expect(sent.map((m) => m.subject ?? "")).toHaveLength(2);
    expect(sent.map((m) => m.subject ?? "")).toEqual(expect.arrayContaining([expect.stringContaining("Re: Parcel question"), `TRIG ${id}`]));
    for (const m of sent) {
      expect(m.text).toContain("Your parcel ships today.");
      expect(m.text).not.toContain("Zorbitt");
    }
  });

  it("held in the trash: no address at rest; a requester erased meanwhile gets nothing, one whose address change is unconfirmed gets it at the proven one, and restores racing send it once", async () => {
    await smtp?.close();
    smtp = undefined;
    const a = await buildTenant(t, "recallrace");
    const [moved, erased, raced] = [customer(a), customer(a), customer(a)];
    const newAddress = customer(a);
    const made = [];
    for (const email of [moved, erased, raced]) made.push(await ticketWithReply(a, email));
    const [m, e, r] = made as [{ id: number; requesterId: number }, { id: number; requesterId: number }, { id: number; requesterId: number }];
    await firstAttemptsRefused(a, 3);
    for (const x of made) expect((await a.api("DELETE", `/api/v2/tickets/${x.id}.json`)).status).toBe(204);
    // Held: neither the addresses nor the words stay in the queue.
    const held = await payloads(a);
    expect(held.map((x) => x.held)).toEqual(["trash", "trash", "trash"]);
    for (const x of held) for (const w of [moved, erased, raced, "Zorbitt", "Parcel question"]) expect(JSON.stringify(x)).not.toContain(w);
    // While in the trash: one requester's address changes, another requester is erased.
    const upd = await a.api("PUT", `/api/v2/users/${m.requesterId}.json`, { user: { email: newAddress } });
    expect(upd.status, upd.text).toBe(200);
    expect((await a.api("DELETE", `/api/v2/users/${e.requesterId}.json`)).status).toBeLessThan(300);
    const gone = await a.api("DELETE", `/api/v2/deleted_users/${e.requesterId}.json`);
    expect(gone.status, gone.text).toBeLessThan(300);
    // Restores of the same ticket at once: one restores it, the other answers 404 (or 409), never a 500.
    const both = await Promise.all([0, 1].map(() => a.api("PUT", `/api/v2/deleted_tickets/${r.id}/restore.json`)));
    expect(both.map((x) => x.status).sort()).toEqual([204, expect.any(Number)]);
    for (const x of both) expect(x.status, x.text).toBeLessThan(500);
    expect((await a.api("PUT", `/api/v2/deleted_tickets/${m.id}/restore.json`)).status).toBe(204);
    // The erased requester's ticket is gone with them, or restored to nobody who can be written to.
    const back = await a.api("PUT", `/api/v2/deleted_tickets/${e.id}/restore.json`);
    expect(back.status, back.text).toBeLessThan(500);

    smtp = await startSmtpPeer(port);
    await jobsSettled(t, a.tenantId);
    // The new address is not confirmed yet (a confirmation goes to it): the ticket's mail goes to the proven one.
    const got = smtp.messages.filter((x) => (x.subject ?? "").includes("Re: Parcel question")).flatMap(recipients).filter((x) => [moved, erased, raced, newAddress].includes(x));
    expect(got.sort()).toEqual([moved, raced].sort());
    for (const x of smtp.messages) expect(x.text ?? "").not.toContain(erased);
    const left = await payloads(a);
    expect(left).toEqual([]);
  });

  it("from a trigger to an agent, held in the trash, is not sent to them once they are an end user: no internal note reaches them", async () => {
    await smtp?.close();
    smtp = undefined;
    const a = await buildTenant(t, "recalldemote");
    const agent = await buildUser(t, a, "agent", "Ada Gent");
    const trig = await a.api("POST", "/api/v2/triggers.json", {
      trigger: { title: "Tell the assignee", conditions: { all: [{ field: "current_tags", operator: "includes", value: "mailme" }] }, actions: [{ field: "notification_user", value: ["assignee_id", "ASSIGNEE {{ticket.id}}", "Latest: {{ticket.latest_comment}}"] }] },
    });
    expect(trig.status, trig.text).toBe(201);
    const c = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Parcel question", tags: ["mailme"], assignee_id: agent.id, comment: { body: "Internal: Zorbitt-5511 is the door code.", public: false }, requester: { name: "Kim Waiting", email: customer(a) } } });
    expect(c.status, c.text).toBe(201);
    const id = c.body.ticket.id as number;
    // Made public by a reply to the requester, then the internal note again is the latest.
    expect((await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: "We are on it.", public: true } } })).status).toBe(200);
    expect((await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: "Internal again: Zorbitt-5511.", public: false } } })).status).toBe(200);
    // The agent's invitation, the requester's reply notification and the trigger's mail of each write.
    await firstAttemptsRefused(a, 5);
    expect((await payloads(a)).filter((m) => m.subject.startsWith("ASSIGNEE")).map((m) => m.to)).toEqual([agent.email, agent.email, agent.email]);
    expect((await a.api("DELETE", `/api/v2/tickets/${id}.json`)).status).toBe(204);
    const demoted = await a.api("PUT", `/api/v2/users/${agent.id}.json`, { user: { role: "end-user" } });
    expect(demoted.status, demoted.text).toBe(200);
    expect((await a.api("PUT", `/api/v2/deleted_tickets/${id}/restore.json`)).status).toBe(204);
    smtp = await startSmtpPeer(port);
    await jobsSettled(t, a.tenantId);
    expect(smtp.messages.filter((m) => (m.subject ?? "").startsWith("ASSIGNEE"))).toEqual([]);
    for (const m of smtp.messages) expect(m.text ?? "").not.toContain("Zorbitt");
  });
});
