-- OAuth upkeep (src/modules/identity/oauth-upkeep.ts): authorization codes and tokens past their
-- expiry are deleted by a maintenance task once a grace period has passed (a used code or refresh
-- token stays until then, so that presenting it again is still seen as reuse and revokes its
-- grant). Grants stay: they are the record of a person's consent, listed as authorized apps.
GRANT DELETE ON oauth_codes, oauth_tokens TO vaultdesk_app;
CREATE INDEX oauth_codes_expiry ON oauth_codes (tenant_id, expires_at);
CREATE INDEX oauth_tokens_expiry ON oauth_tokens (tenant_id, expires_at);
