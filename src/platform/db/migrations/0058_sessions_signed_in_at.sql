-- When the person last proved who they are for this session, where that is not the session's
-- creation: for single sign-on, the identity provider's own time of authentication (OpenID
-- Connect `auth_time`, SAML `AuthnInstant`), which may lie long before (the provider reused a
-- sign-in of its own); the epoch when the provider did not say. NULL: at the session's creation
-- (a password, a passkey, an e-mailed link). The recent sign-in that some steps need
-- (platform/recent-sign-in.ts) is judged from it.
ALTER TABLE sessions ADD COLUMN signed_in_at timestamptz;
