import { describe, expect, it } from "vitest";
import { placeholderProblem, render } from "./notifications-texts.ts";

const values = { team: "Acme", name: "Pat", author: "Ann", "ticket.id": "7", "ticket.title": "T", "ticket.url": "https://x/7", comment: "C" };

describe("notification texts", () => {
  it("checks placeholders in time linear in the template, whatever it holds", () => {
    const t0 = performance.now();
    expect(placeholderProblem("{{" + " ".repeat(20_000))).toMatch(/not part of a placeholder/);
    expect(placeholderProblem("{{".repeat(10_000))).toBeDefined();
    expect(performance.now() - t0).toBeLessThan(500);
    expect(placeholderProblem("{{ comment }} {{ticket.url}}")).toBeUndefined();
    expect(placeholderProblem("{{comment}}".repeat(4))).toMatch(/more than 3 times/);
    expect(placeholderProblem("{{constructor}}")).toMatch(/unknown placeholder/);
  });

  it("fills only its own placeholders, once", () => {
    expect(render("{{constructor}} {{toString}} {{comment}}", values)).toBe("{{constructor}} {{toString}} C");
    expect(render("{{comment}}", { ...values, comment: "{{ticket.url}}" })).toBe("{{ticket.url}}");
  });
});
