import { z } from "zod";
import { wholeNumber } from "../../platform/schemas.ts";

/** Fields a tenant export may carry, per resource (allowlists: nothing else can be asked for). */
export const EXPORT_FIELDS = {
  tickets: ["id", "external_id", "type", "subject", "description", "status", "priority", "requester_id", "submitter_id", "assignee_id", "organization_id", "group_id", "tags", "due_at", "created_at", "updated_at", "via"],
  users: ["id", "name", "email", "phone", "role", "organization_id", "tags", "active", "suspended", "verified", "external_id", "time_zone", "locale", "created_at", "updated_at"],
  organizations: ["id", "name", "external_id", "domain_names", "details", "notes", "tags", "shared_tickets", "created_at", "updated_at"],
} as const;
export type ExportResource = keyof typeof EXPORT_FIELDS;

/** A time as Unix seconds (Zendesk's incremental exports) or an ISO 8601 date-time. */
const time = z.union([z.number().int().min(0).max(32_503_680_000), z.string().max(40).datetime({ offset: true })]).transform((v) => (typeof v === "number" ? new Date(v * 1000) : new Date(v)));

export const tenantExportInput = z
  .strictObject({
    export: z.strictObject({
      resource: z.enum(["tickets", "users", "organizations"]),
      format: z.enum(["csv", "json"]),
      fields: z.array(z.string().max(40)).min(1).max(40).optional().describe("Columns, from the resource's allowed list (default: all of them)."),
      start_time: time.optional().describe("Rows updated at or after this time (Unix seconds or ISO 8601)."),
      end_time: time.optional().describe("Rows updated before this time."),
    }),
  })
  .superRefine((v, c) => {
    const allowed: readonly string[] = EXPORT_FIELDS[v.export.resource];
    for (const [i, f] of (v.export.fields ?? []).entries()) {
      if (!allowed.includes(f)) c.addIssue({ code: "custom", path: ["export", "fields", i], message: `not a field of ${v.export.resource}: allowed are ${allowed.join(", ")}` });
    }
    if (v.export.start_time && v.export.end_time && v.export.end_time <= v.export.start_time) c.addIssue({ code: "custom", path: ["export", "end_time"], message: "must be after start_time" });
  });

const statusEnum = z.enum(["queued", "working", "ready", "downloaded", "expired", "failed"]);

export const dataExportView = z.object({
  id: z.number().int(),
  url: z.string(),
  status: statusEnum.describe("`ready`: the file can be downloaded once through `download_url`; `downloaded` and `expired`: it is gone."),
  user_id: z.number().int().nullable().describe("Whose data (a person export)."),
  rows_done: z.number().int(),
  size: z.number().int().nullable().describe("Bytes of the file, once ready."),
  download_url: z.string().nullable().describe("Signed for the caller, works once, until `expires_at`."),
  created_at: z.string(),
  ready_at: z.string().nullable(),
  expires_at: z.string().nullable(),
  downloaded_at: z.string().nullable(),
});
export type DataExportView = z.infer<typeof dataExportView>;

export const tenantExportView = dataExportView.omit({ user_id: true }).extend({
  resource: z.enum(["tickets", "users", "organizations"]),
  format: z.enum(["csv", "json"]),
  fields: z.array(z.string()),
  start_time: z.string().nullable(),
  end_time: z.string().nullable(),
});
export type TenantExportView = z.infer<typeof tenantExportView>;

export const downloadQuery = z.object({ expires: wholeNumber(0, 99_999_999_999), signature: z.string().min(1).max(100).regex(/^[A-Za-z0-9_-]+$/) });

/** Unix seconds as a query parameter: digits only (an empty value is not 0, a list not its first item). */
const unixSeconds = z.string().regex(/^\d{1,11}$/, "must be Unix seconds (digits)").transform(Number).pipe(z.number().int().max(32_503_680_000));

/** Zendesk's incremental exports: `start_time` (Unix seconds) to begin, then the `cursor` each page gives. */
export const incrementalQuery = z.strictObject({
  start_time: unixSeconds.optional().describe("Unix seconds: what changed at or after this time (to begin a stream)."),
  cursor: z.string().max(300).optional().describe("The `after_cursor` of the previous page (to go on)."),
  per_page: wholeNumber(1, 1000).optional().describe("Items per page (default and most: 1000)."),
});

/** An incremental export's page of `key` items, in Zendesk's shape. */
export function incrementalPage<K extends string, I extends z.ZodType>(key: K, item: I) {
  return z.strictObject({
    [key]: z.array(item),
    after_cursor: z.string().describe("Where the next page starts; also at the end of the stream, to ask again later."),
    after_url: z.string(),
    before_cursor: z.null(),
    before_url: z.null(),
    end_of_stream: z.boolean().describe("True when this page reached what has changed so far."),
  } as { [P in K]: z.ZodArray<I> } & Record<"after_cursor" | "after_url", z.ZodString> & Record<"before_cursor" | "before_url", z.ZodNull> & { end_of_stream: z.ZodBoolean });
}

/** Zendesk's time-based incremental exports: `start_time` (Unix seconds); `next_page` adds `stream`, which marks a request as following a stream. */
export const timeBasedQuery = z.strictObject({
  start_time: unixSeconds.describe("Unix seconds: what changed at or after this time."),
  per_page: wholeNumber(1, 1000).optional().describe("Items per page before the page takes in the rest of its last second (default and most: 1000)."),
  stream: z.string().max(100).regex(/^[A-Za-z0-9_-]+$/).optional().describe("Set by `next_page`: this request follows a stream (not audited again)."),
});

/** A time-based incremental export's page of `key` items, in Zendesk's shape. */
export function timeBasedPage<K extends string, I extends z.ZodType>(key: K, item: I) {
  return z.strictObject({
    [key]: z.array(item),
    count: z.number().int(),
    end_time: z.number().int().describe("Unix seconds where the next page starts (`next_page` asks for it)."),
    next_page: z.string(),
    end_of_stream: z.boolean().describe("True when this page reached what has changed so far (ask `next_page` again later)."),
  } as { [P in K]: z.ZodArray<I> } & { count: z.ZodNumber; end_time: z.ZodNumber; next_page: z.ZodString; end_of_stream: z.ZodBoolean });
}
