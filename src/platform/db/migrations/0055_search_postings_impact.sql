-- Search: a single word in most of a tenant's tickets without reading all of its postings
-- (bench/README.md, "Search", "Impact order"). Each posting has an impact key
-- u = (len + 20) / tf (len: its document's length when the posting was last written, never above
-- the length now; 0052). BM25's weight of a posting falls as u grows, whatever the tenant's
-- average length (search-repo.ts impactFirst derives the bound), so a word's postings read in
-- ascending u can stop once the bound at the next u is below the best scores found: every
-- ticket not read scores less. This index holds each term's postings in that order, but only
-- those with u of at most 28 (search-repo.ts IMPACT_OFFSET and IMPACT_MAX, which must equal the
-- constants below): the best matches of a word in a large share of the tickets lie there (short
-- documents, many occurrences), and a write adds an entry here for about one posting in twenty,
-- not for every one (each entry of a rare term is a page of the index written at random: "Write
-- layouts"). A posting written again with a longer document may leave it; one lowered by a
-- removal may enter it.
--
-- Index-only: the key's expression is computed from `len` and `tf`, which it includes beside
-- the ticket and the visibility.
CREATE INDEX search_postings_impact ON search_postings (tenant_id, term, ((len + 20)::float8 / tf)) INCLUDE (nice_id, internal, tf, len)
  WHERE len + 20 <= 28 * tf;
