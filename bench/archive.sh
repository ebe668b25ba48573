#!/usr/bin/env bash
# The cost of `audit archive` at 10 million entries (docs/performance.md, "Partitioning the audit trail by
# month"): 3,000 patients and 10M entries from now to 120 days ahead (five monthly partitions), then, with
# the clock at 1 June 2027 (libfaketime) and no months kept online, archive the two oldest months, check the
# second file and verify what is left. Needs PostgreSQL as in CI and `faketime`; drops and creates
# ${BENCH_ARCHIVE_DB:-clearcourse_bench_archive}. Writes the archive files and a checkpoint key to var/bench-archive/.
set -euo pipefail
cd "$(dirname "$0")/.."
DB=${BENCH_ARCHIVE_DB:-clearcourse_bench_archive}
export DATABASE_URL=postgres://postgres@127.0.0.1:5432/$DB CLEARCOURSE_DATA_DIR="$PWD/var/bench-archive"
OUT="$CLEARCOURSE_DATA_DIR/files"
PY=.venv/bin/python
psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" -c "CREATE DATABASE \"$DB\""
rm -rf "$CLEARCOURSE_DATA_DIR"; mkdir -p "$OUT"
$PY -m clearcourse migrate -v0
$PY -m clearcourse synth --patients 3000 --clinics 3 --pharmacies 6 >/dev/null
$PY -m clearcourse synth_audit --entries 10000000 --days 120 --end "$(date -u -d '+125 days' +%Y-%m-%dT%H:%M:%S+00:00)" | tail -1
$PY -m clearcourse audit checkpoint-key --out "$CLEARCOURSE_DATA_DIR/checkpoint.key" >/dev/null
export CLEARCOURSE_AUDIT_CHECKPOINT_KEY_FILE="$CLEARCOURSE_DATA_DIR/checkpoint.key" CLEARCOURSE_AUDIT_ONLINE_MONTHS=0
$PY -m clearcourse audit partitions
FIRST=$(date -u +%Y-%m)  # the oldest partition: this month's, made by the migration
SECOND=$(date -u -d "$FIRST-01 +1 month" +%Y-%m)
for month in "$FIRST" "$SECOND"; do
  /usr/bin/time -f "archive $month: %e s wall, %U s user" \
    env TZ=UTC faketime "$(date -u -d '+8 months' +%Y-%m-01) 08:00:00" $PY -m clearcourse audit archive --month "$month" --out "$OUT"
done
ls -l "$OUT"
/usr/bin/time -f "archive-check: %e s wall" $PY -m clearcourse audit archive-check "$OUT/audit_auditentry_y${SECOND/-/m}.csv.gz"
/usr/bin/time -f "verify: %e s wall" $PY -m clearcourse audit verify
psql -h 127.0.0.1 -U postgres -Atc "SELECT pg_size_pretty(pg_database_size('$DB'))"
