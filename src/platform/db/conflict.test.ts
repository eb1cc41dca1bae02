import { describe, expect, it } from "vitest";
import { isTransactionConflict, retryOnConflict } from "./conflict.ts";

const conflict = (code: string) => Object.assign(new Error("lost"), { code });
const noPause = async () => {};

describe("retryOnConflict", () => {
  it("runs a transaction that lost a deadlock or serialization race again, a few times", async () => {
    let runs = 0;
    expect(await retryOnConflict(async () => (++runs < 3 ? Promise.reject(conflict(runs === 1 ? "40P01" : "40001")) : "done"), 3, noPause)).toBe("done");
    expect(runs).toBe(3);
    runs = 0;
    await expect(retryOnConflict(async () => Promise.reject(conflict("40P01")).finally(() => runs++), 3, noPause)).rejects.toMatchObject({ code: "40P01" });
    expect(runs).toBe(3);
  });

  it("never runs again for any other error", async () => {
    for (const code of ["23505", "57014", "55P03", "08006"]) {
      let runs = 0;
      await expect(retryOnConflict(async () => Promise.reject(conflict(code)).finally(() => runs++), 3, noPause)).rejects.toMatchObject({ code });
      expect(runs, code).toBe(1);
    }
    expect(isTransactionConflict(undefined)).toBe(false);
    expect(isTransactionConflict({ code: 40001 })).toBe(false);
  });
});
