-- Indexing a ticket inserts one posting per term (~180 for a ticket of ~80 words), and the
-- postings' foreign key to tenants ran a referential check for each of them: a lookup of the
-- tenant's row that locks it FOR KEY SHARE, in every concurrent write of the tenant. Tenants are
-- never deleted (shredding keeps the row), and row-level security already holds every posting to
-- the tenant of its transaction (WITH CHECK tenant_id = vd_tenant()), which is set only to an
-- existing tenant: the check could never fail. The documents keep their keys to tenants and to
-- tickets (one row per ticket and visibility).
ALTER TABLE search_postings DROP CONSTRAINT search_postings_tenant_id_fkey;
