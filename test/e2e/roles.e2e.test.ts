import type { Response } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiCall, expectAccessible, firstAccount, shot, signIn, startHarness, visible, type Harness } from "./support.ts";

/**
 * Custom roles in Chromium: the owner creates a role on the admin center's Roles page that keeps
 * agents to the tickets assigned to them, gives it to an agent on their page, and the agent's
 * workspace then lists only their own ticket while another one answers as missing. An agent whose
 * role grants groups and the audit log reaches exactly those pages of the admin center, and no
 * call the pages make is refused. Every page passes axe-core; screenshots roles-*.png.
 */

const PASSWORD = "Quarry lantern orchard 58!";
const OWNER = "ann@acme.test";
const AGENT_PASSWORD = "Agent lantern passphrase 58";

let h: Harness;
let ownerApi: Record<string, string>;
let agentId = 0;
let agentEmail = "";
let mine = 0;
let other = 0;

beforeAll(async () => {
  h = await startHarness();
  ownerApi = await firstAccount(h, PASSWORD);
  // An agent with a password (an invitation accepted), and two tickets: one theirs, one not.
  const inv = await apiCall(h, "POST", "/api/v2/invitations.json", { headers: ownerApi, body: { invitation: { email: "bo@acme.test", role: "agent" } } });
  expect(inv.status).toBe(201);
  const acc = await apiCall(h, "POST", "/api/v2/invitations/accept.json", { body: { token: inv.body.invitation.token, name: "Bo Agent", password: AGENT_PASSWORD } });
  expect(acc.status).toBe(201);
  agentId = acc.body.session.user_id as number;
  agentEmail = "bo@acme.test";
  const t1 = await apiCall(h, "POST", "/api/v2/tickets.json", { headers: ownerApi, body: { ticket: { subject: "Printer on fire", assignee_id: agentId, comment: { body: "Smoke" } } } });
  const t2 = await apiCall(h, "POST", "/api/v2/tickets.json", { headers: ownerApi, body: { ticket: { subject: "Board minutes leak", comment: { body: "Confidential" } } } });
  mine = t1.body.ticket.id as number;
  other = t2.body.ticket.id as number;
});
afterAll(async () => h?.close());

describe("custom roles in Chromium", () => {
  it("are created on the Roles page and given to an agent on their page", async () => {
    const page = await h.newPage();
    await page.goto(`${h.base}/admin/roles`);
    await signIn(page, OWNER, PASSWORD);
    await visible(page.getByRole("heading", { name: "Roles", level: 1 }));
    await visible(page.getByRole("cell", { name: /Light agent/ }));
    await page.getByLabel("Name").fill("Field technicians");
    await page.getByRole("button", { name: "Create role" }).click();
    await visible(page.getByRole("heading", { name: "Field technicians", level: 1 }));
    await page.getByLabel("Tickets they can see").selectOption("assigned-only");
    await page.getByLabel("Delete tickets").uncheck();
    await page.getByRole("button", { name: "Save role" }).click();
    await visible(page.getByText("Role saved."));
    await expectAccessible(page, "role page");
    await shot(page, "roles-edit");

    await page.goto(`${h.base}/admin/people/${agentId}`);
    await visible(page.getByRole("heading", { name: "Custom role", level: 2 }));
    await page.getByRole("combobox", { name: "Custom role" }).selectOption({ label: "Field technicians" });
    await page.getByRole("button", { name: "Save custom role" }).click();
    await visible(page.getByText("Custom role saved."));
    await expectAccessible(page, "person page with a custom role");
    await shot(page, "roles-person");

    await page.goto(`${h.base}/admin/roles`);
    await visible(page.getByRole("cell", { name: "Tickets assigned to them" }));
    await expectAccessible(page, "roles page");
    await shot(page, "roles-list");
    const r = await apiCall(h, "GET", `/api/v2/users/${agentId}.json`, { headers: ownerApi });
    expect(r.body.user.role_type).toBe(0);
  });

  it("keeps the agent's workspace to their own tickets", async () => {
    const page = await h.newPage();
    await page.goto(`${h.base}/agent`);
    await signIn(page, agentEmail, AGENT_PASSWORD);
    await visible(page.getByRole("link", { name: "Printer on fire" }));
    expect(await page.getByText("Board minutes leak").count()).toBe(0);
    await shot(page, "roles-agent-workspace");
    await page.goto(`${h.base}/agent/tickets/${other}`);
    await visible(page.getByText(/not found/i).first());
    expect(await page.getByText("Confidential").count()).toBe(0);
    await page.goto(`${h.base}/agent/tickets/${mine}`);
    await visible(page.getByText("Smoke"));
  });

  it("opens to an agent exactly the admin pages their role grants (groups and the audit log), with no refused call", async () => {
    const roleId = (
      await apiCall(h, "POST", "/api/v2/custom_roles.json", {
        headers: ownerApi,
        body: { custom_role: { name: "Team leads", configuration: { ticket_access: "all", ticket_editing: true, ticket_comment_access: "public", group_access: true, audit_log_access: true, organization_editing: false, api_token_access: false } } },
      })
    ).body.custom_role.id as number;
    const inv = await apiCall(h, "POST", "/api/v2/invitations.json", { headers: ownerApi, body: { invitation: { email: "lee@acme.test", role: "agent" } } });
    const acc = await apiCall(h, "POST", "/api/v2/invitations/accept.json", { body: { token: inv.body.invitation.token, name: "Lee Lead", password: AGENT_PASSWORD } });
    expect(acc.status).toBe(201);
    expect((await apiCall(h, "PUT", `/api/v2/users/${acc.body.session.user_id}.json`, { headers: ownerApi, body: { user: { custom_role_id: roleId } } })).status).toBe(200);

    const page = await h.newPage();
    const refused: string[] = [];
    page.on("response", (r: Response) => {
      if (r.url().includes("/api/") && r.status() === 403) refused.push(`${r.request().method()} ${new URL(r.url()).pathname} ${r.status()}`);
    });
    await page.goto(`${h.base}/agent`);
    await signIn(page, "lee@acme.test", AGENT_PASSWORD);
    await page.getByRole("link", { name: "Admin center" }).click();
    // The admin center opens on the first page the role allows; its menu holds exactly those.
    await page.waitForURL(`${h.base}/admin/groups`);
    await visible(page.getByRole("heading", { name: "Groups", level: 1 }));
    const nav = page.getByRole("navigation", { name: "Admin center" });
    expect(await nav.getByRole("link").allTextContents()).toEqual(["Groups", "Audit log"]);
    await page.getByLabel("New group's name").fill("Escalations");
    await page.getByRole("button", { name: "Create group" }).click();
    await page.getByRole("link", { name: "Escalations" }).click();
    await visible(page.getByRole("heading", { name: /Escalations/, level: 1 }));
    await page.getByLabel("Add a member").selectOption({ label: "Bo Agent" });
    await page.getByRole("button", { name: "Add", exact: true }).click();
    await visible(page.getByRole("button", { name: "Remove Bo Agent from the group" }));
    await expectAccessible(page, "a group, for a team lead");
    await shot(page, "roles-admin-group");

    await nav.getByRole("link", { name: "Audit log" }).click();
    await visible(page.getByText(/entries verify/));
    await visible(page.locator("table.admin td.primary").first());
    await expectAccessible(page, "the audit log, for a team lead");
    await shot(page, "roles-admin-audit");

    // Pages beyond the role say so instead of loading (and calling what would answer 403).
    for (const p of ["/admin/people", "/admin/organizations", "/admin/tokens", "/admin/roles", "/admin/account"]) {
      await page.goto(`${h.base}${p}`);
      await visible(page.getByRole("heading", { name: "This page is not part of your role", level: 1 }));
    }
    await shot(page, "roles-admin-not-in-role");
    await page.goto(`${h.base}/admin`);
    await page.waitForURL(`${h.base}/admin/groups`);
    await visible(page.getByRole("heading", { name: "Groups", level: 1 }));
    await page.waitForLoadState("networkidle");
    expect(refused).toEqual([]);
    // The server refuses what the menu leaves out.
    const status = await page.evaluate<number>(`fetch("/api/v2/users/${agentId}/sessions.json").then((r) => r.status)`);
    expect(status).toBe(403);
  });
});
