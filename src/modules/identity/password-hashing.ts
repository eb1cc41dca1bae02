import os from "node:os";
import { hash as argonHash, verify as argonVerify } from "@node-rs/argon2";
import pLimit, { type LimitFunction } from "p-limit";
import { AppError } from "../../platform/errors.ts";

/**
 * Password hashing (argon2id, 19 MiB, t=2) behind a bounded gate. A hash costs tens of
 * milliseconds of CPU and runs on libuv's thread pool, which file and DNS work share: a flood of
 * sign-ins must not queue there without bound and starve the rest of the API. At most
 * `concurrency` hashes run at once and at most `queue` wait; past that the request is answered
 * 503 with `Retry-After` at once (VAULTDESK_PASSWORD_CHECKS, VAULTDESK_PASSWORD_CHECK_QUEUE).
 */
let gate: LimitFunction = pLimit(Math.max(1, Math.floor(os.availableParallelism() / 2)));
let queueMax = 8;

export function configurePasswordChecks(opts: { concurrency: number; queue: number }): void {
  gate = pLimit(opts.concurrency);
  queueMax = opts.queue;
}

/** How long a refused caller is asked to wait. */
const RETRY_AFTER_SECONDS = 1;

function gated<T>(fn: () => Promise<T>): Promise<T> {
  if (gate.pendingCount >= queueMax) {
    return Promise.reject(new AppError("Unavailable", { description: "Too many sign-ins at once; try again in a moment.", retryAfterSeconds: RETRY_AFTER_SECONDS }));
  }
  return gate(fn);
}

export function hashPassword(password: string): Promise<string> {
  return gated(() => argonHash(password, { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 }));
}

/** Whether the password matches the hash (false for a malformed hash). */
export function verifyPassword(hash: string, password: string): Promise<boolean> {
  return gated(() => argonVerify(hash, password).catch(() => false));
}
