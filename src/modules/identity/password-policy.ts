import { z } from "zod";
import { ZxcvbnFactory } from "@zxcvbn-ts/core";
import * as zxcvbnCommon from "@zxcvbn-ts/language-common";
import * as zxcvbnEn from "@zxcvbn-ts/language-en";

/**
 * Password policies, as Zendesk defines its security levels, one for staff and one for end users
 * per tenant (admins choose; password-settings-service.ts):
 *  - low: at least 5 characters;
 *  - medium: at least 6, mixed-case letters, a digit and a symbol, not a common password;
 *  - high: medium, plus expiry after 90 days and none of the last 5 passwords again;
 *  - recommended: at least 12, mixed-case letters, a digit and a symbol, nothing like the e-mail
 *    address, not a common or breached password (a stronger strength score), 5 wrong passwords
 *    lock the account for 10 minutes;
 *  - custom (staff only): the admin's own rules, within the ranges Zendesk requires for team
 *    members (length 12 to 128, lockout after 5 to 10 attempts, never like the e-mail address).
 * Staff choose between recommended (the default) and custom: the legacy low, medium and high
 * levels are too weak for team members (Zendesk retired them for team members in 2026). End users
 * may have any level but custom; their default is medium.
 * Every level locks an account after wrong passwords in a row (Vaultdesk's addition for the
 * levels that name none: 10 attempts), and each lockout in a row lasts twice as long as the last.
 * Strength is scored with zxcvbn-ts (offline, with its common-password and English dictionaries
 * and the person's own name and address as words to avoid).
 */

export const LEVELS = ["low", "medium", "high", "recommended", "custom"] as const;
export type Level = (typeof LEVELS)[number];
export const STAFF_LEVELS: readonly Level[] = ["recommended", "custom"];
export const END_USER_LEVELS: readonly Level[] = ["low", "medium", "high", "recommended"];

/** The rules a level stands for (or an admin's custom rules). */
export const rulesSchema = z
  .object({
    min_length: z.number().int().min(5).max(128),
    mixed_case: z.boolean(),
    digit: z.boolean(),
    symbol: z.boolean(),
    not_like_email: z.boolean(),
    /** Refuse passwords zxcvbn finds this guessable or less (0 = any; 2 refuses common ones, 3 also breached-list variants). */
    min_strength: z.number().int().min(0).max(4),
    /** How many earlier passwords may not be used again (0 to 24). */
    history: z.number().int().min(0).max(24),
    /** Days after which a password must be changed at the next sign-in (null: never). */
    expiry_days: z.number().int().min(1).max(3650).nullable(),
    /** Wrong passwords in a row that lock the account. */
    lockout_attempts: z.number().int().min(3).max(20),
    /** How long the first lockout lasts (each one in a row lasts twice as long, at most a day). */
    lockout_minutes: z.number().int().min(1).max(1440),
    /** At most this many consecutive letters or digits in a run such as "abcd" or "1234" (null: any). */
    max_sequence: z.number().int().min(2).max(20).nullable(),
  })
  .strict();
export type Rules = z.infer<typeof rulesSchema>;

export const policySchema = z.discriminatedUnion("level", [
  z.object({ level: z.enum(["low", "medium", "high", "recommended"]) }).strict(),
  z.object({ level: z.literal("custom"), rules: rulesSchema }).strict(),
]);
export type PasswordPolicy = z.infer<typeof policySchema>;

const RECOMMENDED: Rules = { min_length: 12, mixed_case: true, digit: true, symbol: true, not_like_email: true, min_strength: 3, history: 0, expiry_days: null, lockout_attempts: 5, lockout_minutes: 10, max_sequence: null };
const MEDIUM: Rules = { min_length: 6, mixed_case: true, digit: true, symbol: true, not_like_email: false, min_strength: 2, history: 0, expiry_days: null, lockout_attempts: 10, lockout_minutes: 10, max_sequence: null };

export const LEVEL_RULES: Readonly<Record<Exclude<Level, "custom">, Rules>> = {
  low: { min_length: 5, mixed_case: false, digit: false, symbol: false, not_like_email: false, min_strength: 0, history: 0, expiry_days: null, lockout_attempts: 10, lockout_minutes: 10, max_sequence: null },
  medium: MEDIUM,
  high: { ...MEDIUM, history: 5, expiry_days: 90 },
  recommended: RECOMMENDED,
};

export const DEFAULT_STAFF_POLICY: PasswordPolicy = { level: "recommended" };
export const DEFAULT_END_USER_POLICY: PasswordPolicy = { level: "medium" };

/** The longest password taken (argon2 hashes any length; this bounds the work per attempt). */
export const MAX_PASSWORD_LENGTH = 256;

export function rulesOf(policy: PasswordPolicy): Rules {
  return policy.level === "custom" ? policy.rules : LEVEL_RULES[policy.level];
}

/**
 * What a custom policy for staff may not go below (Zendesk's ranges for team members): an answer
 * naming the first rule out of range, or undefined.
 */
export function customRulesProblem(rules: Rules): string | undefined {
  if (rules.min_length < 12 || rules.min_length > 128) return "min_length must be between 12 and 128 for staff";
  if (rules.lockout_attempts < 5 || rules.lockout_attempts > 10) return "lockout_attempts must be between 5 and 10 for staff";
  if (!rules.not_like_email) return "not_like_email must be true for staff";
  return undefined;
}

let estimator: ZxcvbnFactory | undefined;
/** Built on first use: the dictionaries take a moment to load and most requests never need them. */
function strengthEstimator(): ZxcvbnFactory {
  estimator ??= new ZxcvbnFactory({
    dictionary: { ...zxcvbnCommon.dictionary, ...zxcvbnEn.dictionary },
    graphs: zxcvbnCommon.adjacencyGraphs,
    translations: zxcvbnEn.translations,
  });
  return estimator;
}

/** Who the password is for: words a password must not be built on. */
export type PasswordOwner = { email?: string | undefined; name?: string | undefined; teamName?: string | undefined };

function longestSequence(password: string): number {
  let best = 1;
  let run = 1;
  for (let i = 1; i < password.length; i++) {
    const a = password.charCodeAt(i - 1);
    const b = password.charCodeAt(i);
    const alnum = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
    run = alnum(a) && alnum(b) && Math.abs(b - a) === 1 ? run + 1 : 1;
    best = Math.max(best, run);
  }
  return password.length === 0 ? 0 : best;
}

/** Whether the password resembles the address: contains its local part, or the address without punctuation. */
function likeEmail(password: string, email: string): boolean {
  const p = password.toLowerCase();
  const [local = "", domain = ""] = email.toLowerCase().split("@");
  const squash = (s: string) => s.replace(/[^a-z0-9]/g, "");
  const parts = [local, squash(local), domain.split(".")[0] ?? ""].filter((x) => x.length >= 3);
  return parts.some((x) => p.includes(x)) || squash(p).includes(squash(email.toLowerCase()));
}

/**
 * The rules this password breaks, in words (empty when it is acceptable). Earlier passwords are
 * checked apart (they need the slow hash: identity-service.ts).
 */
export function passwordProblems(rules: Rules, password: string, owner: PasswordOwner): string[] {
  const problems: string[] = [];
  const length = [...password].length;
  if (length < rules.min_length) problems.push(`must be at least ${rules.min_length} characters long`);
  if (password.length > MAX_PASSWORD_LENGTH) problems.push(`must be at most ${MAX_PASSWORD_LENGTH} characters long`);
  if (rules.mixed_case && !(/\p{Ll}/u.test(password) && /\p{Lu}/u.test(password))) problems.push("must include both lowercase and uppercase letters");
  if (rules.digit && !/\p{Nd}/u.test(password)) problems.push("must include a number");
  if (rules.symbol && !/[^\p{L}\p{Nd}]/u.test(password)) problems.push("must include a character that is not a letter or number");
  if (rules.not_like_email && owner.email && likeEmail(password, owner.email)) problems.push("must not resemble your e-mail address");
  if (rules.max_sequence !== null && longestSequence(password) > rules.max_sequence) problems.push(`must not have more than ${rules.max_sequence} consecutive letters or numbers in sequence`);
  if (rules.min_strength > 0 && problems.length === 0 && password.length <= MAX_PASSWORD_LENGTH) {
    const words = [owner.email, owner.email?.split("@")[0], ...(owner.name ?? "").split(/\s+/), owner.teamName, "vaultdesk"].filter((w): w is string => !!w && w.length >= 3);
    const r = strengthEstimator().check(password, words);
    if (r.score < rules.min_strength) problems.push("is too easy to guess: it is a common or breached password, or built on one");
  }
  return problems;
}

/** The rules in words, as Zendesk's `GET /users/{id}/password/requirements` answers them. */
export function requirementsInWords(rules: Rules): string[] {
  const out = [`must be at least ${rules.min_length} characters long`];
  if (rules.mixed_case) out.push("must include both lowercase and uppercase letters");
  if (rules.digit) out.push("must include a number");
  if (rules.symbol) out.push("must include a character that is not a letter or number");
  if (rules.not_like_email) out.push("must not resemble your e-mail address");
  if (rules.max_sequence !== null) out.push(`must not have more than ${rules.max_sequence} consecutive letters or numbers in sequence`);
  if (rules.min_strength > 0) out.push("must not be a common or breached password");
  if (rules.history > 0) out.push(`must be different from your ${rules.history} previous passwords`);
  if (rules.expiry_days !== null) out.push(`expires after ${rules.expiry_days} days`);
  out.push(`${rules.lockout_attempts} wrong passwords in a row lock the account for ${rules.lockout_minutes} minutes, longer each time`);
  return out;
}

/** How long the next lockout lasts, given how many came before it in a row (doubling, at most a day). */
export function lockoutMs(rules: Rules, earlierLockouts: number): number {
  return Math.min(24 * 3600_000, rules.lockout_minutes * 60_000 * 2 ** Math.min(earlierLockouts, 16));
}
