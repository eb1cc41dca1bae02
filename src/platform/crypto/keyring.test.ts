import crypto from "node:crypto";
import { describe, expect, it } from "vitest";
import { LocalMasterKey } from "./master-key.ts";

describe("master key wrapping", () => {
  it("round-trips and binds the AAD", async () => {
    const mk = new LocalMasterKey(crypto.randomBytes(32));
    const key = crypto.randomBytes(32);
    const wrapped = await mk.wrap(key, "tenant-a/data/1");
    expect((await mk.unwrap(wrapped, "tenant-a/data/1")).equals(key)).toBe(true);
    await expect(mk.unwrap(wrapped, "tenant-b/data/1")).rejects.toThrow();
    const other = new LocalMasterKey(crypto.randomBytes(32));
    await expect(other.unwrap(wrapped, "tenant-a/data/1")).rejects.toThrow();
  });
  it("derives distinct secrets per purpose", () => {
    const mk = new LocalMasterKey(crypto.randomBytes(32));
    expect(mk.derive("a").equals(mk.derive("b"))).toBe(false);
    expect(mk.derive("a").equals(mk.derive("a"))).toBe(true);
  });
});
