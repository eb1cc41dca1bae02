import { describe, expect, it } from "vitest";
import { AppError } from "../../platform/errors.ts";
import { checkTransition, commentBodies, normalizeCustomValue } from "./tickets-fns.ts";


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
  const def = (type: "text" | "number" | "date" | "dropdown" | "checkbox") => ({ niceId: 7, type, options: [{ value: "gold" }], active: true });
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
