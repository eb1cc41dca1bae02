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
});
