#!/usr/bin/env bash
# Login throughput against the Argon2id bound, and the server's memory.
#
#   scripts/bench-login.sh
#
# Builds release, prepares a fresh data dir with active holders
# (`nyckel-loadgen prepare`), starts the real `nyckel serve` on it, records
# the idle server's RSS, measures the Argon2id bound (`nyckel-loadgen argon2`
# with threads = nproc, before and after the logins), drives full logins at a
# few concurrency levels (`nyckel-loadgen login`), records the RSS after the
# load, stops the server and prints a summary table. Results (JSON) stay in
# $WORK.
#
# Settings (environment):
#   LEVELS="4 16 64"   concurrency levels (virtual users)
#   SECS=20            seconds measured per level (after WARMUP)
#   WARMUP=3           seconds of load before measuring, per level
#   ARGON2_SECS=15     seconds for each Argon2id bound run
#   HOLDERS=400        active holders to prepare (~147 logins each)
#   PORT=18181         loopback port of the server
#   BIN_DIR=DIR      use the binaries in DIR instead of building
#                    target/release (e.g. a copy made while the tree built)
#   WORK=DIR           where the data dir, holders file and results go
#                      (default: a new /tmp/nyckel-bench-login.XXXXXX)
#   DATABASE_URL=...   serve from PostgreSQL instead of DIR/nyckel.db
#                      (e.g. postgres://postgres@127.0.0.1:5432/nyckel_bench_x,
#                      an empty database you created)
#   SERVER_ENV="K=V …" extra environment for the server, e.g.
#                      SERVER_ENV=GLIBC_TUNABLES=glibc.malloc.mmap_threshold=4194304
#   PAIRS=0            after the levels, N alternating pairs of a short bound
#                      run (6 s) and a short login run (8 s, concurrency
#                      PAIR_C=4): on a machine others use, the median of
#                      the pairs' ratios drifts less than one long run
#   PROFILE=1          also `perf record` the server during the middle level
#                      and print where its CPU time goes
#                      (scripts/perf-breakdown.py)
#
# All traffic goes to 127.0.0.1. The IP throttle is raised so that it does
# not refuse the load generator's logins (all from one address).
set -euo pipefail

cd "$(dirname "$0")/.."
LEVELS=${LEVELS:-"4 16 64"}
SECS=${SECS:-20}
WARMUP=${WARMUP:-3}
ARGON2_SECS=${ARGON2_SECS:-15}
HOLDERS=${HOLDERS:-400}
PORT=${PORT:-18181}
WORK=${WORK:-$(mktemp -d /tmp/nyckel-bench-login.XXXXXX)}
THREADS=$(nproc)
BIN=${BIN_DIR:-target/release}
mkdir -p "$WORK"

echo "== machine"
{
    echo "date:     $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "nproc:    $THREADS"
    echo "cpu:      $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo "memory:   $(grep MemTotal /proc/meminfo | awk '{printf "%.1f GiB", $2/1048576}')"
    echo "kernel:   $(uname -r)"
    echo "rustc:    $(rustc --version)"
    echo "commit:   $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "load:     $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min, at the start)"
    echo "server:   ${SERVER_ENV:-default environment}${DATABASE_URL:+, $DATABASE_URL}"
} | tee "$WORK/machine.txt"

if [[ -z "${BIN_DIR:-}" ]]; then
    echo "== build"
    cargo build --release -p nyckel -p nyckel-loadgen
fi

echo "== prepare $HOLDERS holders in $WORK/data"
rm -rf "$WORK/data"
PREPARE_DB=()
if [[ -n "${DATABASE_URL:-}" ]]; then
    PREPARE_DB=(--database-url "$DATABASE_URL")
fi
"$BIN/nyckel-loadgen" prepare --data-dir "$WORK/data" "${PREPARE_DB[@]}" \
    --holders "$HOLDERS" --out "$WORK/holders.jsonl"

echo "== serve on 127.0.0.1:$PORT"
SERVER_PID=
stop_server() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID"
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=
}
trap stop_server EXIT
SERVE_DB=()
if [[ -n "${DATABASE_URL:-}" ]]; then
    SERVE_DB=(--database-url "$DATABASE_URL")
fi
# shellcheck disable=SC2086 # SERVER_ENV is a list of K=V words
env ${SERVER_ENV:-} NYCKEL_IP_ATTEMPTS_PER_MINUTE=1000000 NYCKEL_SECURE_COOKIES=false \
    "$BIN/nyckel" serve --data-dir "$WORK/data" "${SERVE_DB[@]}" --listen "127.0.0.1:$PORT" \
    2>"$WORK/server.log" &
SERVER_PID=$!
for _ in $(seq 100); do
    if curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null; then break; fi
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log"; exit 1; }
    sleep 0.1
done
curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null
sleep 2
rss() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
IDLE_RSS=$(rss "$SERVER_PID" VmRSS)
echo "idle server: VmRSS $IDLE_RSS KiB"

# Open the server's database pool (and, on PostgreSQL, its backends) before
# measuring: 2 s of logins that are not reported.
"$BIN/nyckel-loadgen" login --url "http://127.0.0.1:$PORT" --holders "$WORK/holders.jsonl" \
    --concurrency 16 --seconds 2 --warmup 0 --json-out "$WORK/pool-warmup.json" >/dev/null
NEXT=$(jq -r .next_holder "$WORK/pool-warmup.json")
DB_PIDS=()
if [[ -n "${DATABASE_URL:-}" ]]; then
    DB_NAME=${DATABASE_URL##*/}
    DB_NAME=${DB_NAME%%\?*}
    PIDS=$(psql "$DATABASE_URL" -Atc \
        "select string_agg(pid::text, ',') from pg_stat_activity where datname = '$DB_NAME' and pid <> pg_backend_pid()")
    if [[ -n "$PIDS" ]]; then
        DB_PIDS=(--db-pids "$PIDS")
        echo "PostgreSQL backends of the server's pool: $PIDS"
    fi
fi

echo "== Argon2id bound (before): $THREADS threads, $ARGON2_SECS s"
"$BIN/nyckel-loadgen" argon2 --threads "$THREADS" --seconds "$ARGON2_SECS" \
    --json-out "$WORK/argon2-before.json"

LEVEL_LIST=($LEVELS)
MIDDLE=${LEVEL_LIST[$(( ${#LEVEL_LIST[@]} / 2 ))]}
for C in $LEVELS; do
    echo "== logins: concurrency $C, $SECS s (+$WARMUP s warm-up), from holder $NEXT"
    PERF_PID=
    if [[ "${PROFILE:-0}" == 1 && "$C" == "$MIDDLE" ]]; then
        ( sleep "$WARMUP"; exec perf record -F 499 --call-graph dwarf,16384 -p "$SERVER_PID" \
            -o "$WORK/perf.data" -- sleep "$(( SECS < 10 ? SECS : 10 ))" ) >"$WORK/perf.log" 2>&1 &
        PERF_PID=$!
    fi
    "$BIN/nyckel-loadgen" login --url "http://127.0.0.1:$PORT" --holders "$WORK/holders.jsonl" \
        --concurrency "$C" --seconds "$SECS" --warmup "$WARMUP" --first-holder "$NEXT" \
        --server-pid "$SERVER_PID" "${DB_PIDS[@]}" --json-out "$WORK/login-$C.json"
    NEXT=$(jq -r .next_holder "$WORK/login-$C.json")
    if [[ -n "$PERF_PID" ]]; then wait "$PERF_PID" || true; fi
done

PAIRS=${PAIRS:-0}
PAIR_C=${PAIR_C:-4}
for i in $(seq "$PAIRS"); do
    echo "== pair $i of $PAIRS: bound, then logins at concurrency $PAIR_C"
    "$BIN/nyckel-loadgen" argon2 --threads "$THREADS" --seconds 6 --json-out "$WORK/pair-$i-argon2.json"
    "$BIN/nyckel-loadgen" login --url "http://127.0.0.1:$PORT" --holders "$WORK/holders.jsonl" \
        --concurrency "$PAIR_C" --seconds 8 --warmup 2 --first-holder "$NEXT" \
        --server-pid "$SERVER_PID" "${DB_PIDS[@]}" --json-out "$WORK/pair-$i-login.json"
    NEXT=$(jq -r .next_holder "$WORK/pair-$i-login.json")
done

echo "== Argon2id bound (after)"
"$BIN/nyckel-loadgen" argon2 --threads "$THREADS" --seconds "$ARGON2_SECS" \
    --json-out "$WORK/argon2-after.json"

LOADED_RSS=$(rss "$SERVER_PID" VmRSS)
PEAK_RSS=$(rss "$SERVER_PID" VmHWM)
sleep 10
SETTLED_RSS=$(rss "$SERVER_PID" VmRSS)
stop_server

if [[ -f "$WORK/perf.data" ]]; then
    echo "== where the server's CPU time goes (concurrency $MIDDLE)"
    perf script -i "$WORK/perf.data" -F comm,ip,sym 2>/dev/null >"$WORK/perf.script" || true
    python3 scripts/perf-breakdown.py "$WORK/perf.script" | tee "$WORK/perf-breakdown.txt"
fi

echo
echo "== summary ($WORK)"
cat "$WORK/machine.txt"
B1=$(jq .hashes_per_sec "$WORK/argon2-before.json")
B2=$(jq .hashes_per_sec "$WORK/argon2-after.json")
C1=$(jq .cpu_ms_per_hash "$WORK/argon2-before.json")
C2=$(jq .cpu_ms_per_hash "$WORK/argon2-after.json")
BOUND=$(echo "$B1 $B2" | awk '{printf "%.1f", ($1 + $2) / 2}')
CPU_HASH=$(echo "$C1 $C2" | awk '{printf "%.1f", ($1 + $2) / 2}')
printf 'Argon2id bound (m=19456 t=2 p=1, %s threads): %.1f and %.1f hashes/s (mean %s); %.1f and %.1f CPU-ms per hash (mean %s)\n' \
    "$THREADS" "$B1" "$B2" "$BOUND" "$C1" "$C2" "$CPU_HASH"
echo
echo "| concurrency | logins/s | logins/s ÷ hashes/s | p50 ms | p95 ms | p99 ms | server CPU-ms/login | of it Argon2id workers | database CPU-ms/login | CPU per login ÷ CPU per hash | server CPU ÷ its Argon2id workers' | errors |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for C in $LEVELS; do
    jq -r --arg bound "$BOUND" --arg cpu "$CPU_HASH" '
        def f1: if . == null then "-" else (. * 10 | round / 10 | tostring) end;
        ((.server_cpu_ms_per_login // null) as $s | (.db_cpu_ms_per_login // 0) as $d |
         (.server_hash_cpu_ms_per_login // null) as $h |
        [ (.concurrency | tostring),
          (.logins_per_sec | f1),
          ((.logins_per_sec / ($bound | tonumber) * 100 | round | tostring) + " %"),
          (.latency_ms.p50 | f1), (.latency_ms.p95 | f1), (.latency_ms.p99 | f1),
          ($s | f1),
          ($h | f1),
          (.db_cpu_ms_per_login | f1),
          (if $s == null then "-"
           else ((($s + $d) / ($cpu | tonumber) * 100 | round | tostring) + " %") end),
          (if $s == null or $h == null then "-"
           else ((($s + $d) / $h * 100 | round | tostring) + " %") end),
          (.error_count | tostring)
        ] | "| " + join(" | ") + " |")' "$WORK/login-$C.json"
done
if (( PAIRS > 0 )); then
    echo
    echo "pairs (concurrency $PAIR_C): logins/s ÷ hashes/s, (server + database) CPU per login ÷ CPU per hash of the bound, and ÷ the server's own Argon2id workers' CPU per login; medians of $PAIRS"
    for i in $(seq "$PAIRS"); do
        jq -rn --slurpfile a "$WORK/pair-$i-argon2.json" --slurpfile l "$WORK/pair-$i-login.json" \
            '(($l[0].server_cpu_ms_per_login // 0) + ($l[0].db_cpu_ms_per_login // 0)) as $c |
             [$l[0].logins_per_sec / $a[0].hashes_per_sec,
              $c / $a[0].cpu_ms_per_hash,
              (if ($l[0].server_hash_cpu_ms_per_login // 0) > 0
               then $c / $l[0].server_hash_cpu_ms_per_login else 0 end)]
             | map(. * 100 | round) | @tsv'
    done | sort -n -k2 | awk -v n="$PAIRS" '
        { t[NR] = $1; c[NR] = $2; w[NR] = $3
          print "  pair: " $1 " % of the bound, CPU " $2 " % of a hash, " $3 " % of its own hashes" }
        END { asort(t); asort(w); m = int((n + 1) / 2)
              print "  median: " t[m] " % of the bound, CPU " c[m] " % of a hash, " w[m] " % of its own hashes" }'
fi
echo
echo "server RSS: idle $IDLE_RSS KiB, after load $LOADED_RSS KiB (peak $PEAK_RSS KiB), 10 s later $SETTLED_RSS KiB"
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "goals: a login costs at most 110 % of its Argon2id hash; the idle server at most 30 MB RSS"
