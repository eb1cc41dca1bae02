import { describe, expect, it } from "vitest";
import { adminSections, sectionOf, SECTIONS } from "../web/src/admin/admin-nav.ts";
import { blankCondition, fieldError, fieldKey, HOURS, isHours, operatorKey, ruleInput, rowErrors, takesValue, withOperator, type Definition } from "../web/src/admin/rules.ts";
import type { Abilities } from "../web/src/api-schema.ts";
import { en } from "../web/src/i18n/en.ts";

/**
 * The admin center's Automations page, without the browser: it is the Triggers page's list and
 * editor (RulesPage.tsx) with the automations' names, so what is its own is checked here — the
 * time conditions and their hours, the server's refusals as it names automations, the body sent,
 * the words of its own beside the triggers' ones, and its place in the admin center's menu.
 */

const ops = (...values: string[]) => values.map((value) => ({ value, title: value }));
/** `GET /automations/definitions`' time conditions, as Zendesk shapes them: operators, no list of values. */
const pending: Definition = { subject: "PENDING", title: "Hours since pending", type: "text", operators: ops("is", "less_than", "greater_than") };
const untilDue: Definition = { subject: "until_due_date", title: "Hours until due date", type: "text", operators: ops("greater_than", "is", "less_than") };
const status: Definition = { subject: "status", title: "Status", type: "list", operators: ops("is", "is_not"), values: [{ value: "pending", title: "Pending" }] };

describe("time conditions", () => {
  it("the hours conditions are Zendesk's subjects, and only those", () => {
    expect(HOURS).toEqual(["NEW", "OPEN", "PENDING", "HOLD", "SOLVED", "assigned_at", "updated_at", "requester_updated_at", "assignee_updated_at", "created_at", "due_date", "until_due_date", "hours_until_next_sla_breach", "hours_since_last_sla_breach"]);
    for (const subject of HOURS) expect(isHours(subject), subject).toBe(true);
    // The triggers' fields, and a custom field, stay what they were.
    for (const subject of ["status", "current_tags", "update_type", "custom_fields_9", "pending", "due_at"]) expect(isHours(subject), subject).toBe(false);
  });

  it("a new hours row takes the definition's first operator and no hours yet; a change of operator keeps the hours", () => {
    expect(blankCondition(pending)).toEqual({ field: "PENDING", operator: "is", value: "" });
    expect(blankCondition(untilDue)).toEqual({ field: "until_due_date", operator: "greater_than", value: "" });
    const row = { field: "PENDING", operator: "is", value: "48" };
    expect(withOperator(row, "greater_than", pending)).toEqual({ field: "PENDING", operator: "greater_than", value: "48" });
    expect(takesValue("greater_than")).toBe(true);
    expect(blankCondition(status)).toEqual({ field: "status", operator: "is", value: "pending" });
  });

  it("names every time condition and its operators from the catalog, in Zendesk's words", () => {
    for (const subject of HOURS) {
      const key = fieldKey("condition", subject);
      expect(key, subject).toBe(`rules.field.${subject}`);
      expect(en[key!], subject).toMatch(/^Hours (since|until) /);
    }
    expect(en[fieldKey("condition", "PENDING")!]).toBe("Hours since pending");
    expect(en[fieldKey("condition", "HOLD")!]).toBe("Hours since on-hold");
    expect(["is", "less_than", "greater_than"].map((o) => en[operatorKey(o)!])).toEqual(["Is", "Less than", "Greater than"]);
    // No action is about hours.
    for (const subject of HOURS) expect(fieldKey("action", subject)).toBeUndefined();
  });
});

describe("the body and the server's refusals", () => {
  it("sends pending more than 48 hours → solved, tag reminded as the API takes it", () => {
    const all = [
      { field: "status", operator: "is", value: "pending" },
      { field: "PENDING", operator: "greater_than", value: "48" },
    ];
    const actions = [
      { field: "status", value: "solved" },
      { field: "current_tags", value: "reminded" },
    ];
    expect(ruleInput({ title: " Solve pending tickets after 48 hours ", description: "", active: true, all, any: [], actions })).toEqual({
      title: "Solve pending tickets after 48 hours",
      description: null,
      active: true,
      conditions: { all, any: [] },
      actions,
    });
  });

  it("reads the server's messages by row and by field, without the place or the field they name", () => {
    // The server's own sentences (src/modules/triggers: rules-conditions.ts, automations-service.ts).
    const details = {
      "conditions.all[1]": [{ description: "conditions.all[1]: the value of PENDING must be whole hours, 0 to 100000" }],
      "conditions.any[0]": [{ description: "conditions.any[0]: the operator changed is about an update: automations read the ticket as it is (status: one of is, is_not)" }],
      "automation.actions[0].value": [{ description: "no such group" }],
      "conditions.all": [{ description: "Conditions: an automation needs at least one time condition (hours since …) in conditions.all" }],
      title: [{ description: "title: is required" }],
    };
    expect(rowErrors(details)).toEqual({
      "all-1": "The value of PENDING must be whole hours, 0 to 100000",
      "any-0": "The operator changed is about an update: automations read the ticket as it is (status: one of is, is_not)",
      "actions-0": "No such group",
    });
    expect(fieldError(details, "conditions")).toBe("An automation needs at least one time condition (hours since …) in conditions.all");
    expect(fieldError(details, "title")).toBe("Is required");
    expect(fieldError({ actions: [{ description: "Actions: at least one must nullify a condition of conditions.all" }] }, "actions")).toBe("At least one must nullify a condition of conditions.all");
    expect(fieldError({ "automation.title": [{ description: "automation.title: is required" }] }, "title")).toBe("Is required");
    expect(fieldError(details, "actions")).toBeUndefined();
  });
});

describe("the page's words and place", () => {
  const keys = (prefix: string) =>
    Object.keys(en)
      .filter((k) => k.startsWith(prefix))
      .map((k) => k.slice(prefix.length))
      .sort();

  it("has a word of its own for each the Triggers page has, with the same placeholders, about automations", () => {
    expect(keys("automations.")).toEqual(keys("triggers."));
    const messages = en as Record<string, unknown>;
    for (const k of keys("triggers.")) {
      const own = String(messages[`automations.${k}`]);
      expect(own.match(/\{\w+\}/g), k).toEqual(String(messages[`triggers.${k}`]).match(/\{\w+\}/g));
      expect(own, k).not.toMatch(/trigger/i);
    }
    expect(en["automations.nav"]).toBe("Automations");
  });

  it("sits beside Triggers in the admin center's menu, for owners and admins only", () => {
    const paths = SECTIONS.map((s) => s.path);
    expect(paths.indexOf("/admin/automations")).toBe(paths.indexOf("/admin/triggers") + 1);
    expect(sectionOf("/admin/automations")?.label).toBe("automations.nav");
    const nothing = { can_manage_admin: false, can_manage_groups: false, can_edit_organizations: true, can_manage_api_tokens: true, can_view_audit_log: false } as unknown as Abilities;
    expect(adminSections(nothing).map((s) => s.path)).not.toContain("/admin/automations");
    const admin = { ...nothing, can_manage_admin: true } as Abilities;
    expect(adminSections(admin).map((s) => s.path)).toContain("/admin/automations");
  });
});
