-- A session opened with a sign-in link that staff made for the person (POST /users/{id}/sign_in_links)
-- proves who holds the link, not that the person signed in: it does not count as the recent
-- sign-in that adding a passkey needs (passkeys-service.ts), so that whoever made the link cannot
-- leave themselves a lasting way into that person's account.
ALTER TABLE sessions ADD COLUMN staff_issued boolean NOT NULL DEFAULT false;
