import { z } from "zod";

/** API shapes of the help center shared with other modules' routes. */

/** A consent record as staff and the person see it (`text_locale`: the language of the text accepted, null for the default text). */
export const consentRecordView = z.object({
  id: z.number(), request_id: z.number().nullable(), text: z.string(), text_version: z.number(), text_locale: z.string().nullable(), text_sha256: z.string(), accepted_at: z.string(), ip: z.string().nullable(),
});
