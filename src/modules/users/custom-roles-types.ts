import { z } from "zod";
import { longText, name } from "../../platform/schemas.ts";
import { TICKET_ACCESS } from "../../platform/roles.ts";

/** API shapes for Zendesk's Custom Agent Roles API (`/api/v2/custom_roles`). */

/** A configuration as written: every key optional (what is left out keeps its value, or the agent preset's for a new role). */
export const roleConfigurationInput = z.strictObject({
  ticket_access: z.enum(TICKET_ACCESS).optional(),
  ticket_editing: z.boolean().optional(),
  ticket_comment_access: z.enum(["public", "internal"]).optional(),
  ticket_deletion: z.boolean().optional(),
  ticket_redaction: z.boolean().optional(),
  end_user_profile_access: z.enum(["readonly", "edit"]).optional(),
  group_access: z.boolean().optional(),
  organization_editing: z.boolean().optional(),
  audit_log_access: z.boolean().optional(),
  api_token_access: z.boolean().optional(),
  data_export_access: z.boolean().optional(),
});
export type RoleConfigurationInput = z.infer<typeof roleConfigurationInput>;

export const customRoleInput = z.strictObject({ name, description: longText(1000).optional(), configuration: roleConfigurationInput.optional() });
export type CustomRoleInput = z.infer<typeof customRoleInput>;

const configurationView = z.object({
  ticket_access: z.enum(TICKET_ACCESS),
  ticket_editing: z.boolean(),
  ticket_comment_access: z.enum(["public", "internal"]),
  ticket_deletion: z.boolean(),
  ticket_redaction: z.boolean(),
  end_user_profile_access: z.enum(["readonly", "edit"]),
  group_access: z.boolean(),
  organization_editing: z.boolean(),
  audit_log_access: z.boolean(),
  api_token_access: z.boolean(),
  data_export_access: z.boolean(),
});

export const customRoleView = z.object({
  id: z.number(),
  url: z.string(),
  name: z.string(),
  description: z.string(),
  /** Zendesk's role types: 0 custom agent role (and the agent preset), 1 light agent, 4 admin. */
  role_type: z.number(),
  /** Built-in presets cannot be edited or deleted. */
  built_in: z.boolean(),
  configuration: configurationView,
  team_member_count: z.number(),
  created_at: z.string().nullable(),
  updated_at: z.string().nullable(),
});
export type CustomRoleView = z.infer<typeof customRoleView>;
