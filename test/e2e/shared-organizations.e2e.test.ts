import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiCall, expectAccessible, expectInert, firstAccount, shot, signInHelpCenter, startHarness, visible, type Harness } from "./support.ts";

/**
 * Shared organizations in the help center, in Chromium. Shared Co shares its requests with its
 * members; Private Co does not. Bob (Shared Co) finds the tab "My organization's requests", sees
 * Ann's request there and opens it: the agent's public reply is shown, the internal note is not.
 * Cat (Private Co) gets no tab, and Ann's request answers as missing. Screenshots hc-org-*.png.
 */

const PASSWORD = "Orchard lantern quarry 41!";
const MEMBER_PASSWORD = "Shared organization passphrase 7";
const SUBJECT = "Badge reader at door 3 is dead";
const DESCRIPTION = "Nobody can get into the lab since this morning.";
const REPLY = "A technician is on the way with a spare reader.";
const NOTE = "INTERNAL-NOTE-vendor-contract-expired";

let h: Harness;
let ownerApi: Record<string, string>;
let annsRequest = 0;

/** An end user in `organization` with a password of their own (an admin's is for one sign-in only). */
async function member(name: string, email: string, organization: number): Promise<number> {
  const u = await apiCall(h, "POST", "/api/v2/users.json", { headers: ownerApi, body: { user: { name, email, organization_id: organization } } });
  expect(u.status, JSON.stringify(u.body)).toBe(201);
  const id = u.body.user.id as number;
  const first = `${MEMBER_PASSWORD} first`;
  expect((await apiCall(h, "POST", `/api/v2/users/${id}/password.json`, { headers: ownerApi, body: { password: first } })).status).toBe(204);
  const s = await apiCall(h, "POST", "/api/v2/session.json", { body: { email, password: first } });
  expect(s.status).toBe(201);
  const session = { cookie: (s.headers["set-cookie"] as string[]).find((c) => c.startsWith("vd_session="))!.split(";")[0]!, "x-csrf-token": s.body.session.csrf_token as string };
  const changed = await apiCall(h, "PUT", "/api/v2/users/me/password.json", { headers: session, body: { previous_password: first, password: MEMBER_PASSWORD } });
  expect(changed.status).toBe(204);
  return id;
}

/** Signs in on the help center with the password form. */
beforeAll(async () => {
  h = await startHarness();
  ownerApi = await firstAccount(h, PASSWORD);
  expect((await apiCall(h, "PUT", "/api/v2/password_settings.json", { headers: ownerApi, body: { password_settings: { admins_set_end_user_passwords: true } } })).status).toBe(200);
  const shared = (await apiCall(h, "POST", "/api/v2/organizations.json", { headers: ownerApi, body: { organization: { name: "Shared Co" } } })).body.organization.id as number;
  expect((await apiCall(h, "PUT", `/api/v2/organizations/${shared}.json`, { headers: ownerApi, body: { organization: { shared_tickets: true } } })).status).toBe(200);
  const priv = (await apiCall(h, "POST", "/api/v2/organizations.json", { headers: ownerApi, body: { organization: { name: "Private Co" } } })).body.organization.id as number;
  const ann = await member("Ann Member", "ann@shared.test", shared);
  await member("Bob Member", "bob@shared.test", shared);
  await member("Cat Outsider", "cat@private.test", priv);

  const tk = await apiCall(h, "POST", "/api/v2/tickets.json", { headers: ownerApi, body: { ticket: { subject: SUBJECT, requester_id: ann, organization_id: shared, comment: { body: DESCRIPTION } } } });
  expect(tk.status, JSON.stringify(tk.body)).toBe(201);
  annsRequest = tk.body.ticket.id as number;
  for (const comment of [{ body: REPLY, public: true }, { body: NOTE, public: false }]) {
    expect((await apiCall(h, "PUT", `/api/v2/tickets/${annsRequest}.json`, { headers: ownerApi, body: { ticket: { comment } } })).status).toBe(200);
  }
});
afterAll(async () => h?.close());

describe("shared organizations in the help center", () => {
  it("show a member their colleague's request with its public conversation, never the internal note", async () => {
    const page = await h.newPage();
    await signInHelpCenter(h, page, "bob@shared.test", MEMBER_PASSWORD);
    await page.goto(`${h.base}/requests`);
    await visible(page.getByRole("heading", { name: "My requests", level: 1 }));
    await visible(page.getByText("You have no requests yet."));
    const tabs = page.getByRole("navigation", { name: "Whose requests" });
    await visible(tabs.getByRole("link", { name: "My organization's requests" }));
    await tabs.getByRole("link", { name: "My organization's requests" }).click();
    await page.waitForURL(`${h.base}/requests/organization`);
    await visible(page.getByRole("heading", { name: "My organization's requests", level: 1 }));
    const row = page.getByRole("row", { name: new RegExp(SUBJECT) });
    await visible(row);
    await visible(row.getByRole("cell", { name: "Someone in your organization" }));
    expect(await tabs.getByRole("link", { name: "My organization's requests" }).getAttribute("aria-current")).toBe("page");
    await expectAccessible(page, "the organization's requests");
    await shot(page, "hc-org-requests-desktop");

    await row.getByRole("link", { name: SUBJECT }).click();
    await page.waitForURL(`${h.base}/requests/${annsRequest}`);
    await visible(page.getByRole("heading", { name: `Request #${annsRequest}` }));
    await visible(page.getByText(DESCRIPTION));
    await visible(page.getByText(REPLY));
    await visible(page.getByRole("link", { name: "Back to my organization's requests" }));
    await page.waitForLoadState("networkidle");
    expect(await page.content()).not.toContain(NOTE);
    await expectAccessible(page, "a colleague's request");
    await shot(page, "hc-org-request-desktop");

    // The tab speaks the visitor's language (here Japanese).
    await page.goto(`${h.base}/requests`);
    await page.getByLabel("Language").selectOption("ja");
    await visible(page.getByRole("link", { name: "組織のリクエスト" }));
    await page.getByLabel("言語").selectOption("en");
    await expectInert(h, page);
  });

  it("give a member of an organization that does not share no tab, and keep the colleague's request missing", async () => {
    const page = await h.newPage();
    await signInHelpCenter(h, page, "cat@private.test", MEMBER_PASSWORD);
    await page.goto(`${h.base}/requests`);
    await visible(page.getByRole("heading", { name: "My requests", level: 1 }));
    await visible(page.getByText("You have no requests yet."));
    await page.waitForLoadState("networkidle");
    // Their own requests and those they are copied on; no organization's tab.
    expect(await page.getByRole("navigation", { name: "Whose requests" }).getByRole("link").allTextContents()).toEqual(["My requests", "Requests I'm CC'd on"]);
    expect(await page.getByRole("link", { name: "My organization's requests" }).count()).toBe(0);
    await shot(page, "hc-org-not-shared-desktop");

    await page.goto(`${h.base}/requests/organization`);
    await visible(page.getByText("Your organization does not share its requests with its members."));
    await page.goto(`${h.base}/requests/${annsRequest}`);
    await visible(page.getByRole("heading", { name: "This request was not found." }));
    expect(await page.content()).not.toContain(SUBJECT);
    await expectInert(h, page);
  });

  it("show someone copied on a request that request, its public conversation and a reply box, while they are copied", async () => {
    const cat = (await apiCall(h, "GET", `/api/v2/users/search.json?query=${encodeURIComponent("cat@private.test")}`, { headers: ownerApi })).body.users[0].id as number;
    expect((await apiCall(h, "PUT", `/api/v2/tickets/${annsRequest}.json`, { headers: ownerApi, body: { ticket: { collaborator_ids: [cat] } } })).status).toBe(200);
    const page = await h.newPage();
    await signInHelpCenter(h, page, "cat@private.test", MEMBER_PASSWORD);
    await page.goto(`${h.base}/requests`);
    const tabs = page.getByRole("navigation", { name: "Whose requests" });
    await tabs.getByRole("link", { name: "Requests I'm CC'd on" }).click();
    await page.waitForURL(`${h.base}/requests/ccd`);
    await visible(page.getByRole("heading", { name: "Requests I'm CC'd on", level: 1 }));
    expect(await tabs.getByRole("link", { name: "Requests I'm CC'd on" }).getAttribute("aria-current")).toBe("page");
    const row = page.getByRole("row", { name: new RegExp(SUBJECT) });
    await visible(row);
    await expectAccessible(page, "the requests one is copied on");
    await shot(page, "hc-ccd-requests-desktop");

    await row.getByRole("link", { name: SUBJECT }).click();
    await page.waitForURL(`${h.base}/requests/${annsRequest}`);
    await visible(page.getByText(REPLY));
    await visible(page.getByRole("link", { name: "Back to requests I'm CC'd on" }));
    await page.waitForLoadState("networkidle");
    expect(await page.content()).not.toContain(NOTE);
    // Marking it solved is the requester's; a reply is theirs too.
    expect(await page.getByLabel("My issue is resolved: mark this request solved").count()).toBe(0);
    const words = "Copied in and confirming: door 3 is still dead.";
    await page.getByLabel("Your reply").fill(words);
    await page.getByRole("button", { name: "Send reply" }).click();
    await visible(page.locator(".conversation").getByText(words));
    await expectInert(h, page);

    // Taken off the CCs, it is missing for them again.
    expect((await apiCall(h, "PUT", `/api/v2/tickets/${annsRequest}.json`, { headers: ownerApi, body: { ticket: { collaborator_ids: [] } } })).status).toBe(200);
    await page.goto(`${h.base}/requests/ccd`);
    await visible(page.getByText("You are not copied on any request."));
    await page.goto(`${h.base}/requests/${annsRequest}`);
    await visible(page.getByRole("heading", { name: "This request was not found." }));
  });
});
