import { describe, expect, it } from "vitest";
import { maskCardNumbers, placeholderProblem, render } from "./notifications-texts.ts";

const values = { team: "Acme", name: "Pat", author: "Ann", "ticket.id": "7", "ticket.title": "T", "ticket.url": "https://x/7", comment: "C" };

describe("notification texts", () => {
  it("masks card numbers however they are written, and keeps the last four digits", () => {
    expect(maskCardNumbers("card 4111 1111 1111 1111 cvv 123")).toBe("card **** **** **** 1111 cvv 123");
    expect(maskCardNumbers("4111 1111 1111 1111 123")).toBe("**** **** **** 1111 ***");
    expect(maskCardNumbers("Qty 2 4012 8888 8888 1881")).toBe("Qty 2 **** **** **** 1881");
    expect(maskCardNumbers("5555-5555-5555-4444 12/27")).toBe("****-****-****-4444 **/27");
    expect(maskCardNumbers("４２４２ ４２４２ ４２４２ ４２４２")).toBe("**** **** **** 4242");
    expect(maskCardNumbers("4\u200b1\u200b1\u200b1111111111111")).toBe("************1111");
    expect(maskCardNumbers("378282246310005")).toBe("***********0005");
    // Not cards: fewer than 13 digits in a run.
    expect(maskCardNumbers("order 20261130-42, call +46 8 123 456 78")).toBe("order 20261130-42, call +46 8 123 456 78");
    // A long number with any 13–19-digit stretch passing the Luhn check is masked there: better a
    // masked reference than a card in a mailbox.
    expect(maskCardNumbers("4111 1111 1111 1112")).toBe("411* **** **** 1112");
  });

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
