import { describe, expect, it } from "vitest";
import type { ViewCondition } from "../web/src/api-schema.ts";
import { conditionsFor, conditionsOfQuery } from "../web/src/agent/view-conditions.ts";


/** The workspace's "Save as view": a list's search and filters as the conditions of a saved view. */

const groups = [{ id: 7, name: "Billing" }];
const nobody = async () => null;
const ada = async (email: string) => (email === "ada@example.test" ? 42 : null);
/** The built-in views' own conditions, as model.ts gives them (that module needs the browser). */
const BASES: Record<string, ViewCondition[]> = {
  "all-open": [{ field: "status", operator: "less_than", value: "solved" }],
  "recently-solved": [
    { field: "status", operator: "greater_than", value: "hold" },
    { field: "hours_since_solved", operator: "less_than", value: 168 },
  ],
};
const base = (id: string) => BASES[id]!;

describe("a search of filters as view conditions", () => {
  it("translates statuses and priorities with their comparisons, tags, assignee, group and requester", async () => {
    expect(await conditionsOfQuery("type:ticket status<solved priority>=high tags:vip tags:gold -tags:spam assignee:me group:Billing requester:ada@example.test", groups, ada)).toEqual({
      all: [
        { field: "status", operator: "less_than", value: "solved" },
        { field: "priority", operator: "greater_than", value: "normal" },
        { field: "assignee_id", operator: "is", value: "current_user" },
        { field: "group_id", operator: "is", value: 7 },
        { field: "requester_id", operator: "is", value: 42 },
        { field: "current_tags", operator: "includes", value: "vip gold" },
        { field: "current_tags", operator: "not_includes", value: "spam" },
      ],
      any: [],
    });
    expect(await conditionsOfQuery("status<=pending status>=new group:none assignee:none", groups, nobody)).toEqual({
      all: [
        { field: "status", operator: "less_than", value: "hold" },
        { field: "group_id", operator: "is", value: null },
        { field: "assignee_id", operator: "is", value: null },
      ],
      any: [],
    });
  });

  it("refuses what a view cannot say", async () => {
    for (const q of ["printer", "status:open status:pending", "assignee:me assignee:none", "solved>=2026-01-01", "organization:Acme", "group:Unknown", "requester:bob@example.test", "-status:closed", "type:user", "type:ticket", "ticket_type:bug"])
      expect(await conditionsOfQuery(q, groups, ada), q).toBeNull();
  });
});

describe("a built-in view with the list's filters as view conditions", () => {
  it("adds each filter to the view's own conditions", async () => {
    expect(await conditionsFor(base("all-open"), { priority: "high", assignee: "none", group: "7", tag: "vip", requester: "ada@example.test" }, ada)).toEqual({
      all: [
        { field: "status", operator: "less_than", value: "solved" },
        { field: "priority", operator: "is", value: "high" },
        { field: "assignee_id", operator: "is", value: null },
        { field: "group_id", operator: "is", value: 7 },
        { field: "current_tags", operator: "includes", value: "vip" },
        { field: "requester_id", operator: "is", value: 42 },
      ],
      any: [],
    });
    expect(await conditionsFor(base("recently-solved"), {}, nobody)).toEqual({
      all: [
        { field: "status", operator: "greater_than", value: "hold" },
        { field: "hours_since_solved", operator: "less_than", value: 168 },
      ],
      any: [],
    });
  });

  it("refuses an unknown requester, a tag with a space or an assignee by name", async () => {
    expect(await conditionsFor(base("all-open"), { requester: "bob@example.test" }, ada)).toBeNull();
    expect(await conditionsFor(base("all-open"), { tag: "two words" }, ada)).toBeNull();
    expect(await conditionsFor(base("all-open"), { assignee: "Cy" }, ada)).toBeNull();
  });
});
