import { z } from "zod";

/** A session as the Sessions API shows it (Zendesk's fields, and Vaultdesk's device fields). */
export const sessionView = z.object({
  id: z.number(),
  user_id: z.number(),
  authenticated_at: z.string(),
  last_seen_at: z.string(),
  browser: z.string().nullable().describe("Vaultdesk: the browser and its major version, parsed from the User-Agent header."),
  os: z.string().nullable().describe("Vaultdesk: the operating system, parsed from the User-Agent header."),
  ip: z.string().nullable().describe("Vaultdesk: the client address the session began from (stored sealed)."),
  method: z.enum(["password", "link", "invitation", "passkey", "saml", "oidc", "jwt"]).describe("Vaultdesk: how the session began (a password, an e-mailed link, an accepted invitation, a passkey, or single sign-on)."),
  current: z.boolean().describe("Vaultdesk: whether this is the session making the request."),
  url: z.string(),
});
export const sessionListView = z.object({ sessions: z.array(sessionView) });
export const sessionObjectView = z.object({ session: sessionView });

export const sessionSettingsView = z.object({
  idle_minutes: z.number().describe("Minutes without a request after which a session ends (5–1440; healthcare asks for 15 or less)."),
  max_hours: z.number().describe("Hours after sign-in after which a session ends, however active (1–720)."),
  default_idle_minutes: z.number().describe("The server's default (VAULTDESK_SESSION_IDLE_MINUTES), used when the tenant sets none."),
  default_max_hours: z.number().describe("The server's default (VAULTDESK_SESSION_MAX_HOURS)."),
});
export const sessionSettingsInput = z.strictObject({
  session_settings: z.strictObject({
    idle_minutes: z.number().int().min(5).max(1440).nullable().optional(),
    max_hours: z.number().int().min(1).max(720).nullable().optional(),
  }),
});
