-- Zendesk's incremental exports (GET /api/v2/incremental/users/cursor.json) page through a
-- tenant's people by last change, then public id: one index range per page, as the tickets'
-- tickets_updated_page (0008).
CREATE INDEX users_updated_page ON users (tenant_id, updated_at, nice_id);
