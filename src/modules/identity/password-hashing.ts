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
 *
 * Concurrency alone still lets a flood of wrong passwords keep a whole core hashing. Wrong
 * passwords therefore also spend a budget that refills at VAULTDESK_PASSWORD_FAILURES_PER_SECOND
 * (per process; a second's worth may be spent at once): each check takes one from it, and a right
 * password gives it back, so people who know their password are not counted however many sign in
 * at once, while a flood of wrong ones — from one address or a botnet's thousands — costs at most
 * that many hashes a second. With the budget spent, a sign-in is answered 503 before anything is
 * read (`passwordCheckOpen`), for the price of a few microseconds.
 */
let gate: LimitFunction = pLimit(Math.max(1, Math.floor(os.availableParallelism() / 2)));
let queueMax = 8;
let ratePerSecond = 4 * os.availableParallelism();
let tokens = ratePerSecond;
let refilledAt = performance.now();

export function configurePasswordChecks(opts: { concurrency: number; queue: number; failuresPerSecond?: number | undefined }): void {
  gate = pLimit(opts.concurrency);
  queueMax = opts.queue;
  if (opts.failuresPerSecond !== undefined) ratePerSecond = opts.failuresPerSecond;
  tokens = ratePerSecond;
  refilledAt = performance.now();
}

function refill(): void {
  const now = performance.now();
  tokens = Math.min(ratePerSecond, tokens + ((now - refilledAt) / 1000) * ratePerSecond);
  refilledAt = now;
}

const busy = () => new AppError("Unavailable", { description: "Too many sign-ins at once; try again in a moment.", retryAfterSeconds: RETRY_AFTER_SECONDS });

/**
 * Refuses (503, Retry-After) a password check that could not run now: the queue is full or the
 * wrong-password budget is spent. Called before a sign-in reads anything, so a refused attempt
 * costs no database work.
 */
export function passwordCheckOpen(): void {
  refill();
  if (gate.pendingCount >= queueMax || tokens < 1) throw busy();
}

/** How long a refused caller is asked to wait. */
const RETRY_AFTER_SECONDS = 1;

function gated<T>(fn: () => Promise<T>): Promise<T> {
  if (gate.pendingCount >= queueMax) return Promise.reject(busy());
  return gate(fn);
}

export function hashPassword(password: string): Promise<string> {
  return gated(() => argonHash(password, { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 }));
}

/**
 * Whether the password matches the hash (false for a malformed hash). A guess at a credential
 * (sign-in, the previous password of a change) spends one from the wrong-password budget, given
 * back when the password was right. `guess: false` is a comparison that guesses nothing — a new
 * password against the person's earlier ones, after they proved who they are — and spends none:
 * a long history would otherwise refuse the person's own change and turn away everyone's sign-ins.
 */
export async function verifyPassword(hash: string, password: string, opts: { guess: boolean } = { guess: true }): Promise<boolean> {
  if (!opts.guess) return gated(() => argonVerify(hash, password).catch(() => false));
  refill();
  if (tokens < 1) throw busy();
  tokens -= 1;
  const ok = await gated(() => argonVerify(hash, password).catch(() => false));
  if (ok) tokens = Math.min(ratePerSecond, tokens + 1);
  return ok;
}
