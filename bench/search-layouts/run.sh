#!/bin/bash
# Write-path layouts of the search index, measured on a database kept by a search benchmark run
# (BENCH_KEEP_DATABASES=1 npm run bench -- --search): bench/README.md, "Search", "Write layouts".
# Usage: bench/search-layouts/run.sh [seconds per variant]. Needs psql and pgbench on PATH and the
# server of BENCH_DATABASE_URL's host at 127.0.0.1:5432 as postgres. Builds experiment tables
# (exp_*) in the kept database and inserts into its search_postings: throw the database away after.
set -euo pipefail
cd "$(dirname "$0")"
T=${1:-30}
DB=$(psql -h 127.0.0.1 -U postgres -Atc "select datname from pg_database where datname like 'vd_bench_search%' order by datname desc limit 1")
BIG=$(psql -h 127.0.0.1 -U postgres -d "$DB" -Atc "select id from tenants where subdomain = 'big'")
q() { psql -h 127.0.0.1 -U postgres -d "$DB" -Atc "$1"; }
echo "database $DB, big tenant $BIG"
# exp_ids (the tenant's documents numbered), exp_docs (one row a document: sorted 64-bit term hashes
# and their counts, GIN-indexed), exp_df, exp_split (20,000 documents' terms split at the 55th
# percentile of document frequency: the rarer part stands in for the pair terms), exp_pick (terms
# of five frequencies) and the read timings.
psql -h 127.0.0.1 -U postgres -d "$DB" -v big="$BIG" -f build.sql
psql -h 127.0.0.1 -U postgres -d "$DB" -v big="$BIG" -f build2.sql
psql -h 127.0.0.1 -U postgres -d "$DB" -v big="$BIG" -f q.sql
q "CREATE SEQUENCE IF NOT EXISTS exp_seq" >/dev/null
# a: postings as today; b: one GIN row a document; c: common postings + a GIN row of the rare
# terms; d: postings with an increasing ticket key; e: c with an increasing key.
for v in ${VARIANTS:-a b c d e a b c d e}; do
  q "CHECKPOINT" >/dev/null
  l0=$(q "select pg_current_wal_lsn()"); f0=$(q "select wal_fpi from pg_stat_wal")
  out=$(pgbench -h 127.0.0.1 -U postgres -n -M extended -c 4 -j 2 -T "$T" -D n=20000 -D big="$BIG" -f "e_$v.sql" "$DB" 2>&1 | grep -E "^tps|actually processed")
  s0=$(date +%s.%N)
  q "select gin_clean_pending_list('exp_docs_terms')" >/dev/null # what is left pending is work too
  clean=$(echo "$(date +%s.%N) - $s0" | bc)
  l1=$(q "select pg_current_wal_lsn()"); f1=$(q "select wal_fpi from pg_stat_wal")
  n=$(echo "$out" | grep "actually" | grep -oE "[0-9]+" | head -1)
  wal=$(q "select pg_wal_lsn_diff('$l1','$l0')")
  echo "variant $v: $(echo "$out" | tr '\n' ' ') | pending list cleaned in ${clean}s | WAL per create $((wal / n)) B | page images per create $(( (f1 - f0) * 100 / n ))e-2"
done
