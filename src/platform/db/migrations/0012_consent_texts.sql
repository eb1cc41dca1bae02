-- Consent texts per language. 0007 keeps the default text (consent_text_sealed); this adds the
-- texts an admin wrote for particular languages, as one sealed JSON object {"ja": "…", "sv": "…"}
-- bound to the tenant's settings row like the default text. The consent version counts changes
-- of the default text and of any of these, so a version names one set of texts.
ALTER TABLE tenant_settings ADD COLUMN consent_texts_sealed bytea;

-- The language of the text a person accepted (a BCP 47 tag such as ja); NULL for the default text.
ALTER TABLE consent_records ADD COLUMN text_locale text CHECK (text_locale IS NULL OR text_locale ~ '^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$');
