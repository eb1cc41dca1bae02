import { describe, expect, it } from "vitest";
import { forgetOpened, OpenedCache } from "./opened-cache.ts";

/** The cache of opened values: keyed by tenant, row and version; bounded by bytes and age; forgotten with the tenant's keys. */

const A = "00000000-0000-4000-8000-00000000000a";
const B = "00000000-0000-4000-8000-00000000000b";

describe("OpenedCache", () => {
  it("answers only the tenant, row and version it was given", () => {
    const c = new OpenedCache<{ v: string }>({ maxBytes: 1000, maxAgeMs: 60_000 });
    c.set(A, "row", "v1", { v: "a" }, 10);
    expect(c.get(A, "row", "v1")).toEqual({ v: "a" });
    expect(c.get(B, "row", "v1")).toBeUndefined();
    expect(c.get(A, "row", "v2")).toBeUndefined();
    expect(c.get(A, "other", "v1")).toBeUndefined();
  });

  it("freezes what it keeps, deeply", () => {
    const c = new OpenedCache<{ list: Array<{ x: number }> }>({ maxBytes: 1000, maxAgeMs: 60_000 });
    c.set(A, "row", "v1", { list: [{ x: 1 }] }, 10);
    const v = c.get(A, "row", "v1")!;
    expect(() => v.list.push({ x: 2 })).toThrow(TypeError);
    expect(() => (v.list[0]!.x = 3)).toThrow(TypeError);
  });

  it("keeps at most its bytes, the least recently used going first; a value larger than the bound is not kept", () => {
    const c = new OpenedCache<number>({ maxBytes: 100, maxAgeMs: 60_000 });
    c.set(A, "r1", "v", 1, 40);
    c.set(A, "r2", "v", 2, 40);
    expect(c.get(A, "r1", "v")).toBe(1);
    c.set(A, "r3", "v", 3, 40);
    expect(c.get(A, "r2", "v")).toBeUndefined();
    expect(c.get(A, "r1", "v")).toBe(1);
    expect(c.get(A, "r3", "v")).toBe(3);
    expect(c.size).toEqual({ entries: 2, bytes: 80 });
    c.set(A, "big", "v", 4, 101);
    expect(c.get(A, "big", "v")).toBeUndefined();
    expect(c.size.bytes).toBe(80);
  });

  it("drops an entry past its age, used or not", () => {
    // A clock away from zero, as a real one is (lru-cache reads a start time of 0 as "no age").
    const T0 = 1_700_000_000_000;
    let now = T0;
    const c = new OpenedCache<number>({ maxBytes: 100, maxAgeMs: 1000, clock: () => now });
    c.set(A, "r1", "v", 1, 10);
    c.set(A, "r2", "v", 2, 10);
    now = T0 + 900;
    expect(c.get(A, "r1", "v")).toBe(1);
    now = T0 + 1001;
    expect(c.get(A, "r1", "v")).toBeUndefined();
    // The other one is dropped by the next sweep, at most a quarter of the age later.
    now = T0 + 1150;
    c.get(B, "r", "v");
    expect(c.size).toEqual({ entries: 0, bytes: 0 });
  });

  it("drops a tenant's entries when its keys are forgotten, in every cache, and only that tenant's", () => {
    const c1 = new OpenedCache<number>({ maxBytes: 100, maxAgeMs: 60_000 });
    const c2 = new OpenedCache<number>({ maxBytes: 100, maxAgeMs: 60_000 });
    c1.set(A, "r", "v", 1, 10);
    c2.set(A, "r", "v", 2, 10);
    c1.set(B, "r", "v", 3, 10);
    forgetOpened(A);
    expect(c1.get(A, "r", "v")).toBeUndefined();
    expect(c2.get(A, "r", "v")).toBeUndefined();
    expect(c1.get(B, "r", "v")).toBe(3);
    expect(c1.size).toEqual({ entries: 1, bytes: 10 });
  });
});
