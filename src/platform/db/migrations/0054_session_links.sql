-- The session an OAuth grant was consented in, and the session a passkey was registered in
-- (sso-service.ts endSessionsThrough). When an identity provider's settings stop trusting a secret,
-- certificate or issuer, the sessions opened through it end, and so must what they left behind: a
-- grant or a passkey added in one of them would otherwise keep the way in open (a passkey signs in
-- without the provider). Rows from before this migration have none and are found by time as before.
ALTER TABLE oauth_grants ADD COLUMN session_id uuid;
ALTER TABLE passkeys ADD COLUMN session_id uuid;
