#!/usr/bin/env bash
# nyckel's OpenID provider under load, next to node-oidc-provider (issue 3).
#
#   scripts/bench-oidc.sh
#
# In one run, one thing after another on this machine (all traffic to
# 127.0.0.1; every loop is bounded in time):
#
#  (d) ES256 signatures/s, threads = nproc (`nyckel-oidcbench sign`): the raw
#      aws-lc-rs signature, the server's signing path, and the same token
#      with the key parsed once. Again at the end.
#  (a) client_credentials tokens/s (client_secret_basic, ES256 JWT access
#      tokens) with the SAME `hey -c $CONC` command against nyckel and
#      against the peer, node-oidc-provider 9.13.x (one node process, no
#      cluster; installed with npm into $PEER_DIR, outside the repository),
#      alternating nyckel, peer, nyckel, peer … ($REPEAT times each). Then
#      `nyckel-oidcbench cc` (its own client) against both, for the server's
#      CPU time per token.
#  (b) code exchanges/s (codes made by real authorization requests of
#      logged-in people) and refresh grants/s (a pool of live refresh
#      tokens): `nyckel-oidcbench grants`.
#  (c) full login flows/s — authorize, login pages, key card, consent, code,
#      token: `nyckel-oidcbench login`.
#  and `nyckel-oidcbench inproc`: client_credentials through the service
#      layer without HTTP, by part, with the server stopped.
#
# The load average (1, 5, 15 min) is recorded with every figure: other work
# on the machine skews them all, so run it when `uptime` is low.
#
# Settings (environment):
#   SECS=15          seconds measured per hey run (after WARMUP)
#   WARMUP=3         seconds of load before each measurement (discarded)
#   CONC=32          hey -c, and token requests in flight for grants
#   REPEAT=2         hey runs per server, alternating
#   HOLDERS=60       active holders to prepare (nyckel-loadgen prepare)
#   LOGIN_CONC=8     login flows in flight
#   LOGIN_SECS=20    seconds of login flows measured
#   CODES=2000       codes per round (made by SSO, then exchanged); ROUNDS=3
#   SESSIONS=8       logged-in people making the codes
#   REFRESH_SECS=15  seconds of refresh grants measured
#   PORT=18191       nyckel's port; PEER_PORT=18292 the peer's
#   PEER_DIR=/tmp/nyckel-peer-oidc-provider   where the peer is installed
#   BIN_DIR=DIR      use the binaries in DIR instead of building target/release
#   WORK=DIR         data dir, holders file, results (default: a new /tmp dir)
#   PROFILE=1        also `perf record` nyckel under hey and print where its
#                    CPU time goes (by part of the request, and the top
#                    symbols)
#   ONLY_CC=1        only (d) and (a): skip grants, logins and inproc
#   PEER=0           without the peer (no npm, no node process): nyckel's own
#                    runs only, e.g. to compare two builds of nyckel
set -euo pipefail

cd "$(dirname "$0")/.."
SECS=${SECS:-15}
WARMUP=${WARMUP:-3}
CONC=${CONC:-32}
REPEAT=${REPEAT:-2}
HOLDERS=${HOLDERS:-60}
LOGIN_CONC=${LOGIN_CONC:-8}
LOGIN_SECS=${LOGIN_SECS:-20}
CODES=${CODES:-2000}
ROUNDS=${ROUNDS:-3}
SESSIONS=${SESSIONS:-8}
REFRESH_SECS=${REFRESH_SECS:-15}
PORT=${PORT:-18191}
PEER_PORT=${PEER_PORT:-18292}
PEER_DIR=${PEER_DIR:-/tmp/nyckel-peer-oidc-provider}
PEER=${PEER:-1}
WORK=${WORK:-$(mktemp -d /tmp/nyckel-bench-oidc.XXXXXX)}
BIN=${BIN_DIR:-target/release}
THREADS=$(nproc)
mkdir -p "$WORK"
RESULTS="$WORK/results.tsv"
: >"$RESULTS"

load() { cut -d' ' -f1-3 /proc/loadavg; }
# figure name, value, unit, load average at the start of the measurement
result() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" | tee -a "$RESULTS"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

TOOLS=(hey jq curl)
if [[ $PEER == 1 ]]; then TOOLS+=(node npm); fi
for tool in "${TOOLS[@]}"; do
    command -v "$tool" >/dev/null || {
        echo "needs $tool (apt-get install -y hey jq nodejs npm curl)" >&2
        exit 1
    }
done

echo "== machine"
{
    echo "date:     $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "nproc:    $THREADS"
    echo "cpu:      $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo "memory:   $(grep MemTotal /proc/meminfo | awk '{printf "%.1f GiB", $2/1048576}')"
    echo "kernel:   $(uname -r)"
    echo "rustc:    $(rustc --version)"
    if [[ $PEER == 1 ]]; then echo "node:     $(node --version)"; fi
    echo "hey:      $(dpkg-query -W -f='${Version}' hey 2>/dev/null || echo unknown)"
    echo "commit:   $(git rev-parse --short HEAD 2>/dev/null || echo unknown) (work tree may differ)"
    echo "load:     $(load) (1, 5, 15 min, before the build)"
} | tee "$WORK/machine.txt"

if [[ -z "${BIN_DIR:-}" ]]; then
    echo "== build"
    cargo build --release -p nyckel -p nyckel-loadgen -p nyckel-oidcbench
fi

PEER_VERSION=
PEERS=()
if [[ $PEER == 1 ]]; then
    echo "== the peer: oidc-provider in $PEER_DIR"
    mkdir -p "$PEER_DIR"
    cp scripts/peer-oidc-provider/package.json scripts/peer-oidc-provider/provider.mjs "$PEER_DIR/"
    (cd "$PEER_DIR" && npm install --no-audit --no-fund --omit=dev --loglevel=error)
    PEER_VERSION=$(jq -r .version "$PEER_DIR/node_modules/oidc-provider/package.json")
    echo "oidc-provider $PEER_VERSION"
    PEERS=(peer)
fi

echo "== prepare $HOLDERS holders in $WORK/data"
rm -rf "$WORK/data"
"$BIN/nyckel-loadgen" prepare --data-dir "$WORK/data" --holders "$HOLDERS" \
    --out "$WORK/holders.jsonl"

echo "== clients"
export NYCKEL_PUBLIC_URL="http://127.0.0.1:$PORT"
if "$BIN/nyckel" client add --help >/dev/null 2>&1; then
    "$BIN/nyckel" --data-dir "$WORK/data" client add --name "oidcbench machine" \
        --grant-type client_credentials --json --operator bench >"$WORK/machine.json"
    "$BIN/nyckel" --data-dir "$WORK/data" client add --name "oidcbench service" \
        --redirect-uri "http://127.0.0.1:9/oidcbench/cb" --json --operator bench >"$WORK/rp.json"
    echo "registered with nyckel client add"
else
    "$BIN/nyckel-oidcbench" register --data-dir "$WORK/data" --public-url "$NYCKEL_PUBLIC_URL" \
        >"$WORK/clients.json"
    jq .machine "$WORK/clients.json" >"$WORK/machine.json"
    jq .rp "$WORK/clients.json" >"$WORK/rp.json"
    echo "registered with nyckel-oidcbench register (no nyckel client add in this build)"
fi
CC_ID=$(jq -r .client_id "$WORK/machine.json")
CC_SECRET=$(jq -r .client_secret "$WORK/machine.json")
RP_ID=$(jq -r .client_id "$WORK/rp.json")
RP_SECRET=$(jq -r .client_secret "$WORK/rp.json")
# The peer gets a client with the same id and secret.
export OIDCBENCH_CC_SECRET="$CC_SECRET" OIDCBENCH_RP_SECRET="$RP_SECRET"

echo "== (d) ES256 signatures, $THREADS threads (before)"
L=$(load)
"$BIN/nyckel-oidcbench" sign --seconds 5 --json-out "$WORK/sign-before.json"
result "ES256 raw signatures/s (before)" "$(jq -r '.raw_signatures_per_sec | round' "$WORK/sign-before.json")" "sig/s" "$L"
result "ES256 server signing path/s (before)" "$(jq -r '.server_path_tokens_per_sec | round' "$WORK/sign-before.json")" "tokens/s" "$L"
result "ES256 same token, key parsed once/s (before)" "$(jq -r '.cached_key_tokens_per_sec | round' "$WORK/sign-before.json")" "tokens/s" "$L"

SERVER_PID=
PEER_PID=
stop() {
    local pid=$1
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        wait "$pid" 2>/dev/null || true
    fi
}
cleanup() {
    stop "$SERVER_PID"
    stop "$PEER_PID"
}
trap cleanup EXIT
wait_up() { # url pid log
    for _ in $(seq 100); do
        if curl -s -o /dev/null "$1"; then return 0; fi
        kill -0 "$2" 2>/dev/null || { cat "$3"; exit 1; }
        sleep 0.1
    done
    curl -s -o /dev/null "$1"
}

echo "== serve nyckel on 127.0.0.1:$PORT${PEERS:+; the peer on 127.0.0.1:$PEER_PORT}"
PORTS=("$PORT")
if [[ $PEER == 1 ]]; then PORTS+=("$PEER_PORT"); fi
for p in "${PORTS[@]}"; do
    if curl -s -o /dev/null "http://127.0.0.1:$p/"; then
        echo "something already listens on 127.0.0.1:$p: stop it or set PORT/PEER_PORT" >&2
        exit 1
    fi
done
NYCKEL_IP_ATTEMPTS_PER_MINUTE=1000000 NYCKEL_SECURE_COOKIES=false \
    "$BIN/nyckel" serve --data-dir "$WORK/data" --listen "127.0.0.1:$PORT" \
    2>"$WORK/server.log" &
SERVER_PID=$!
wait_up "http://127.0.0.1:$PORT/readyz" "$SERVER_PID" "$WORK/server.log"
URLS=("http://127.0.0.1:$PORT")
if [[ $PEER == 1 ]]; then
    (cd "$PEER_DIR" && NODE_ENV=production PORT="$PEER_PORT" CLIENT_ID="$CC_ID" CLIENT_SECRET="$CC_SECRET" \
        exec node provider.mjs) 2>"$WORK/peer.log" &
    PEER_PID=$!
    wait_up "http://127.0.0.1:$PEER_PORT/.well-known/openid-configuration" "$PEER_PID" "$WORK/peer.log"
    URLS+=("http://127.0.0.1:$PEER_PORT")
fi
for u in "${URLS[@]}"; do
    curl -sf -u "$CC_ID:$CC_SECRET" -d grant_type=client_credentials "$u/token" >"$WORK/sample-token.json" || {
        echo "no token from $u" >&2
        exit 1
    }
    hdr=$(jq -r .access_token "$WORK/sample-token.json" | cut -d. -f1 | tr '_-' '/+')
    while (( ${#hdr} % 4 )); do hdr="$hdr="; done
    echo "$(base64 -d <<<"$hdr")  <- $u"
done
sleep 2

# The one hey command, for both servers. hey 0.1.4's -a sends no header,
# so the Basic credentials go in -H (the client id and secret are URL-safe,
# so this is also RFC 6749 §2.3.1's form-urlencoded form).
BASIC="Authorization: Basic $(printf '%s:%s' "$CC_ID" "$CC_SECRET" | base64 -w0)"
TIMER=()
if [[ -x /usr/bin/time ]]; then TIMER=(/usr/bin/time -f '%U %S' -o "$WORK/hey-cpu.txt"); fi
hey_token() { # base-url seconds out-file
    rm -f "$WORK/hey-cpu.txt"
    "${TIMER[@]}" hey -z "$2s" -c "$CONC" -m POST -H "$BASIC" -T application/x-www-form-urlencoded \
        -d grant_type=client_credentials "$1/token" >"$3"
}
echo "hey command: hey -z ${SECS}s -c $CONC -m POST -H 'Authorization: Basic …' -T application/x-www-form-urlencoded -d grant_type=client_credentials URL/token" \
    | tee "$WORK/hey-command.txt"

echo "== (a) client_credentials with hey -c $CONC, alternating nyckel${PEERS:+ and the peer}, $REPEAT each"
for r in $(seq "$REPEAT"); do
    for who in nyckel "${PEERS[@]}"; do
        if [[ $who == nyckel ]]; then url="http://127.0.0.1:$PORT"; pid=$SERVER_PID; else url="http://127.0.0.1:$PEER_PORT"; pid=$PEER_PID; fi
        hey_token "$url" "$WARMUP" /dev/null
        L=$(load)
        c0=$(cpu_ticks "$pid")
        hey_token "$url" "$SECS" "$WORK/hey-$who-$r.txt"
        c1=$(cpu_ticks "$pid")
        rps=$(awk '/Requests\/sec/ {printf "%.0f", $2}' "$WORK/hey-$who-$r.txt")
        codes=$(grep -E '^\s+\[[0-9]+\]' "$WORK/hey-$who-$r.txt" | awk '{printf " %s×%s", $1, $2}')
        p50=$(awk '/50% in/ {printf "%.1f", $3 * 1000}' "$WORK/hey-$who-$r.txt")
        p99=$(awk '/99% in/ {printf "%.1f", $3 * 1000}' "$WORK/hey-$who-$r.txt")
        n=$(awk '/Requests\/sec/ {print int($2 * '"$SECS"')}' "$WORK/hey-$who-$r.txt")
        cpu=$(awk -v a="$c0" -v b="$c1" -v n="$n" 'BEGIN { if (n > 0) printf "%.3f", (b - a) * 10 / n; else print "-" }')
        hey_cpu=$(awk -v n="$n" '{ if (n > 0) printf "%.3f", ($1 + $2) * 1000 / n }' "$WORK/hey-cpu.txt" 2>/dev/null || echo -)
        result "client_credentials hey -c $CONC: $who (run $r; p50 ${p50} ms, p99 ${p99} ms; CPU-ms/token: server $cpu, hey ${hey_cpu:--}; status$codes)" "$rps" "tokens/s" "$L"
    done
done
stop "$PEER_PID"
PEER_PID=

echo "== client_credentials with nyckel-oidcbench's own client (a second opinion)"
for who in nyckel "${PEERS[@]}"; do
    if [[ $who == nyckel ]]; then url="http://127.0.0.1:$PORT"; pid=$SERVER_PID; else url="http://127.0.0.1:$PEER_PORT"; pid=; fi
    if [[ $who == peer ]]; then
        (cd "$PEER_DIR" && NODE_ENV=production PORT="$PEER_PORT" CLIENT_ID="$CC_ID" CLIENT_SECRET="$CC_SECRET" \
            exec node provider.mjs) 2>>"$WORK/peer.log" &
        PEER_PID=$!
        pid=$PEER_PID
        wait_up "http://127.0.0.1:$PEER_PORT/.well-known/openid-configuration" "$PEER_PID" "$WORK/peer.log"
    fi
    L=$(load)
    "$BIN/nyckel-oidcbench" cc --url "$url" --client-id "$CC_ID" --concurrency "$CONC" \
        --seconds "$SECS" --warmup "$WARMUP" --server-pid "$pid" --json-out "$WORK/cc-$who.json"
    result "client_credentials own client -c $CONC: $who (server CPU-ms/token $(jq -r '.server_cpu_ms_per_token * 1000 | round / 1000' "$WORK/cc-$who.json"))" \
        "$(jq -r '.tokens_per_sec | round' "$WORK/cc-$who.json")" "tokens/s" "$L"
done
stop "$PEER_PID"
PEER_PID=

if [[ "${PROFILE:-0}" == 1 ]] && command -v perf >/dev/null; then
    echo "== where nyckel's CPU time goes under hey (perf, 10 s)"
    ( sleep "$WARMUP"; exec perf record -F 999 --call-graph dwarf,16384 -p "$SERVER_PID" \
        -o "$WORK/perf.data" -- sleep 10 ) >"$WORK/perf.log" 2>&1 &
    PERF_PID=$!
    hey_token "http://127.0.0.1:$PORT" "$((WARMUP + 11))" "$WORK/hey-perf.txt"
    wait "$PERF_PID" || true
    perf script -i "$WORK/perf.data" -F comm,ip,sym 2>/dev/null >"$WORK/perf.script" || true
    # Each sample goes to the first bucket that matches a frame of its stack
    # (the kernel bucket: the sample's own frame is in the kernel).
    cat >"$WORK/perf-oidc.py" <<'PY'
import re, sys
BUCKETS = [
    ("ECDSA P-256 signing (aws-lc EcdsaKeyPair::sign)", r"EcdsaKeyPair::sign"),
    ("PKCS#8 key parse per token (jsonwebtoken Es256Signer::new -> EcdsaKeyPair::from_pkcs8)", r"Es256Signer::new|from_pkcs8"),
    ("rest of the JWT (claims/header JSON, base64, jsonwebtoken)", r"jsonwebtoken|KeySet::sign"),
    ("Issuer::parse on every request (Nyckel::issuer)", r"Issuer::parse"),
    ("client secret: keyed HMAC-SHA256 (secret::verify)", r"secret::verify|keyed_hash"),
    ("rest of client authentication (presented_client, cache, row clone)", r"presented_client|authenticate_client|cached_active_client|client_of"),
    ("rest of Nyckel::token (claims, jti, JSON body)", r"Nyckel>::token|random_jti"),
    ("kernel: socket reads/writes, epoll, scheduling", None),
    ("form and JSON (de)serialization", r"serde_urlencoded|Form<T>|serde_json"),
    ("HTTP: hyper, axum, tower layers", r"hyper::|axum|tower"),
    ("tokio runtime", r"tokio::|mio::"),
    ("malloc/free", r"malloc|_int_free|cfree|realloc"),
    ("other", r""),
]
def samples(lines):
    st = []
    for line in lines:
        line = line.rstrip("\n")
        if not line.strip():
            if st: yield st
            st = []
            continue
        if line[:1] in (" ", "\t"):
            p = line.strip().split(None, 1)
            st.append((p[0], p[1] if len(p) > 1 else ""))
    if st: yield st
counts = [0] * len(BUCKETS); total = 0
rx = [re.compile(p) if p is not None else None for _, p in BUCKETS]
with open(sys.argv[1], errors="replace") as f:
    for st in samples(f):
        total += 1
        for i, r in enumerate(rx):
            if r is None:
                if st[0][0].startswith("ffffffff"):
                    break
            elif any(r.search(sym) for _, sym in st):
                break
        counts[i] += 1
print(f"{total} samples of the server's threads")
for (name, _), n in zip(BUCKETS, counts):
    print(f"{100 * n / max(total, 1):5.1f} %  {name}")
PY
    python3 "$WORK/perf-oidc.py" "$WORK/perf.script" | tee "$WORK/perf-breakdown.txt" || true
    perf report -i "$WORK/perf.data" --no-children --sort symbol --stdio -g none 2>/dev/null \
        | grep -E '^ +[0-9]' | head -25 | sed 's/ *$//' | tee "$WORK/perf-top.txt" || true
fi

if [[ "${ONLY_CC:-0}" != 1 ]]; then
    echo "== (b) code exchanges and refresh grants"
    L=$(load)
    "$BIN/nyckel-oidcbench" grants --url "http://127.0.0.1:$PORT" --client-id "$RP_ID" \
        --holders "$WORK/holders.jsonl" --first-holder 0 --sessions "$SESSIONS" \
        --codes "$CODES" --rounds "$ROUNDS" --concurrency "$CONC" --seconds "$REFRESH_SECS" \
        --warmup "$WARMUP" --server-pid "$SERVER_PID" --json-out "$WORK/grants.json"
    L2=$(load)
    result "authorization codes by SSO authorize ($SESSIONS browsers)" "$(jq -r '.sso_codes_per_sec | round' "$WORK/grants.json")" "codes/s" "$L"
    result "code exchanges -c $CONC (server CPU-ms $(jq -r '.exchange_server_cpu_ms * 1000 | round / 1000' "$WORK/grants.json"))" \
        "$(jq -r '.exchanges_per_sec | round' "$WORK/grants.json")" "exchanges/s" "$L"
    result "refresh grants -c $CONC (server CPU-ms $(jq -r '.refresh_server_cpu_ms * 1000 | round / 1000' "$WORK/grants.json"))" \
        "$(jq -r '.refreshes_per_sec | round' "$WORK/grants.json")" "refreshes/s" "$L2"

    echo "== (c) full login flows, concurrency $LOGIN_CONC"
    L=$(load)
    "$BIN/nyckel-oidcbench" login --url "http://127.0.0.1:$PORT" --client-id "$RP_ID" \
        --holders "$WORK/holders.jsonl" --first-holder "$SESSIONS" --concurrency "$LOGIN_CONC" \
        --seconds "$LOGIN_SECS" --warmup "$WARMUP" --server-pid "$SERVER_PID" \
        --json-out "$WORK/login.json"
    result "full login flows -c $LOGIN_CONC (p50 $(jq -r '.latency_ms.p50 | round' "$WORK/login.json") ms; server CPU-ms $(jq -r '.server_cpu_ms_per_flow | round' "$WORK/login.json"); errors $(jq -r .error_count "$WORK/login.json"))" \
        "$(jq -r '.flows_per_sec * 10 | round / 10' "$WORK/login.json")" "flows/s" "$L"

    echo "== Argon2id bound (a login's one hash), $THREADS threads"
    L=$(load)
    "$BIN/nyckel-loadgen" argon2 --threads "$THREADS" --seconds 10 --json-out "$WORK/argon2.json"
    result "Argon2id verifications (m=19456 t=2 p=1)" "$(jq -r '.hashes_per_sec * 10 | round / 10' "$WORK/argon2.json")" "hashes/s" "$L"
fi

stop "$SERVER_PID"
SERVER_PID=

if [[ "${ONLY_CC:-0}" != 1 ]]; then
    echo "== client_credentials in process, no HTTP (server stopped)"
    L=$(load)
    "$BIN/nyckel-oidcbench" inproc --data-dir "$WORK/data" --public-url "$NYCKEL_PUBLIC_URL" \
        --client-id "$CC_ID" --tasks "$CONC" --seconds 5 --json-out "$WORK/inproc.json"
    result "client_credentials in process (no HTTP; µs/request by part: $(jq -c '.us_per_request | map_values(. * 10 | round / 10)' "$WORK/inproc.json"))" \
        "$(jq -r '.tokens_per_sec | round' "$WORK/inproc.json")" "tokens/s" "$L"
fi

echo "== (d) ES256 signatures, $THREADS threads (after)"
L=$(load)
"$BIN/nyckel-oidcbench" sign --seconds 5 --json-out "$WORK/sign-after.json"
result "ES256 raw signatures/s (after)" "$(jq -r '.raw_signatures_per_sec | round' "$WORK/sign-after.json")" "sig/s" "$L"
result "ES256 server signing path/s (after)" "$(jq -r '.server_path_tokens_per_sec | round' "$WORK/sign-after.json")" "tokens/s" "$L"
result "ES256 same token, key parsed once/s (after)" "$(jq -r '.cached_key_tokens_per_sec | round' "$WORK/sign-after.json")" "tokens/s" "$L"

echo
echo "== summary ($WORK)"
cat "$WORK/machine.txt"
if [[ $PEER == 1 ]]; then echo "peer:     oidc-provider $PEER_VERSION on node $(node --version), one process"; fi
echo
printf '| %-s | %s | %s |\n' "figure" "value" "load avg (1 5 15 min)"
printf '|---|---:|---|\n'
while IFS=$'\t' read -r name value unit l; do
    printf '| %s | %s %s | %s |\n' "$name" "$value" "$unit" "$l"
done <"$RESULTS"
NY=$(grep -P '^client_credentials hey.*: nyckel' "$RESULTS" | cut -f2 | sort -n | tail -1)
echo
if [[ $PEER == 1 ]]; then
    PE=$(grep -P '^client_credentials hey.*: peer' "$RESULTS" | cut -f2 | sort -n | tail -1)
    awk -v a="$NY" -v b="$PE" 'BEGIN { if (b > 0) printf "client_credentials, best hey run each: nyckel %d / peer %d = %.1f× (goal: ≥ 10×)\n", a, b, a / b }'
fi
echo "load at the end: $(load); uptime: $(uptime)"
