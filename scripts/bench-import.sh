#!/usr/bin/env bash
# Population import speed: COUNT synthetic persons into a fresh SQLite
# database and, if reachable, a fresh PostgreSQL database.
#
#   scripts/bench-import.sh
#
# Settings (environment):
#   COUNT=1000000    persons to generate and import
#   SEED=1           seed of `nyckel population generate` (same file every run)
#   PG=postgres://postgres@127.0.0.1:5432   PostgreSQL server (skipped if
#                    unreachable); a uniquely named database is created on it
#                    and dropped afterwards
#   BIN_DIR=DIR      use the binaries in DIR instead of building
#                    target/release (e.g. a copy made while the tree built)
#   WORK=DIR         where the CSV and the SQLite data dir go
#                    (default: a new /tmp/nyckel-bench-import.XXXXXX)
#
# Rows/s are computed from the wall time of the whole `nyckel population
# import` process (opening and migrating the database, parsing, writing,
# committing); the command's own rows/s line is shown as well.
set -euo pipefail

cd "$(dirname "$0")/.."
COUNT=${COUNT:-1000000}
SEED=${SEED:-1}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
WORK=${WORK:-$(mktemp -d /tmp/nyckel-bench-import.XXXXXX)}
BIN=${BIN_DIR:-target/release}/nyckel
mkdir -p "$WORK"

echo "== machine"
echo "date:   $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "nproc:  $(nproc)"
echo "cpu:    $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "load:   $(cut -d' ' -f1-3 /proc/loadavg)"
echo "disk:   $(df -h "$WORK" | awk 'NR == 2 {print $1, $2, "(" $6 ")"}')"

if [[ -z "${BIN_DIR:-}" ]]; then
    echo "== build"
    cargo build --release -p nyckel
fi

CSV="$WORK/population-$COUNT-$SEED.csv"
if [[ ! -s "$CSV" ]]; then
    echo "== generate $COUNT persons (seed $SEED)"
    start=$(date +%s.%N)
    "$BIN" population generate --count "$COUNT" --seed "$SEED" >"$CSV"
    end=$(date +%s.%N)
    echo "generated $(($(wc -l <"$CSV") - 1)) rows, $(du -h "$CSV" | cut -f1) in $(echo "$end $start" | awk '{printf "%.1f", $1 - $2}') s"
fi

# import LABEL ARGS...: runs the import, prints and records rows/s.
RESULTS=()
import() {
    local label=$1
    shift
    local start end secs out
    start=$(date +%s.%N)
    out=$("$BIN" "$@" population import "$CSV" --source bench 2>&1)
    end=$(date +%s.%N)
    echo "$out"
    secs=$(echo "$end $start" | awk '{printf "%.2f", $1 - $2}')
    local rate
    rate=$(echo "$COUNT $secs" | awk '{printf "%.0f", $1 / $2}')
    echo "$label: $COUNT rows in $secs s = $rate rows/s (wall time of the process)"
    RESULTS+=("| $label | $COUNT | $secs | $rate |")
}

echo "== SQLite (fresh data dir)"
rm -rf "$WORK/sqlite"
import "SQLite" --data-dir "$WORK/sqlite"
echo "database size: $(du -sh "$WORK/sqlite" | cut -f1)"
echo "== SQLite again (same file: every row unchanged)"
import "SQLite, re-import (unchanged)" --data-dir "$WORK/sqlite"

if psql "$PG/postgres" -Atqc 'select 1' >/dev/null 2>&1; then
    DB="nyckel_bench_import_$(date +%s)_$$"
    echo "== PostgreSQL ($PG/$DB, fresh database)"
    psql "$PG/postgres" -qc "CREATE DATABASE $DB" >/dev/null
    drop() { psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true; }
    trap drop EXIT
    psql "$PG/postgres" -Atc 'select version()'
    import "PostgreSQL" --data-dir "$WORK/pg" --database-url "$PG/$DB"
    echo "database size: $(psql "$PG/$DB" -Atc "select pg_size_pretty(pg_database_size(current_database()))")"
    echo "== PostgreSQL again (every row unchanged)"
    import "PostgreSQL, re-import (unchanged)" --data-dir "$WORK/pg" --database-url "$PG/$DB"
else
    echo "== PostgreSQL at $PG not reachable: skipped"
fi

echo
echo "== summary ($WORK)"
echo "| backend | rows | seconds | rows/s |"
echo "|---|---|---|---|"
printf '%s\n' "${RESULTS[@]}"
