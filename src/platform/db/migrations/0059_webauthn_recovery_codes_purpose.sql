-- A WebAuthn challenge of its own purpose for renewing recovery codes with a passkey
-- (POST /users/me/two_factor/recovery_codes/passkey/options, then .../passkey): bound to its
-- person like a second factor's, so that a challenge issued for a sign-in, a registration or
-- another person is never accepted there.
ALTER TABLE webauthn_challenges DROP CONSTRAINT webauthn_challenges_purpose_check;
ALTER TABLE webauthn_challenges ADD CONSTRAINT webauthn_challenges_purpose_check
  CHECK (purpose IN ('registration', 'second_factor', 'passwordless', 'recovery_codes'));
