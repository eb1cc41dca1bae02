import { describe, expect, it, vi } from "vitest";

/**
 * Password checks run outside any transaction: on the embedded database one transaction at a time
 * serves every tenant, so argon2 (tens of milliseconds of CPU) inside one would stall them all.
 */
const state = vi.hoisted(() => ({ open: false, verifiedWhileOpen: [] as boolean[], hashedWhileOpen: [] as boolean[] }));
vi.mock("@node-rs/argon2", async (importOriginal) => {
  const real = await importOriginal<typeof import("@node-rs/argon2")>();
  return {
    ...real,
    verify: async (...args: Parameters<typeof real.verify>) => {
      state.verifiedWhileOpen.push(state.open);
      return real.verify(...args);
    },
    hash: async (...args: Parameters<typeof real.hash>) => {
      state.hashedWhileOpen.push(state.open);
      return real.hash(...args);
    },
  };
});

// Test files share a worker's modules (vitest.config.ts: isolate false): an earlier file may have
// loaded the app with the real argon2 already, so the registry is emptied for this file's imports.
vi.resetModules();
const { checkPassword, hashPassword, preparePasswordChange } = await import("./identity-service.ts");

/** A stand-in for the route's short tenant transaction, which says whether it is open. */
function fakeTenant(row: { id: string; password_hash: string | null; email_sealed: Uint8Array | null } | undefined) {
  const ctx = {
    actor: { kind: "user", userId: "u1", niceId: 1, role: "agent", scopes: ["read", "write"], via: "session" },
    sealer: { blindIndex: () => Buffer.alloc(32), open: () => "agent@example.test" },
    now: () => new Date(),
    tx: {
      db: {
        selectFrom: () => {
          const q = { select: () => q, where: () => q, forNoKeyUpdate: () => q, executeTakeFirst: async () => row };
          return q;
        },
      },
      tenantId: "t1",
    },
  };
  return async <T>(fn: (c: never) => Promise<T>): Promise<T> => {
    state.open = true;
    try {
      return await fn(ctx as never);
    } finally {
      state.open = false;
    }
  };
}

describe("password checks", () => {
  it("verify sign-in passwords with no transaction open, for known and unknown addresses", async () => {
    const hash = await hashPassword("Correct horse battery 9");
    state.verifiedWhileOpen.length = 0;
    const ok = await checkPassword(fakeTenant({ id: "u1", password_hash: hash, email_sealed: null }), "a@example.test", "Correct horse battery 9");
    expect(ok).toMatchObject({ userId: "u1", ok: true });
    const wrong = await checkPassword(fakeTenant({ id: "u1", password_hash: hash, email_sealed: null }), "a@example.test", "wrong");
    expect(wrong.ok).toBe(false);
    const unknown = await checkPassword(fakeTenant(undefined), "nobody@example.test", "whatever");
    expect(unknown).toMatchObject({ userId: undefined, ok: false });
    expect(state.verifiedWhileOpen).toEqual([false, false, false]);
  });

  it("verify and hash for a password change with no transaction open", async () => {
    const hash = await hashPassword("Correct horse battery 9");
    state.verifiedWhileOpen.length = 0;
    state.hashedWhileOpen.length = 0;
    // The deps serve only a wrong password's count and mail, not reached with the right one.
    const r = await preparePasswordChange({ config: {} as never, mailer: {} as never }, fakeTenant({ id: "u1", password_hash: hash, email_sealed: new Uint8Array(1) }), "Correct horse battery 9", "A different passphrase 10!");
    expect(r.verifiedHash).toBe(hash);
    expect(state.verifiedWhileOpen).toEqual([false]);
    expect(state.hashedWhileOpen).toEqual([false]);
  });
});
