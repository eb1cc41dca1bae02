import crypto from "node:crypto";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, buildUser, startTestApp, type TestApp } from "./support/harness.ts";
import { jobsSettled } from "./support/people.ts";
import { startSmtpPeer, type SmtpPeer } from "./support/smtp-peer.ts";

/**
 * The dead-letter list: notifications the mail server never took. The mail server is real and
 * starts late: until then every attempt is refused at the TCP level.
 */

let t: TestApp;
let smtp: SmtpPeer | undefined;
let port = 0;

beforeAll(async () => {
  port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  t = await startTestApp({ env: { VAULTDESK_SMTP_URL: `smtp://127.0.0.1:${port}`, VAULTDESK_JOB_POLL_SECONDS: "0.1", VAULTDESK_MAIL_RETRY_SECONDS: "0.1" } });
});
afterAll(async () => {
  await t?.close();
  await smtp?.close();
});

describe("undelivered mail", () => {
  it("keeps notifications no attempt delivered for admins to send again or delete, and never a sign-in link", async () => {
    const a = await buildTenant(t, "ntdead");
    const agent = await buildUser(t, a, "agent");
    const email = `c-${crypto.randomBytes(3).toString("hex")}@${a.subdomain}.test`;
    const c = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Your parcel", comment: { body: "It ships today." }, requester: { name: "Lee Late", email } } });
    expect(c.status).toBe(201);
    // A sign-in link for the same person: it expires, so it is never kept.
    expect((await t.request({ method: "POST", path: "/api/v2/help_center/sign_in_links.json", host: a.host, body: { email } })).status).toBe(202);
    await jobsSettled(t, a.tenantId);

    expect((await a.api("GET", "/api/v2/undelivered_mail.json", undefined, { email: agent.email, token: agent.token! })).status).toBe(403);
    const list = await a.api("GET", "/api/v2/undelivered_mail.json");
    expect(list.status).toBe(200);
    expect(list.body.undelivered_mail).toHaveLength(1);
    const dead = list.body.undelivered_mail[0];
    expect(dead).toMatchObject({ to: email, subject: expect.stringContaining("Your parcel"), attempts: 2 });
    // Another tenant cannot see, send or delete it.
    const b = await buildTenant(t, "ntdeadb");
    expect((await b.api("GET", "/api/v2/undelivered_mail.json")).body.undelivered_mail).toEqual([]);
    expect((await b.api("POST", `/api/v2/undelivered_mail/${dead.id}/resend.json`)).status).toBe(404);
    expect((await b.api("DELETE", `/api/v2/undelivered_mail/${dead.id}.json`)).status).toBe(404);
    expect((await a.api("POST", "/api/v2/undelivered_mail/not-an-id/resend.json")).status).toBe(422);

    // The mail server is back: sent again, it arrives, and leaves the list.
    smtp = await startSmtpPeer(port);
    expect((await a.api("POST", `/api/v2/undelivered_mail/${dead.id}/resend.json`)).status).toBe(204);
    const mail = await smtp.waitFor(email);
    expect(mail.text).toContain("It ships today.");
    expect((await a.api("GET", "/api/v2/undelivered_mail.json")).body.undelivered_mail).toEqual([]);
    expect((await a.api("POST", `/api/v2/undelivered_mail/${dead.id}/resend.json`)).status).toBe(404);
    await jobsSettled(t, a.tenantId);
    // Only the notification was sent again: the sign-in link was not kept.
    expect(smtp.messages.filter((m) => /signin\?token=/.test(m.text ?? ""))).toEqual([]);
  });

  it("keeps each CC's notification apart; sent again, one goes only to a person still copied on the ticket", async () => {
    // The mail server is down again.
    await smtp?.close();
    smtp = undefined;
    const a = await buildTenant(t, "ntdeadcc");
    const people = [];
    for (const name of ["Cleo Copied", "Ray Removed"]) {
      const email = `${name.split(" ")[0]!.toLowerCase()}-${crypto.randomBytes(3).toString("hex")}@${a.subdomain}.test`;
      const u = await a.api("POST", "/api/v2/users.json", { user: { name, email, role: "end-user" } });
      expect(u.status, u.text).toBe(201);
      people.push({ id: u.body.user.id as number, email });
    }
    const [kept, removed] = people as [{ id: number; email: string }, { id: number; email: string }];
    const requester = `c-${crypto.randomBytes(3).toString("hex")}@${a.subdomain}.test`;
    const c = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Roof repair", comment: { body: "The roofer comes Friday." }, requester: { name: "Lee Late", email: requester }, collaborator_ids: [kept.id, removed.id] } });
    expect(c.status, c.text).toBe(201);
    await jobsSettled(t, a.tenantId);
    const list = (await a.api("GET", "/api/v2/undelivered_mail.json")).body.undelivered_mail as Array<{ id: string; to: string; subject: string }>;
    // One message per person, each to one address.
    expect(list.map((m) => m.to).sort()).toEqual([requester, kept.email, removed.email].sort());
    const deadTo = (email: string) => list.find((m) => m.to === email)!.id;

    // No longer copied: the message is not sent again (409) and stays listed to be dropped.
    expect((await a.api("PUT", `/api/v2/tickets/${c.body.ticket.id}.json`, { ticket: { collaborator_ids: [kept.id] } })).status).toBe(200);
    smtp = await startSmtpPeer(port);
    expect((await a.api("POST", `/api/v2/undelivered_mail/${deadTo(removed.email)}/resend.json`)).status).toBe(409);
    expect((await a.api("POST", `/api/v2/undelivered_mail/${deadTo(kept.email)}/resend.json`)).status).toBe(204);
    const mail = await smtp.waitFor(kept.email);
    expect(mail.text).toContain("The roofer comes Friday.");
    await jobsSettled(t, a.tenantId);
    expect(smtp.messages.filter((m) => JSON.stringify(m.to).includes(removed.email))).toEqual([]);
    expect(((await a.api("GET", "/api/v2/undelivered_mail.json")).body.undelivered_mail as Array<{ to: string }>).map((m) => m.to).sort()).toEqual([requester, removed.email].sort());
  });
  it("a redaction of the ticket drops its undelivered mail, which held the text (an unrelated ticket's stays)", async () => {
    await smtp?.close();
    smtp = undefined;
    const a = await buildTenant(t, "ntdeadred");
    const requester = `c-${crypto.randomBytes(3).toString("hex")}@${a.subdomain}.test`;
    const open = async (subject: string, body: string) => {
      const r = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject, comment: { body }, requester: { name: "Lee Late", email: requester } } });
      expect(r.status, r.text).toBe(201);
      return r.body.ticket.id as number;
    };
    const redacted = await open("Parcel for Quimbly Oxhart", "Quimbly Oxhart: it ships today.");
    const other = await open("Roof repair", "The roofer comes Friday.");
    await jobsSettled(t, a.tenantId);
    const subjects = async () => ((await a.api("GET", "/api/v2/undelivered_mail.json")).body.undelivered_mail as Array<{ subject: string }>).map((m) => m.subject);
    expect((await subjects()).some((x) => x.includes("Quimbly"))).toBe(true);
    const first = (await a.api("GET", `/api/v2/tickets/${redacted}/comments.json`)).body.comments[0].id as number;
    // Text nowhere in the ticket: nothing changes, the mail stays.
    expect((await a.api("PUT", `/api/v2/tickets/${redacted}/comments/${first}/redact.json`, { text: "not in it" })).status).toBe(200);
    expect((await subjects()).some((x) => x.includes("Quimbly"))).toBe(true);
    expect((await a.api("PUT", `/api/v2/tickets/${redacted}/comments/${first}/redact.json`, { text: "Quimbly Oxhart" })).status).toBe(200);
    const left = await subjects();
    expect(left.some((x) => x.includes("Quimbly"))).toBe(false);
    expect(left.some((x) => x.includes("Roof repair")), JSON.stringify(left)).toBe(true);
    expect(other).toBeGreaterThan(redacted);
  });
  it("keeps a trigger's mail as well, sent again written anew (admins only, once), and not to a person restricted since", async () => {
    await smtp?.close();
    smtp = undefined;
    const a = await buildTenant(t, "ntdeadtrig");
    const trig = await a.api("POST", "/api/v2/triggers.json", {
      trigger: { title: "Tell them", conditions: { all: [{ field: "current_tags", operator: "includes", value: "mailme" }] }, actions: [{ field: "notification_user", value: ["requester_id", "TRIG {{ticket.id}}", "Latest: {{ticket.latest_comment}}"] }] },
    });
    expect(trig.status, trig.text).toBe(201);
    const emails = [0, 1].map(() => `c-${crypto.randomBytes(3).toString("hex")}@${a.subdomain}.test`);
    const ids: number[] = [];
    const requesters: number[] = [];
    for (const email of emails) {
      const c = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Your parcel", tags: ["mailme"], comment: { body: "It ships today." }, requester: { name: "Lee Late", email } } });
      expect(c.status, c.text).toBe(201);
      ids.push(c.body.ticket.id as number);
      requesters.push(c.body.ticket.requester_id as number);
    }
    const agent = await buildUser(t, a, "agent");
    await jobsSettled(t, a.tenantId);
    type Dead = { id: string; to: string; subject: string };
    const trigDead = async () => ((await a.api("GET", "/api/v2/undelivered_mail.json")).body.undelivered_mail as Dead[]).filter((m) => m.subject.startsWith("TRIG"));
    const [sent, later] = emails.map(async (email) => (await trigDead()).find((m) => m.to === email)!);
    const dead = await sent!;
    const restricted = await later!;
    expect(dead.subject).toBe(`TRIG ${ids[0]}`);

    // Another tenant's id is a missing one; an agent may not send it again.
    const b = await buildTenant(t, "ntdeadtrigb");
    expect((await b.api("POST", `/api/v2/undelivered_mail/${dead.id}/resend.json`)).status).toBe(404);
    expect((await a.api("POST", `/api/v2/undelivered_mail/${dead.id}/resend.json`, undefined, { email: agent.email, token: agent.token! })).status).toBe(403);
    // A person restricted since is not written to: 409, and it stays listed for dropping.
    expect((await a.api("PUT", `/api/v2/users/${requesters[1]}/restriction.json`, { restriction: { restricted: true, reason: "Objected" } })).status).toBe(200);
    expect((await a.api("POST", `/api/v2/undelivered_mail/${restricted.id}/resend.json`)).status).toBe(409);
    expect((await trigDead()).map((m) => m.id)).toContain(restricted.id);

    smtp = await startSmtpPeer(port);
    expect((await a.api("POST", `/api/v2/undelivered_mail/${dead.id}/resend.json`)).status).toBe(204);
    expect((await a.api("POST", `/api/v2/undelivered_mail/${dead.id}/resend.json`)).status).toBe(404);
    await jobsSettled(t, a.tenantId);
    const got = smtp.messages.filter((m) => JSON.stringify(m.to).includes(emails[0]!) && (m.subject ?? "").startsWith("TRIG"));
    expect(got.map((m) => [m.subject, m.text?.trim()])).toEqual([[`TRIG ${ids[0]}`, "Latest: It ships today."]]);
    expect(smtp.messages.filter((m) => JSON.stringify(m.to).includes(emails[1]!))).toEqual([]);
    expect((await trigDead()).map((m) => m.id)).toEqual([restricted.id]);
  });
});
