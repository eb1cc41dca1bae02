import { describe, expect, it } from "vitest";
import {
  blankAction,
  blankCondition,
  choiceValue,
  fieldError,
  fieldKey,
  moved,
  notificationParts,
  rowErrors,
  takesValue,
  ruleInput,
  valueKey,
  withNotification,
  withOperator,
  type Definition,
} from "../web/src/admin/rules.ts";

/** The admin center's trigger editor, without the browser: rows from the definitions, refusals by row, the order after a move. */

const status: Definition = {
  subject: "status",
  title: "Status",
  type: "list",
  operators: [
    { value: "is", title: "Is" },
    { value: "changed", title: "Changed" },
    { value: "value", title: "Changed to" },
  ],
  values: [
    { value: "new", title: "New" },
    { value: "open", title: "Open" },
  ],
};
const group: Definition = { subject: "group_id", title: "Group", type: "list", operators: [{ value: "is", title: "Is" }], values: [{ value: "", title: "-" }, { value: 3, title: "Billing" }] };
const tags: Definition = { subject: "current_tags", title: "Tags", type: "text", operators: [{ value: "includes", title: "Contains" }] };
const mailUser: Definition = { subject: "notification_user", title: "Email user", type: "list", values: [{ value: "requester_id", title: "Requester" }, { value: 7, title: "Ann Owner" }] };
const mailGroup: Definition = { subject: "notification_group", title: "Email group", type: "list", values: [{ value: 3, title: "Billing" }] };

describe("rows from the definitions", () => {
  it("a new condition takes the field's first operator and first value; a text field starts empty", () => {
    expect(blankCondition(status)).toEqual({ field: "status", operator: "is", value: "new" });
    expect(blankCondition(tags)).toEqual({ field: "current_tags", operator: "includes", value: "" });
    expect(blankCondition({ subject: "custom_fields_9", title: "Plan", type: "text" })).toEqual({ field: "custom_fields_9", operator: "is", value: "" });
  });

  it("a change of operator keeps the value it compares, drops it for one that compares none, and fills it back from the list", () => {
    const row = { field: "status", operator: "is", value: "open" };
    expect(withOperator(row, "value", status)).toEqual({ field: "status", operator: "value", value: "open" });
    const none = withOperator(row, "changed", status);
    expect(none).toEqual({ field: "status", operator: "changed", value: null });
    expect(withOperator(none, "is", status).value).toBe("new");
    expect(takesValue("not_present")).toBe(false);
    expect(takesValue("is_not")).toBe(true);
  });

  it("a select's text is the server's value again, with its type (an id stays a number)", () => {
    expect(choiceValue(group.values, "3")).toBe(3);
    expect(choiceValue(group.values, "")).toBe("");
    expect(choiceValue(group.values, "99")).toBe("99");
  });

  it("a notification is [recipient or group, subject, body]; each part changes on its own", () => {
    const a = blankAction(mailUser);
    expect(a).toEqual({ field: "notification_user", value: ["requester_id", "", ""] });
    const b = withNotification(withNotification(a, "subject", "Ticket {{ticket.id}}", mailUser), "to", "7", mailUser);
    expect(b.value).toEqual([7, "Ticket {{ticket.id}}", ""]);
    expect(notificationParts(withNotification(b, "body", "Hello", mailUser))).toEqual({ to: "7", subject: "Ticket {{ticket.id}}", body: "Hello" });
    expect(blankAction(mailGroup).value).toEqual([3, "", ""]);
    // A value the server holds in another shape still reads as parts.
    expect(notificationParts({ field: "notification_user", value: "assignee_id" })).toEqual({ to: "assignee_id", subject: "", body: "" });
    expect(blankAction(group)).toEqual({ field: "group_id", value: "" });
  });
});

describe("refusals", () => {
  it("names the row each message is about, without the place it names", () => {
    const details = {
      "conditions.all[2]": [{ description: "conditions.all[2]: status: unknown operator" }],
      "conditions.any[0].value": [{ description: "Not a group of this account" }],
      "actions[1]": [{ description: "actions[1]: the body does not parse" }, { description: "second" }],
      "trigger.actions[3].value": [{ description: "no such person" }],
      title: [{ description: "title: is required" }],
    };
    expect(rowErrors(details)).toEqual({ "all-2": "Unknown operator", "any-0": "Not a group of this account", "actions-1": "The body does not parse", "actions-3": "No such person" });
    expect(fieldError(details, "title")).toBe("Is required");
    expect(fieldError(details, "actions")).toBeUndefined();
    expect(fieldError({ actions: [{ description: "at most 30 actions" }] }, "actions")).toBe("At most 30 actions");
    // The server's own sentences name the field with a capital: the form shows it beside the field already.
    expect(fieldError({ conditions: [{ description: "Conditions: a trigger needs at least one condition" }] }, "conditions")).toBe("A trigger needs at least one condition");
    expect(rowErrors(undefined)).toEqual({});
  });
});

describe("order and body", () => {
  it("moves one trigger up or down, and nothing past either end", () => {
    expect(moved([4, 5, 6], 1, -1)).toEqual([5, 4, 6]);
    expect(moved([4, 5, 6], 1, 1)).toEqual([4, 6, 5]);
    expect(moved([4, 5, 6], 0, -1)).toEqual([4, 5, 6]);
    expect(moved([4, 5, 6], 2, 1)).toEqual([4, 5, 6]);
  });

  it("sends the title trimmed and an empty description as none", () => {
    const body = ruleInput({ title: "  Route billing ", description: "  ", active: true, all: [{ field: "update_type", operator: "is", value: "Create" }], any: [], actions: [{ field: "group_id", value: 3 }] });
    expect(body).toEqual({ title: "Route billing", description: null, active: true, conditions: { all: [{ field: "update_type", operator: "is", value: "Create" }], any: [] }, actions: [{ field: "group_id", value: 3 }] });
  });

  it("names built-in fields and values from the catalog, and leaves the rest to the server's titles", () => {
    expect(fieldKey("condition", "current_tags")).toBe("rules.field.current_tags");
    expect(fieldKey("action", "current_tags")).toBe("rules.action.current_tags");
    expect(fieldKey("condition", "custom_fields_9")).toBeUndefined();
    expect(valueKey("status", "hold")).toBe("status.hold");
    expect(valueKey("priority", "")).toBe("priority.none");
    expect(valueKey("update_type", "Create")).toBe("rules.value.created");
    expect(valueKey("group_id", 3)).toBeUndefined();
    expect(valueKey("notification_user", "requester_id")).toBe("rules.recipient.requester");
    expect(fieldKey("condition", "via")).toBe("rules.field.via");
    expect(valueKey("via", "rule")).toBe("rules.via.rule");
  });
});
