#!/usr/bin/env bash
# Zero heap allocations per packet through the DAEMON's data path (issue 11): two optimized mlink cores (the seed
# lab's host vm0 and router vm1, real TUN devices, UDP sockets, offloads on) carry a steady stream (UDP at a fixed
# rate, then TCP), and uprobes on glibc's allocators (malloc, calloc, realloc, posix_memalign, aligned_alloc,
# memalign: what Swift's runtime calls) count every allocation call the two core processes make, over 10 s of
# the stream and over 10 s idle, with the offloads on (coalescing) and off (MLINK_TUN_OFFLOAD=0,
# MLINK_UDP_GSO=0). Idle, the cores still allocate for their 10-second jobs (the source-routing check reads
# the routing tables through netlink); with traffic, also for the 10-second drop log line. So the stream may
# cost at most 1 allocation per 1000 packets more than idling: one allocation per packet, or per batch of 32,
# would be hundreds of times that. On failure the allocations' call chains are printed. The probes first have
# to see the allocations of a process known to allocate.
# MLINK_ALLOC_BIN: the mlink to test (default: a release build made here).
source "$(dirname "$0")/lib-rt.sh"
need_root
command -v perf >/dev/null || fail "perf is missing (scripts/install-deps.sh installs linux-perf)"
LIBC=$(ldconfig -p | awk '/libc\.so\.6 .*x86-64/ { print $NF; exit }')
[ -n "$LIBC" ] || LIBC=$(ldd /bin/true | awk '/libc\.so\.6/ { print $3 }')
[ -f "$LIBC" ] || fail "cannot find glibc's libc.so.6"

if [ -n "${MLINK_ALLOC_BIN:-}" ]; then
    MLINK=$MLINK_ALLOC_BIN
else
    (cd "$ROOT" && swift build -c release --scratch-path .build-release --static-swift-stdlib --product mlink) \
        >"$TMP/build.txt" 2>&1 || { tail -20 "$TMP/build.txt"; fail "release build failed"; }
    MLINK=$ROOT/.build-release/release/mlink
fi
export MLINK_BIN=$MLINK

# The probes: one per allocator, named for this test so that nothing else's probes are touched.
PROBES=()
remove_probes() { for p in "${PROBES[@]:-}"; do [ -n "$p" ] && perf probe -q -d "probe_libc:$p" 2>/dev/null; done; }
trap 'remove_probes; cleanup' EXIT
for fn in malloc calloc realloc posix_memalign aligned_alloc memalign; do
    name="mlink44_$fn"
    perf probe -q -d "probe_libc:$name" 2>/dev/null
    perf probe -q -x "$LIBC" "$name=$fn" 2>"$TMP/probe.err" || { cat "$TMP/probe.err"; fail "perf probe on $fn in $LIBC"; }
    PROBES+=("$name")
done
EVENTS=$(printf 'probe_libc:%s,' "${PROBES[@]}"); EVENTS=${EVENTS%,}

# count_allocations OUT SECONDS PID...: allocation calls of the processes over SECONDS (all threads).
count_allocations() {
    local out=$1 seconds=$2; shift 2
    perf stat -x, -e "$EVENTS" -p "$(IFS=,; echo "$*")" -o "$out" -- sleep "$seconds" 2>/dev/null
}
sum_counts() { grep -v '^#' "$1" | awk -F, '$1 ~ /^[0-9]+$/ { s += $1 } END { print s + 0 }'; }

# The probes work: python3 making 100000 buffers of 1 KiB (above pymalloc's 512-byte limit: each is a malloc).
python3 -c "
import time
time.sleep(0.5)
for _ in range(100000): bytearray(1024)
time.sleep(0.5)" &
checker=$!
sleep 0.2
count_allocations "$TMP/check.csv" 1 "$checker"
wait "$checker"
seen=$(sum_counts "$TMP/check.csv")
[ "$seen" -ge 100000 ] || fail "the uprobes saw $seen allocations of a process that makes 100000"

core_pid() {
    local pid
    for pid in $(ip netns pids "$L-$1"); do
        [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = mlink ] && { echo "$pid"; return; }
    done
    fail "no mlink core in $L-$1"
}
stream() {  # stream SECONDS: the steady stream: UDP at 100 Mbit/s in 1300-byte datagrams, then TCP, each SECONDS
    in_host vm0 iperf3 -c 10.77.0.1 -p 5301 -u -b 100M -l 1300 -t "$1" >"$TMP/udp.txt" 2>&1 || { cat "$TMP/udp.txt"; fail "the UDP stream"; }
    in_host vm0 iperf3 -c 10.77.0.1 -p 5301 -t "$1" >"$TMP/tcp.txt" 2>&1 || { cat "$TMP/tcp.txt"; fail "the TCP stream"; }
}
tun() { show_json "$1" | json_query "d['tun']['rx_packets'] + d['tun']['tx_packets']"; }

run_mode() {  # run_mode MODE: one lab, the stream counted against idle
    seed_lab "al$1$$"
    start_mlink vm1 vm0
    in_host vm0 ping -c 20 -i 0.05 -w 10 10.77.0.1 >/dev/null || fail "$1: the tunnel did not come up"
    local host router before packets streamed idle excess counter
    host=$(core_pid vm0) router=$(core_pid vm1)
    in_host vm1 iperf3 -s -D -B 10.77.0.1 -p 5301 --logfile "$TMP/iperf-server-$1.log" || fail "$1: iperf3 server"
    stream 1  # warm up: every buffer, table and cache the stream needs exists before counting starts
    before=$(( $(tun vm0) + $(tun vm1) ))
    count_allocations "$TMP/stream-$1.csv" 10 "$host" "$router" &
    counter=$!
    sleep 0.3
    stream 4
    wait "$counter" || fail "$1: perf stat failed during the stream"
    packets=$(( $(tun vm0) + $(tun vm1) - before ))
    count_allocations "$TMP/idle-$1.csv" 10 "$host" "$router" || fail "$1: perf stat failed while idle"
    streamed=$(sum_counts "$TMP/stream-$1.csv") idle=$(sum_counts "$TMP/idle-$1.csv")
    note "$1: $packets TUN packets through both cores; allocation calls: $streamed over the 10 s with the" \
        "stream, $idle over 10 s idle"
    [ "$packets" -ge 100000 ] || fail "$1: the stream moved only $packets packets"
    excess=$(( streamed - idle ))
    if [ $(( excess * 1000 )) -gt "$packets" ]; then
        # Where they come from: the call chains of another stream's allocations.
        perf record -q -g -e "$EVENTS" -p "$host,$router" -o "$TMP/allocations.data" -- sleep 10 >/dev/null 2>&1 &
        counter=$!
        sleep 0.3
        stream 4
        wait "$counter"
        local demangle=cat
        command -v swift >/dev/null && demangle="swift demangle --simplified"
        perf report -i "$TMP/allocations.data" --stdio --no-children -G 2>/dev/null | grep -v '^$' | head -60 \
            | $demangle | cut -c1-160
        fail "$1: the stream cost $excess allocation calls beyond idle for $packets packets"
    fi
    SUMMARY+="$1: $packets packets, $streamed allocation calls with the stream, $idle idle; "
    in_host vm0 "$MLINK" down vm0 2>/dev/null || fail "$1: down vm0"
    in_host vm1 "$MLINK" down vm1 2>/dev/null || fail "$1: down vm1"
    for pid in $(ip netns pids "$L-vm1"); do [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = iperf3 ] && kill "$pid"; done
}

SUMMARY=""
run_mode offloads
MLINK_TUN_OFFLOAD=0 MLINK_UDP_GSO=0 run_mode plain
pass "0 heap allocations per packet through the daemon's data path, release build, offloads on and off (${SUMMARY%; })"
