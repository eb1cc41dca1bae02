import { z } from "zod";

/**
 * Shared, bounded input schemas. Every endpoint builds on these so that one endpoint cannot
 * accept what another refuses. No bare z.string() in route schemas.
 */

/** Public per-tenant id (tickets 1, 2, 3 …). */
export const publicId = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
export const publicIdParam = z.object({ id: publicId });

export const email = z
  .string()
  .trim()
  .max(254)
  .regex(/^[^\s@<>()[\]\\,;:"]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/, "is not a valid e-mail address")
  .transform((s) => s.toLowerCase());

/** Printable text on one line (names, subjects). */
export const lineText = (max: number) =>
  z
    .string()
    .max(max)
    .refine((s) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(s), "contains control characters");

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

export const isoDate = z
  .string()
  .max(40)
  .refine((s) => !Number.isNaN(Date.parse(s)), "is not a valid date");

export const pageQuery = z.object({
  page: z.union([z.coerce.number().int().min(1).max(100_000), z.object({ size: z.coerce.number().int().min(1).max(100).optional(), after: z.string().max(200).optional(), before: z.string().max(200).optional() })]).optional(),
  per_page: z.coerce.number().int().min(1).max(100).optional(),
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
