import { z } from "zod";

/** API shapes for groups and group memberships (Zendesk Support API v2). */

export const groupView = z.object({ id: z.number(), url: z.string(), name: z.string(), description: z.string(), default: z.boolean(), deleted: z.boolean(), created_at: z.string(), updated_at: z.string() });
export const membershipView = z.object({ id: z.number(), url: z.string(), user_id: z.number(), group_id: z.number(), default: z.boolean(), created_at: z.string(), updated_at: z.string() });
