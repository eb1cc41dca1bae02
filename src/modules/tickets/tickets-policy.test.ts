import { describe, expect, it } from "vitest";
import type { Role } from "../../platform/db/schema.ts";
import { PRESETS, type RoleConfiguration } from "../../platform/roles.ts";
import { attachmentPolicy, ticketPolicy } from "./tickets-policy.ts";

const user = (role: Role, userId = "u", customRole: RoleConfiguration | null = null) => ({ kind: "user" as const, userId, niceId: 1, role, customRole, scopes: ["read", "write"], via: "token" as const });
const custom = (c: Partial<RoleConfiguration>) => user("agent", "a", { ...PRESETS.agent.configuration, ...c });

describe("ticket policy", () => {
  it("scopes what each role sees: staff the tenant's tickets, end users their own public requests", () => {
    for (const r of ["owner", "admin", "agent", "light_agent"] as const) expect(ticketPolicy.scope(user(r))).toEqual({ kind: "all" });
    expect(ticketPolicy.scope(user("end_user", "me"))).toEqual({ kind: "requested", userId: "me", organization: true, ccd: true });
  });

  it("follows an agent's custom role: ticket access, editing, public replies, deletion, redaction", () => {
    expect(ticketPolicy.scope(custom({ ticket_access: "within-groups" }))).toEqual({ kind: "groups", userId: "a" });
    expect(ticketPolicy.scope(custom({ ticket_access: "assigned-only" }))).toEqual({ kind: "assigned", userId: "a" });
    expect(ticketPolicy.scope(custom({ ticket_access: "all" }))).toEqual({ kind: "all" });
    const narrow = custom({ ticket_editing: false, ticket_comment_access: "internal", ticket_deletion: false, ticket_redaction: false });
    expect(ticketPolicy.editProperties(narrow)).toBe(false);
    expect(ticketPolicy.create(narrow)).toBe(false);
    expect(ticketPolicy.replyPublicly(narrow)).toBe(false);
    expect(ticketPolicy.delete(narrow)).toBe(false);
    expect(attachmentPolicy.redact(narrow)).toBe(false);
    expect(ticketPolicy.writeComment(narrow, { authorId: "a", authorRole: "agent", public: true })).toEqual({ ok: false, reason: "Your role allows internal notes only." });
    expect(ticketPolicy.writeComment(narrow, { authorId: "a", authorRole: "agent", public: false }).ok).toBe(true);
    // A custom role never reaches past an admin or a light agent: only agents carry one.
    expect(ticketPolicy.scope(user("admin", "x", { ...PRESETS.agent.configuration, ticket_access: "assigned-only" }))).toEqual({ kind: "all" });
    expect(ticketPolicy.replyPublicly(user("light_agent", "x", PRESETS.agent.configuration))).toBe(false);
  });

  it("keeps light agents to internal notes and end users to public replies in their own name", () => {
    expect(ticketPolicy.replyPublicly(user("light_agent"))).toBe(false);
    expect(ticketPolicy.editProperties(user("light_agent"))).toBe(false);
    expect(ticketPolicy.create(user("agent"))).toBe(true);
    expect(ticketPolicy.create(user("light_agent"))).toBe(false);
    expect(ticketPolicy.assignable("light_agent")).toBe(false);
    expect(ticketPolicy.assignable("end_user")).toBe(false);
    const write = (writer: Role, authorRole: Role, isPublic: boolean, own = false) =>
      ticketPolicy.writeComment(user(writer, "w"), { authorId: own ? "w" : "someone", authorRole, public: isPublic }).ok;
    expect(write("light_agent", "light_agent", false, true)).toBe(true);
    expect(write("light_agent", "light_agent", true, true)).toBe(false);
    expect(write("light_agent", "end_user", false)).toBe(false);
    expect(write("end_user", "end_user", true, true)).toBe(true);
    expect(write("end_user", "end_user", false, true)).toBe(false);
    expect(write("end_user", "end_user", true)).toBe(false);
    expect(write("agent", "end_user", true)).toBe(true);
    expect(write("agent", "agent", true)).toBe(false);
    expect(write("admin", "agent", false)).toBe(true);
    expect(write("owner", "admin", true)).toBe(true);
  });

  it("sends per-ticket abilities: nothing to change on a closed ticket, and the statuses it may take", () => {
    expect(ticketPolicy.abilitiesFor(user("agent"), { status: "open" })).toEqual({
      can_edit_properties: true,
      can_reply_publicly: true,
      can_add_internal_notes: true,
      can_delete: true,
      can_redact: true,
      can_be_assigned: true,
      statuses: ["open", "pending", "hold", "solved"],
    });
    expect(ticketPolicy.abilitiesFor(user("agent"), { status: "solved" }).statuses).toEqual(["open", "pending", "hold", "solved", "closed"]);
    expect(ticketPolicy.abilitiesFor(user("agent"), { status: "new" }).statuses).toEqual(["new", "open", "pending", "hold", "solved"]);
    expect(ticketPolicy.abilitiesFor(user("light_agent"), { status: "open" })).toMatchObject({ can_edit_properties: false, can_reply_publicly: false, can_add_internal_notes: true, can_redact: false, statuses: [] });
    expect(ticketPolicy.abilitiesFor(user("admin"), { status: "closed" })).toMatchObject({ can_edit_properties: false, can_reply_publicly: false, can_add_internal_notes: false, can_redact: true, statuses: [] });
  });

  it("lets staff choose a ticket's requester and CCs, never the operator's support user", () => {
    for (const r of ["owner", "admin", "agent"] as const) expect(ticketPolicy.chooseRecipients(user(r)).ok, r).toBe(true);
    expect(ticketPolicy.chooseRecipients({ ...user("agent"), via: "support" as const }).ok).toBe(false);
  });
});
