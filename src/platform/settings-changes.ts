import type { RequestContext } from "./context.ts";

/**
 * The account settings a tenant's admins change, by area. Every writer of one announces the change
 * with `settingsChanged`, after writing and before its transaction commits: a listener (the
 * compliance module's healthcare mode) reads the settings as they would be and refuses the change
 * by throwing, which rolls the write and its audit entry back. One announcement per writer, one
 * check for all of them, and no module importing the compliance module (which reads theirs).
 */
export type SettingsArea = "passwords" | "two_factor" | "sessions" | "notifications" | "api" | "ip_restrictions" | "sso";

export type SettingsChanged = { area: SettingsArea };

declare module "./hooks.ts" {
  interface HookEvents {
    "settings.changed": SettingsChanged;
  }
}

/** Announces a settings change in the writer's transaction (listeners may refuse it by throwing). */
export async function settingsChanged(ctx: RequestContext, area: SettingsArea): Promise<void> {
  await ctx.hooks.emit("settings.changed", ctx, { area });
}
