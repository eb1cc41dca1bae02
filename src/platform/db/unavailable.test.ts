import { describe, expect, it } from "vitest";
import { DatabaseUnavailableError, isDatabaseUnavailable } from "./unavailable.ts";

describe("isDatabaseUnavailable", () => {
  it("knows connection-class errors by code, and nothing else", () => {
    for (const code of ["57P01", "57P02", "57P03", "08000", "08006", "08001", "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT"]) {
      expect(isDatabaseUnavailable(Object.assign(new Error("x"), { code })), code).toBe(true);
    }
    for (const code of ["23505", "22P02", "40001", "57014", "42P01", undefined, 57]) {
      expect(isDatabaseUnavailable(Object.assign(new Error("Connection terminated unexpectedly"), { code })), String(code)).toBe(false);
    }
    expect(isDatabaseUnavailable(undefined)).toBe(false);
    expect(isDatabaseUnavailable("57P01")).toBe(false);
  });

  it("keeps the driver's code and error as the cause", () => {
    const cause = Object.assign(new Error("refused"), { code: "ECONNREFUSED" });
    const e = new DatabaseUnavailableError(cause);
    expect(isDatabaseUnavailable(e)).toBe(true);
    expect(e.code).toBe("ECONNREFUSED");
    expect(e.cause).toBe(cause);
    expect(new DatabaseUnavailableError(new Error("no code")).code).toBeUndefined();
  });
});
