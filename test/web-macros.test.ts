import { describe, expect, it } from "vitest";
import type { Ticket } from "../web/src/api-schema.ts";
import { formTags, macroMatches, macroTags, withMacro, withoutMacro, type MacroDraft } from "../web/src/agent/macro-draft.ts";

const emptyDraft = (isPublic: boolean): MacroDraft => ({ body: "", isPublic, custom: {}, addTags: "", removeTags: [] });

/** Applying a macro in the workspace: the pending update it makes of the form, and the editor's helpers. */

const ticket = {
  id: 5,
  subject: "Refund",
  status: "open",
  priority: null,
  type: null,
  assignee_id: null,
  group_id: null,
  tags: ["billing", "vip"],
  custom_fields: [{ id: 9, value: null }],
} as unknown as Ticket;

const applied = (changes: Partial<Ticket>, changed: string[], comment?: { body: string; public: boolean }) => ({
  ticket: { ...ticket, ...changes } as Ticket,
  changed_fields: changed,
  ...(comment ? { comment } : {}),
});

describe("withMacro", () => {
  it("takes the changed fields' new values and appends the rendered reply after a blank line", () => {
    const draft = { ...emptyDraft(false), body: "Hello\n", priority: "high" as const };
    const next = withMacro(draft, ticket, applied({ status: "solved", priority: "low" }, ["status", "comment"], { body: "Hi Ada, fixed.", public: true }), [
      { field: "status", value: "solved" },
      { field: "comment_value", value: "Hi {{ticket.requester.first_name}}, fixed." },
    ]);
    expect(next.status).toBe("solved");
    // Not among changed_fields: the agent's choice stays.
    expect(next.priority).toBe("high");
    expect(next.body).toBe("Hello\n\nHi Ada, fixed.");
    expect(next.isPublic).toBe(true);
    // The draft it was made from is left as it was (undo restores it).
    expect(draft.body).toBe("Hello\n");
  });

  it("an empty reply takes the comment alone; a note follows comment.public false", () => {
    const next = withMacro(emptyDraft(true), ticket, applied({}, ["comment"], { body: "Checked.", public: false }), [{ field: "comment_value", value: "Checked." }]);
    expect(next.body).toBe("Checked.");
    expect(next.isPublic).toBe(false);
  });

  it("applies the macro's tag actions to the tags the form shows now", () => {
    const draft = { ...emptyDraft(true), addTags: "urgent", removeTags: ["vip"] };
    expect(formTags(draft, ticket)).toEqual(["billing", "urgent"]);
    const next = withMacro(draft, ticket, applied({ tags: ["billing", "vip", "fixed"] }, ["tags"]), [
      { field: "current_tags", value: "fixed" },
      { field: "remove_tags", value: "billing" },
    ]);
    expect(formTags(next, ticket)).toEqual(["urgent", "fixed"]);
    expect(next.removeTags.sort()).toEqual(["billing", "vip"]);
    const set = withMacro(draft, ticket, applied({ tags: ["a"] }, ["tags"]), [{ field: "set_tags", value: "a b" }]);
    expect(formTags(set, ticket)).toEqual(["a", "b"]);
  });

  it("sets a subject, assignee, group and only the custom fields the macro names", () => {
    const next = withMacro(
      { ...emptyDraft(true), custom: { 9: "mine" } },
      ticket,
      applied({ subject: "Refund for #5", assignee_id: 3, group_id: 4, custom_fields: [{ id: 9, value: "x" }, { id: 10, value: "y" }] } as Partial<Ticket>, ["subject", "assignee_id", "group_id", "custom_fields"]),
      [{ field: "custom_fields_10", value: "y" }],
    );
    expect(next).toMatchObject({ subject: "Refund for #5", assignee: 3, group: 4, custom: { 9: "mine", 10: "y" } });
  });
});

describe("withoutMacro (Undo macro)", () => {
  const before: MacroDraft = { ...emptyDraft(false), body: "Looking into it.", priority: "high", custom: { 9: "mine" } };
  const after = withMacro(
    before,
    ticket,
    applied({ status: "solved", group_id: 4, tags: ["billing", "vip", "fixed"], custom_fields: [{ id: 9, value: "mine" }, { id: 10, value: "y" }] } as Partial<Ticket>, ["status", "group_id", "tags", "custom_fields", "comment"], {
      body: "Hi Ada, fixed.",
      public: true,
    }),
    [{ field: "current_tags", value: "fixed" }, { field: "custom_fields_10", value: "y" }],
  );

  it("untouched since, the form is as it was before the macro", () => {
    expect(after).toMatchObject({ status: "solved", group: 4, addTags: "fixed", isPublic: true, custom: { 9: "mine", 10: "y" } });
    expect(withoutMacro(after, before, after)).toEqual(before);
  });

  it("keeps what the agent changed after the macro, and the text typed after its reply", () => {
    const now: MacroDraft = { ...after, body: `${after.body}\nThanks for waiting.`, group: 7, priority: "urgent", custom: { ...after.custom, 9: "theirs" } };
    const undone = withoutMacro(now, before, after);
    expect(undone).toEqual({ ...before, body: "Looking into it.\nThanks for waiting.", group: 7, priority: "urgent", custom: { 9: "theirs" } });
  });

  it("leaves a reply edited inside the macro's text as it is", () => {
    const now: MacroDraft = { ...after, body: after.body.replace("fixed", "mended") };
    const undone = withoutMacro(now, before, after);
    expect(undone.body).toBe(now.body);
    expect(undone.status).toBeUndefined();
    expect(undone.isPublic).toBe(false);
  });

  it("two macros taken back one after the other, latest first", () => {
    const second = withMacro(after, ticket, applied({ priority: "low" }, ["priority", "comment"], { body: "Closing.", public: false }), [{ field: "priority", value: "low" }]);
    const once = withoutMacro(second, after, second);
    expect(once).toEqual(after);
    expect(withoutMacro(once, before, after)).toEqual(before);
  });
});

describe("macro helpers", () => {
  it("macroTags: set replaces, then add, then remove", () => {
    expect(macroTags([{ field: "set_tags", value: "x y" }, { field: "current_tags", value: "z" }, { field: "remove_tags", value: "y" }], ["old"])).toEqual(["x", "z"]);
  });
  it("macroMatches: every word typed is in the title", () => {
    expect(macroMatches("close th", "Close and thank")).toBe(true);
    expect(macroMatches("refund", "Close and thank")).toBe(false);
    expect(macroMatches("", "Anything")).toBe(true);
  });
});
