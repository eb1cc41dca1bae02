import { describe, expect, it } from "vitest";
import { userActor } from "../../platform/context.ts";
import type { Role } from "../../platform/db/schema.ts";
import { mailPolicy } from "./mail-policy.ts";

const as = (role: Role) => userActor({ id: "u", niceId: 1, role, customRole: null }, "token");

describe("mail policy", () => {
  it("lets only admins and owners manage support addresses", () => {
    expect((["owner", "admin", "agent", "light_agent", "end_user"] as Role[]).map((r) => mailPolicy.manageAddresses(as(r)))).toEqual([true, true, false, false, false]);
  });
  it("lets agents, admins and owners review suspended tickets, never light agents or end users", () => {
    expect((["owner", "admin", "agent", "light_agent", "end_user"] as Role[]).map((r) => mailPolicy.reviewSuspended(as(r)))).toEqual([true, true, true, false, false]);
  });
});
