import { describe, expect, it } from "vitest";
import { userActor } from "../../platform/context.ts";
import type { Role } from "../../platform/db/schema.ts";
import { PRESETS } from "../../platform/roles.ts";
import { mailPolicy } from "./mail-policy.ts";

const as = (role: Role) => userActor({ id: "u", niceId: 1, role, customRole: null }, "token");

describe("mail policy", () => {
  it("lets only admins and owners manage support addresses", () => {
    expect((["owner", "admin", "agent", "light_agent", "end_user"] as Role[]).map((r) => mailPolicy.manageAddresses(as(r)))).toEqual([true, true, false, false, false]);
  });
  it("lets agents, admins and owners review suspended tickets, never light agents or end users", () => {
    expect((["owner", "admin", "agent", "light_agent", "end_user"] as Role[]).map((r) => mailPolicy.reviewSuspended(as(r)))).toEqual([true, true, true, false, false]);
  });
  it("keeps suspended tickets from agents whose role sees only some tickets", () => {
    const agent = (ticket_access: "all" | "within-groups" | "assigned-only") => userActor({ id: "u", niceId: 1, role: "agent", customRole: { ...PRESETS.agent.configuration, ticket_access } }, "token");
    expect(mailPolicy.reviewSuspended(agent("all"))).toBe(true);
    expect(mailPolicy.reviewSuspended(agent("within-groups"))).toBe(false);
    expect(mailPolicy.reviewSuspended(agent("assigned-only"))).toBe(false);
  });
});
