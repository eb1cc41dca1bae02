import { describe, expect, it } from "vitest";
import { AppError } from "../../platform/errors.ts";
import { checkTransition, commentBodies, fieldAccess, normalizeCustomValue, readRolePermissions } from "./tickets-fns.ts";


describe("status transitions", () => {
  it("allows moves between working states and solving", () => {
    for (const [a, b] of [["new", "open"], ["open", "pending"], ["pending", "hold"], ["hold", "solved"], ["solved", "open"], ["solved", "closed"]] as const) {
      expect(() => checkTransition(a, b)).not.toThrow();
    }
  });
  it("refuses going back to new, closing unsolved tickets and changing closed ones", () => {
    expect(() => checkTransition("open", "new")).toThrow(AppError);
    expect(() => checkTransition("open", "closed")).toThrow(AppError);
    expect(() => checkTransition("closed", "open")).toThrow(AppError);
  });
});

describe("comment bodies", () => {
  it("escapes plain text into paragraphs", () => {
    expect(commentBodies({ body: "a <b>\n\nc" })).toEqual({ body: "a <b>\n\nc", html: "<p>a &lt;b&gt;</p><p>c</p>" });
  });
  it("sanitizes HTML and derives a plain body", () => {
    const r = commentBodies({ html_body: '<p>Hi <a href="javascript:alert(1)">x</a><script>alert(1)</script><img src=x onerror=alert(1)></p>' });
    expect(r.html).not.toMatch(/script|onerror|javascript|<img/i);
    expect(r.body).toBe("Hi x");
  });
});

describe("custom field values", () => {
  const def = (type: "text" | "number" | "date" | "dropdown" | "checkbox") => ({ niceId: 7, type, title: "Plan", options: [{ value: "gold" }], active: true, visibleInPortal: false, editableInPortal: false, rolePermissions: {} });
  it("normalizes valid values", () => {
    expect(normalizeCustomValue(def("number"), "12.5")).toBe(12.5);
    expect(normalizeCustomValue(def("date"), "2026-01-31")).toBe("2026-01-31");
    expect(normalizeCustomValue(def("dropdown"), "gold")).toBe("gold");
    expect(normalizeCustomValue(def("checkbox"), true)).toBe(true);
    expect(normalizeCustomValue(def("text"), null)).toBeNull();
  });
  it("refuses values of the wrong type", () => {
    expect(() => normalizeCustomValue(def("number"), "ten")).toThrow(AppError);
    expect(() => normalizeCustomValue(def("date"), "31/01/2026")).toThrow(AppError);
    expect(() => normalizeCustomValue(def("dropdown"), "silver")).toThrow(AppError);
    expect(() => normalizeCustomValue(def("checkbox"), "yes")).toThrow(AppError);
    expect(() => normalizeCustomValue(def("date"), "2026-02-30")).toThrow(AppError);
    expect(() => normalizeCustomValue(def("date"), "0000-01-01")).toThrow(AppError);
    expect(normalizeCustomValue(def("date"), "2026-02-28")).toBe("2026-02-28");
    expect(() => normalizeCustomValue(def("text"), 5)).toThrow(AppError);
  });
});

describe("field access", () => {
  const field = (rolePermissions: Record<string, "hidden" | "read_only">, visibleInPortal = false, editableInPortal = false) => ({ rolePermissions, visibleInPortal, editableInPortal });
  it("admins and owners edit every field, whatever the permissions name", () => {
    const f = field({ "1": "hidden", "2": "hidden", "3": "hidden", "9": "hidden" });
    expect(fieldAccess(f, { role: "admin" })).toBe("edit");
    expect(fieldAccess(f, { role: "owner" })).toBe("edit");
  });
  it("an agent follows their custom role's entry, else the agent preset's; a light agent the light-agent preset's", () => {
    const f = field({ "2": "read_only", "3": "hidden", "5": "hidden" });
    expect(fieldAccess(f, { role: "agent" })).toBe("read");
    expect(fieldAccess(f, { role: "agent", customRoleId: 5 })).toBe("hidden");
    expect(fieldAccess(f, { role: "agent", customRoleId: 6 })).toBe("edit");
    expect(fieldAccess(f, { role: "light_agent" })).toBe("hidden");
    // A light agent never carries a custom role: a stray id changes nothing.
    expect(fieldAccess(f, { role: "light_agent", customRoleId: 6 })).toBe("hidden");
  });
  it("end users see portal fields only and edit those editable there", () => {
    expect(fieldAccess(field({}), { role: "end_user" })).toBe("hidden");
    expect(fieldAccess(field({}, true), { role: "end_user" })).toBe("read");
    expect(fieldAccess(field({}, true, true), { role: "end_user" })).toBe("edit");
    // Staff permissions do not reach end users, nor the portal settings staff.
    expect(fieldAccess(field({ "2": "hidden" }, true, true), { role: "agent" })).toBe("hidden");
  });
  it("reads stored permissions strictly: anything not understood is dropped", () => {
    expect(readRolePermissions({ "2": "hidden", "3": "read_only", x: "hidden", "4": "edit", "5": 1 })).toEqual({ "2": "hidden", "3": "read_only" });
    expect(readRolePermissions(null)).toEqual({});
    expect(readRolePermissions("[]")).toEqual({});
  });
});
