import { z } from "zod";
import { publicId } from "../../platform/schemas.ts";

/** API shapes views and macros share: who one is for (Zendesk's `restriction`). */

/** `restriction` as sent: `null` (every staff member), a group, or the caller themself. */
export const restrictionInput = z.union([z.null(), z.strictObject({ type: z.enum(["User", "Group"]), id: publicId })]);
export type RestrictionInput = z.infer<typeof restrictionInput>;
/** `restriction` as answered. */
export const restrictionView = z.object({ type: z.enum(["User", "Group"]), id: z.number() }).nullable();
export type RestrictionView = z.infer<typeof restrictionView>;
