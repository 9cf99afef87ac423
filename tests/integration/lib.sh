# Shared helpers for the namespace integration tests. Each test is a bash script that exits 0 (pass),
# 1 (fail) or 77 (skip, with the reason on stdout). Tests create their own namespaces and always delete them.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MLINK=${MLINK_BIN:-$ROOT/.build/debug/mlink}
LAB=${MLINK_LAB_BIN:-$ROOT/.build/debug/mlink-lab}
export MLINK_BIN=$MLINK
TMP=$(mktemp -d /tmp/mlink-it.XXXXXX)
NAMESPACES=()
LABS=()

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
pass() { echo "PASS: $*"; exit 0; }
note() { echo "  $*"; }

need_root() {
    [ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
    [ -c /dev/net/tun ] || skip "needs /dev/net/tun"
    ip netns add "mlchk-$$" 2>/dev/null || skip "cannot create network namespaces"
    ip netns del "mlchk-$$"
}

cleanup() {
    # A test's own background jobs (watchers, load loops) go first: one left running after a `fail` keeps the
    # output pipe of scripts/test.sh open, and the suite then waits for it forever (a clean-clone run hung 10 min
    # on 70-lease-basic's address watcher).
    local job
    for job in $(jobs -p); do kill "$job" 2>/dev/null; done
    for lab in "${LABS[@]:-}"; do [ -n "$lab" ] && "$LAB" down "$lab" >/dev/null 2>&1; done
    for ns in "${NAMESPACES[@]:-}"; do
        [ -n "$ns" ] || continue
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
        # A namespace whose last process is still exiting can refuse deletion for a moment: retry briefly.
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            ip netns del "$ns" 2>/dev/null
            ip netns list 2>/dev/null | grep -q "^$ns\b" || break
            sleep 0.2
        done
    done
    # MLINK_TEST_KEEP=DIR keeps each test's files (its daemons' logs) for a look after a failure.
    [ -n "${MLINK_TEST_KEEP:-}" ] && cp -a "$TMP" "$MLINK_TEST_KEEP/$(basename "$0" .sh).$$" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT

# new_ns NAME: creates a namespace with loopback up and registers it for deletion.
new_ns() {
    ip netns add "$1" || fail "ip netns add $1"
    NAMESPACES+=("$1")
    ip -n "$1" link set lo up
}

# json_query EXPR: evaluates a Python expression over the JSON on stdin (bound to `d`).
# running PID: true while the process exists and has not exited (a zombie, exited but not yet reaped by the
# init that adopted the detached core, counts as gone, as it does for `mlink down`).
running() { local state; state=$(sed -E 's/.*\) (.).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 1; [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]; }
json_query() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# bench_lab PREFIX: sets L to a lab name for `mlink-lab bench --name` (PREFIX and the PID, at most 8 characters)
# and registers it for teardown.
bench_lab() {
    L=$1$$
    L=${L:0:8}
    LABS+=("$L")
}

# lab_up TOPOLOGY NAME: starts a lab and registers it for teardown.
lab_up() {
    LABS+=("$2")
    "$LAB" up "$1" --name "$2" >"$TMP/lab-$2.log" 2>&1 || { cat "$TMP/lab-$2.log"; fail "mlink-lab up $1"; }
}

# ping_stats OUTPUT_FILE: prints "transmitted received duplicates" from ping's summary.
ping_stats() {
    local line
    line=$(grep -E "packets transmitted" "$1")
    local tx rx dup
    tx=$(echo "$line" | sed -E 's/^([0-9]+) packets transmitted.*/\1/')
    rx=$(echo "$line" | sed -E 's/.* ([0-9]+) received.*/\1/')
    dup=$(echo "$line" | grep -oE '\+[0-9]+ duplicates' | tr -dc 0-9)
    echo "$tx $rx ${dup:-0}"
}
