import { z } from "zod";

export const controlView = z.object({
  key: z.string().describe("Stable name of the control (e.g. staff_two_factor)."),
  title: z.string(),
  state: z.enum(["pass", "fail", "not_applicable"]),
  owner: z.enum(["operator", "customer"]).describe("Who is responsible for it (shared-responsibility model): the installation's operator, or the account's admins."),
  healthcare: z.boolean().describe("Part of the healthcare (HIPAA/HDS) minimum configuration: checked before healthcare mode turns on, guarded while it is on."),
  requirement: z.string().describe("The requirement it answers."),
  detail: z.string().describe("What is in place, or what is wrong, in words."),
  fix: z.string().describe("Where to change it: an admin-center path (/admin/…) or a docs page."),
});
export type ControlView = z.infer<typeof controlView>;

export const postureView = z.object({
  healthcare_mode: z.boolean(),
  checked_at: z.string(),
  counts: z.object({ pass: z.number().int(), fail: z.number().int(), not_applicable: z.number().int() }),
  controls: z.array(controlView),
});
export type PostureView = z.infer<typeof postureView>;

export const healthcareModeView = z.object({ enabled: z.boolean() });
export const healthcareModeInput = z.strictObject({ healthcare_mode: z.strictObject({ enabled: z.boolean() }) });

export const subprocessorsView = z.object({
  hosting_region: z.string().describe("Where this installation is hosted (VAULTDESK_REGION)."),
  subprocessors: z.array(z.object({ name: z.string(), purpose: z.string(), location: z.string(), url: z.string().nullable() })),
});
export type SubprocessorsView = z.infer<typeof subprocessorsView>;
