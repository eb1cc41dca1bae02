import { z } from "zod";

/**
 * Shared, bounded input schemas. Every endpoint builds on these so that one endpoint cannot
 * accept what another refuses. No bare z.string() in route schemas.
 */

/**
 * A whole number from min to max, given as a JSON number or as a string of decimal digits (path
 * and query values are strings, and clients send ids in bodies either way). Nothing else is read
 * as a number: z.coerce.number() would take `true` as 1, `[7]` as 7, `"0x10"` as 16, `"1e3"` as
 * 1000 and `" 5 "` as 5; here each of those is refused with the field named.
 */
export const wholeNumber = (min: number, max: number) =>
  z
    .union([z.number(), z.string().regex(/^[0-9]{1,16}$/, "must be a whole number").transform(Number)], { error: "must be a whole number" })
    .pipe(z.number().int().min(min).max(max));

/** Public per-tenant id (tickets 1, 2, 3 …). */
export const publicId = wholeNumber(1, Number.MAX_SAFE_INTEGER);
export const publicIdParam = z.object({ id: publicId });

export const email = z
  .string()
  .trim()
  .max(254)
  .regex(/^[^\s@<>()[\]\\,;:"]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/, "is not a valid e-mail address")
  .transform((s) => s.toLowerCase());

/**
 * Printable text on one line (names, subjects). No control character at all, tabs and line breaks
 * (also U+0085, U+2028, U+2029) included: these values go into mail headers, CSV cells and log
 * lines, where a line break starts something else.
 */
export const lineText = (max: number) =>
  z
    .string()
    .max(max)
    .refine((s) => !/[\u0000-\u001f\u007f\u0085\u2028\u2029]/.test(s), "must be one line without control characters");

/** Multi-line text (bodies, notes). */
export const longText = (max: number) =>
  z
    .string()
    .max(max)
    .refine((s) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(s), "contains control characters");

export const name = lineText(255).pipe(z.string().trim().min(1, "cannot be blank"));

export const tag = z
  .string()
  .trim()
  .min(1)
  .max(80)
  .regex(/^[\p{L}\p{N}_\-:./]+$/u, "may contain letters, digits and _ - : . / only")
  .transform((s) => s.toLowerCase());
export const tags = z.array(tag).max(100);

export const phone = z.string().trim().max(40).regex(/^[+0-9 ()\-.x]*$/, "is not a valid phone number");
export const externalId = lineText(255);

/** A language tag such as ja, sv or zh-CN (BCP 47). */
export const locale = z.string().max(35).regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, "is not a language tag such as ja or zh-CN");

const TIME_ZONES = new Set([...Intl.supportedValuesOf("timeZone"), "UTC", "Etc/UTC"]);
/** An IANA time zone name such as Europe/Stockholm. */
export const timeZone = z.string().max(64).refine((s) => TIME_ZONES.has(s), "is not a time zone name such as Europe/Stockholm or Asia/Tokyo");

export const subdomain = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, "must be lower-case letters, digits and hyphens");

/** Years a date may fall in: what the database, JavaScript and every client hold without surprises. */
export const DATE_YEARS = { min: 1900, max: 9999 } as const;
export const DATE_RULE = `use ISO 8601 (2026-05-01 or 2026-05-01T09:30:00Z), years ${DATE_YEARS.min} to ${DATE_YEARS.max}`;

const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/**
 * A real calendar date (or date and time) in ISO 8601 within DATE_YEARS, or undefined. Refuses
 * what Date.parse would stretch into something else: "2026-02-30" (March 2nd), "0" (the year
 * 2000), "+275760-09-13" (beyond what PostgreSQL's clients and JSON round-trip), 24:00.
 * A date without a time is midnight UTC; a time without a zone is the server's local time.
 */
export function parseIsoDate(s: string): Date | undefined {
  const m = ISO_8601.exec(s);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(2000, month, 0)).getUTCDate()) return undefined;
  if (month === 2 && day === 29 && !(year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0))) return undefined;
  if (m[4] !== undefined && (Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6] ?? 0) > 59)) return undefined;
  if (m[7] !== undefined && m[7] !== "Z" && (Number(m[7].slice(1, 3)) > 14 || Number(m[7].slice(4)) > 59)) return undefined;
  const t = Date.parse(s);
  if (Number.isNaN(t)) return undefined;
  const d = new Date(t);
  // Also after the zone is applied (9999-12-31T23:00-05:00 is in the year 10000 in UTC).
  if (year < DATE_YEARS.min || year > DATE_YEARS.max || d.getUTCFullYear() < DATE_YEARS.min || d.getUTCFullYear() > DATE_YEARS.max) return undefined;
  return d;
}

/** A date or date-time (see parseIsoDate), normalized to `YYYY-MM-DDTHH:MM:SS.sssZ`. */
export const isoDate = z
  .string()
  .max(40)
  .refine((s) => parseIsoDate(s) !== undefined, `is not a valid date: ${DATE_RULE}`)
  .transform((s) => parseIsoDate(s)!.toISOString());

export const pageQuery = z.object({
  page: z.union([wholeNumber(1, 100_000), z.object({ size: wholeNumber(1, 100).optional(), after: z.string().max(200).optional(), before: z.string().max(200).optional() })]).optional(),
  per_page: wholeNumber(1, 100).optional(),
  sort_order: z.enum(["asc", "desc"]).optional(),
  include: z.string().max(200).regex(/^[a-z_,]*$/).optional(),
});
export type PageQuery = z.infer<typeof pageQuery>;

/** Comma-separated public ids (`show_many?ids=1,2,3`), at most 100. */
export const idList = z
  .string()
  .max(2000)
  .regex(/^\d+(,\d+)*$/, "must be comma-separated ids")
  .transform((s) => [...new Set(s.split(",").map(Number))])
  .refine((a) => a.length <= 100, "at most 100 ids")
  .refine((a) => a.every((n) => n >= 1 && Number.isSafeInteger(n)), "ids must be positive integers");
