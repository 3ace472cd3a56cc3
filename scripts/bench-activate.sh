#!/usr/bin/env bash
# The server's memory over first logins (activations): finding 13.
#
#   scripts/bench-activate.sh
#
# Builds release, prepares a fresh data dir with pending holders (enrolled,
# not activated: `nyckel-loadgen prepare --holders 0 --pending N`), starts the
# real `nyckel serve` on it, records the idle server's RSS, then drives first
# logins over HTTP (`nyckel-loadgen activate`: activation code, new password,
# terms, key card, My nyckel), one holder after another, and records the
# server's RSS (VmRSS of /proc/PID/status) after each checkpoint's number of
# activations in all, and again 10 s after the last. Stops the server and
# prints a summary table. Results (JSON) stay in $WORK.
#
# Choosing a password is the one step that hashes a *new* password; before
# d251595 that allocated Argon2id's 19 MiB afresh per call, and the
# allocator kept it. The goal: RSS after the last checkpoint within 10 MB of
# RSS after the first.
#
# Settings (environment):
#   CHECKPOINTS="10 50 100 200"  activations in all after which RSS is read
#                      (the last is the number of pending holders prepared)
#   CONC=1             first logins in flight at once
#   PORT=18183         loopback port of the server
#   BIN_DIR=DIR        use the binaries in DIR (nyckel, nyckel-loadgen)
#                      instead of building target/release. The data dir is
#                      made by DIR's nyckel-loadgen: it must know the same
#                      migrations as DIR's nyckel
#   WORK=DIR           where the data dir, holders file and results go
#                      (default: a new /tmp/nyckel-bench-activate.XXXXXX)
#   SERVER_ENV="K=V …" extra environment for the server
#
# All traffic goes to 127.0.0.1. The IP throttle is raised so that it does
# not refuse the load generator's attempts (all from one address).
set -euo pipefail

cd "$(dirname "$0")/.."
CHECKPOINTS=${CHECKPOINTS:-"10 50 100 200"}
CONC=${CONC:-1}
PORT=${PORT:-18183}
WORK=${WORK:-$(mktemp -d /tmp/nyckel-bench-activate.XXXXXX)}
BIN=${BIN_DIR:-target/release}
mkdir -p "$WORK"
CP_LIST=($CHECKPOINTS)
PENDING=${CP_LIST[-1]}

echo "== machine"
{
    echo "date:     $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "nproc:    $(nproc)"
    echo "cpu:      $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo "memory:   $(grep MemTotal /proc/meminfo | awk '{printf "%.1f GiB", $2/1048576}')"
    echo "kernel:   $(uname -r)"
    echo "commit:   $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "binaries: $BIN"
    echo "uptime:   $(uptime) (at the start)"
    echo "server:   ${SERVER_ENV:-default environment}"
} | tee "$WORK/machine.txt"

if [[ -z "${BIN_DIR:-}" ]]; then
    echo "== build"
    cargo build --release -p nyckel -p nyckel-loadgen
fi

echo "== prepare $PENDING pending holders in $WORK/data"
rm -rf "$WORK/data"
"$BIN/nyckel-loadgen" prepare --data-dir "$WORK/data" --holders 0 \
    --pending "$PENDING" --pending-out "$WORK/pending.jsonl"

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
# shellcheck disable=SC2086 # SERVER_ENV is a list of K=V words
env ${SERVER_ENV:-} NYCKEL_IP_ATTEMPTS_PER_MINUTE=1000000 NYCKEL_SECURE_COOKIES=false \
    "$BIN/nyckel" serve --data-dir "$WORK/data" --listen "127.0.0.1:$PORT" \
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
printf '%s\t%s\n' 0 "$IDLE_RSS" >"$WORK/rss.tsv"

DONE=0
for CP in $CHECKPOINTS; do
    echo "== first logins $DONE..$CP (concurrency $CONC)"
    "$BIN/nyckel-loadgen" activate --url "http://127.0.0.1:$PORT" --holders "$WORK/pending.jsonl" \
        --first-holder "$DONE" --count "$((CP - DONE))" --concurrency "$CONC" \
        --server-pid "$SERVER_PID" --json-out "$WORK/activate-$CP.json"
    sleep 1
    R=$(rss "$SERVER_PID" VmRSS)
    echo "after $CP first logins: VmRSS $R KiB"
    printf '%s\t%s\n' "$CP" "$R" >>"$WORK/rss.tsv"
    DONE=$CP
done
PEAK_RSS=$(rss "$SERVER_PID" VmHWM)
sleep 10
SETTLED_RSS=$(rss "$SERVER_PID" VmRSS)
stop_server

echo
echo "== summary ($WORK)"
cat "$WORK/machine.txt"
echo
echo "| after first logins | server VmRSS KiB | MiB | since the first checkpoint | server CPU-ms / first login (of it Argon2id workers) | p50 ms | errors |"
echo "|---:|---:|---:|---:|---:|---:|---:|"
FIRST_RSS=$(awk -v c="${CP_LIST[0]}" '$1 == c {print $2}' "$WORK/rss.tsv")
while IFS=$'\t' read -r n r; do
    if [[ $n == 0 ]]; then
        printf '| 0 (idle) | %s | %.1f | | | | |\n' "$r" "$(echo "$r" | awk '{print $1 / 1024}')"
        continue
    fi
    jq -r --arg n "$n" --arg r "$r" --arg f "$FIRST_RSS" '
        def f1: if . == null then "-" else (. * 10 | round / 10 | tostring) end;
        [ $n, $r, ($r | tonumber / 1024 | f1),
          ((($r | tonumber) - ($f | tonumber)) / 1024 | f1 | . + " MiB"),
          ((.server_cpu_ms_per_activation | f1) + " (" + (.server_hash_cpu_ms_per_activation | f1) + ")"),
          (.latency_ms.p50 | f1),
          (.error_count | tostring)
        ] | "| " + join(" | ") + " |"' "$WORK/activate-$n.json"
done <"$WORK/rss.tsv"
echo
echo "server RSS: idle $IDLE_RSS KiB; peak $PEAK_RSS KiB; 10 s after the last first login $SETTLED_RSS KiB"
LAST_RSS=$(tail -1 "$WORK/rss.tsv" | cut -f2)
awk -v a="$FIRST_RSS" -v b="$LAST_RSS" -v f="${CP_LIST[0]}" -v l="$PENDING" 'BEGIN {
    d = (b - a) * 1024 / 1e6
    printf "RSS after %d first logins - after %d: %+.1f MB (%+.1f MiB); goal: within 10 MB: %s\n",
        l, f, d, (b - a) / 1024, (d <= 10 && d >= -10) ? "met" : "NOT met" }'
echo "uptime at the end: $(uptime)"
