import { z } from "zod";
import { lineText } from "../../platform/schemas.ts";

/** API shapes of uploads and attachments (Zendesk's Attachments API), and a tenant's attachment settings. */

/** An upload token as Zendesk clients send it back (`comment.uploads`). */
export const uploadToken = z.string().min(1).max(100).regex(/^[A-Za-z0-9_-]+$/, "is not an upload token");
export const uploadTokens = z.array(uploadToken).max(20);

/** A file name: one line, no folders, not empty (what the client calls the file; never trusted for its type). */
export const fileName = lineText(255)
  .transform((s) => s.replace(/^.*[\\/]/, "").trim())
  .pipe(z.string().min(1, "cannot be blank").refine((s) => s !== "." && s !== "..", "is not a file name"));

export const malwareScanResult = z.enum(["malware_not_found", "malware_found", "not_scanned", "failed_to_scan"]);

export const attachmentView = z.object({
  id: z.number(),
  url: z.string(),
  file_name: z.string(),
  /** A short-lived link for the person who asked (a signed-in user who may see the file); null while the file may not be served. */
  content_url: z.string().nullable(),
  mapped_content_url: z.string().nullable(),
  content_type: z.string(),
  size: z.number(),
  width: z.number().nullable(),
  height: z.number().nullable(),
  inline: z.literal(false),
  deleted: z.boolean(),
  malware_access_override: z.literal(false),
  malware_scan_result: malwareScanResult,
  thumbnails: z.array(z.never()),
  /** Vaultdesk: where the malware scan stands (`pending`: not served until scanned clean; `unscannable`: the scanner refused it, e.g. over its size limit: not served while scanning is on). */
  scan_status: z.enum(["not_scanned", "pending", "clean", "infected", "unscannable"]),
});
export type AttachmentView = z.infer<typeof attachmentView>;

export const uploadView = z.object({
  upload: z.object({
    token: z.string(),
    expires_at: z.string(),
    attachment: attachmentView,
    attachments: z.array(attachmentView),
  }),
});

export const attachmentSettingsView = z.object({
  enabled: z.boolean(),
  end_users_may_attach: z.boolean(),
  max_bytes: z.number(),
  /** The installation's ceiling (VAULTDESK_ATTACHMENT_MAX_BYTES): max_bytes cannot exceed it. */
  max_bytes_limit: z.number(),
  blocked_extensions: z.array(z.string()),
  allowed_types: z.array(z.string()).nullable(),
  scanning: z.boolean(),
});

const extension = z
  .string()
  .trim()
  .max(20)
  .regex(/^\.?[A-Za-z0-9]{1,16}$/, "must be a file name extension such as exe")
  .transform((s) => s.replace(/^\./, "").toLowerCase());
const mediaType = z
  .string()
  .trim()
  .max(255)
  .regex(/^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*\/([A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*|\*)$/, "must be a media type such as image/png or image/*")
  .transform((s) => s.toLowerCase());

export const attachmentSettingsInput = z.strictObject({
  settings: z.strictObject({
    enabled: z.boolean().optional(),
    end_users_may_attach: z.boolean().optional(),
    max_bytes: z.number().int().min(1).max(1024 * 1024 * 1024).optional(),
    blocked_extensions: z.array(extension).max(200).optional(),
    allowed_types: z.array(mediaType).max(200).nullable().optional(),
  }),
});
