#!/usr/bin/env bash
# The throughput benchmark (issue 11, "Targets"). Four paths from namespace a to namespace b, measured in one run
# in alternating rounds (each round starts with the next path, so no path always goes first):
#   bare veth        192.168.100.2 over examples/lab/pair.yaml's one veth pair
#   wireguard-go     Debian's package, over the same veth pair
#   mlink 1 link     the lab of examples/lab/pair.yaml
#   mlink 2 links    the lab of examples/lab/pair2.yaml: two veth pairs, every packet sent on both
# Per path and round: iperf3 TCP (one stream), iperf3 UDP (-b 0 -l 1300, the received rate), ping avg idle and
# ping avg under a TCP load. Then the protocol core alone (mlink-bench-engine: packets/s, callgrind instructions
# per packet, the allocation check) and the system calls per 1000 inner packets of mlink on the 1-link path
# (perf counting the raw_syscalls tracepoint of each core, during a fixed-rate and an unlimited UDP run).
# Prints medians, per-round ratios and the targets' table; a full run writes the same into docs/BENCHMARKS.md
# (replacing the section an earlier run wrote, keeping the older sections below it).
#
#   sudo scripts/bench.sh            BENCH_ROUNDS (default 5) rounds of BENCH_SECONDS (default 5) per iperf3 run
#   sudo scripts/bench.sh --short    1 round of 2 s, smaller engine runs, writes no file: checks that it works (CI)
#   sudo scripts/bench.sh --ping     the idle ping alone: a warm-up round, then BENCH_ROUNDS (default 20) rounds
#                                    of 500 pings per path, alternating; prints each path's mean excess over bare
#                                    veth with its standard error (and now - before with BENCH_BEFORE_MLINK); writes
#                                    no file
#
# Binaries: MLINK_BIN, MLINK_LAB_BIN and MLINK_BENCH_ENGINE_BIN when set, else release builds of mlink and
# mlink-bench-engine and a debug mlink-lab, built here. BENCH_LAB (default bench) prefixes the labs' names
# (BENCH_LAB1, BENCH_LAB2); BENCH_DOCS names the file to write (default docs/BENCHMARKS.md, none with --short);
# BENCH_SYSCALL_RATE (default 200M) is the fixed rate of the system-call count's UDP run.
# Before and after in one run: BENCH_BEFORE_MLINK names an older mlink (same profile format) that runs two more
# labs (BENCH_LAB3 over pair.yaml, BENCH_LAB4 over pair2.yaml) as the paths "mlink 1 link (before)" and "mlink 2
# links (before)"; BENCH_BEFORE_ENGINE an older mlink-bench-engine whose packets/s are printed next to today's;
# BENCH_BEFORE_LABEL (e.g. the commit) says in the report what "before" is.
# Exit status: 0 when every measurement completed and the table was printed, whatever the numbers (the targets'
# table says which hold); 1 when a step failed; 77 without root. Everything it creates (namespaces, wireguard-go,
# iperf3, perf, files) is removed on every exit path.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d /opt/swift/usr/bin ] && export PATH=/opt/swift/usr/bin:$PATH

SHORT=0 PING_ONLY=0
for argument in "$@"; do
    case $argument in
        --short) SHORT=1 ;;
        --ping) PING_ONLY=1 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "mlink bench: unknown argument: expected --short or --ping ($argument)" >&2; exit 64 ;;
    esac
done
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespaces)"; exit 77; }

if [ "$SHORT" = 1 ]; then
    ROUNDS=${BENCH_ROUNDS:-1} SECS=${BENCH_SECONDS:-2} DOCS=${BENCH_DOCS:-}
    ENGINE_PACKETS=30000 CALLGRIND_SMALL=1000 CALLGRIND_LARGE=3000 PINGS=200
elif [ "$PING_ONLY" = 1 ]; then
    ROUNDS=${BENCH_ROUNDS:-20} SECS=${BENCH_SECONDS:-5} DOCS="" PINGS=500
else
    ROUNDS=${BENCH_ROUNDS:-5} SECS=${BENCH_SECONDS:-5} DOCS=${BENCH_DOCS:-docs/BENCHMARKS.md}
    ENGINE_PACKETS=300000 CALLGRIND_SMALL=10000 CALLGRIND_LARGE=30000 PINGS=500
fi
SYSCALL_RATE=${BENCH_SYSCALL_RATE:-200M}
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "mlink bench: BENCH_ROUNDS: not a positive integer ($ROUNDS)" >&2; exit 64; }
[[ $SECS =~ ^[1-9][0-9]*$ ]] || { echo "mlink bench: BENCH_SECONDS: not a positive integer ($SECS)" >&2; exit 64; }
[ "$SECS" -ge 2 ] || { echo "mlink bench: BENCH_SECONDS: the loaded ping needs at least 2 s ($SECS)" >&2; exit 64; }
STARTED=$(date -u +"%Y-%m-%d %H:%M")
# The commit measured: read now, not when the report is written (the tree may move on meanwhile).
COMMIT="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (with local changes)')"

scripts/install-deps.sh >/dev/null
BUILD=""
if [ -z "${MLINK_BIN:-}" ]; then
    swift build -c release --product mlink >/dev/null
    MLINK_BIN=$PWD/.build/release/mlink BUILD="release build (built by this run)"
fi
if [ "$PING_ONLY" = 1 ]; then
    MLINK_BENCH_ENGINE_BIN=${MLINK_BENCH_ENGINE_BIN:-/bin/true}  # not run
elif [ -z "${MLINK_BENCH_ENGINE_BIN:-}" ]; then
    swift build -c release --product mlink-bench-engine >/dev/null
    MLINK_BENCH_ENGINE_BIN=$PWD/.build/release/mlink-bench-engine
fi
if [ -z "${MLINK_LAB_BIN:-}" ]; then
    swift build --product mlink-lab >/dev/null
    MLINK_LAB_BIN=$PWD/.build/debug/mlink-lab
fi
export MLINK_BIN
LAB=$MLINK_LAB_BIN ENGINE=$MLINK_BENCH_ENGINE_BIN
for binary in "$MLINK_BIN" "$LAB" "$ENGINE"; do
    [ -x "$binary" ] || { echo "mlink bench: no executable: build it or set its variable ($binary)" >&2; exit 1; }
done
[ -n "$BUILD" ] || BUILD="$(basename "$(dirname "$MLINK_BIN")") build (${MLINK_BIN#"$PWD"/})"

PREFIX=${BENCH_LAB:-bench}
L1=${PREFIX}1 L2=${PREFIX}2
WGA=wg${PREFIX:0:10}a WGB=wg${PREFIX:0:10}b  # wireguard-go's sockets live in /var/run/wireguard, shared by all
NAMESPACES=("$L1-a" "$L1-b" "$L2-a" "$L2-b")
BEFORE=${BENCH_BEFORE_MLINK:-} BEFORE_ENGINE=${BENCH_BEFORE_ENGINE:-} L3=${PREFIX}3 L4=${PREFIX}4
for binary in $BEFORE $BEFORE_ENGINE; do
    [ -x "$binary" ] || { echo "mlink bench: no executable for the 'before' figures ($binary)" >&2; exit 1; }
done
[ -n "$BEFORE" ] && NAMESPACES+=("$L3-a" "$L3-b" "$L4-a" "$L4-b")
TMP=$(mktemp -d /tmp/mlink-bench.XXXXXX)
RESULTS=$TMP/results.tsv META=$TMP/meta.tsv
: >"$RESULTS"; : >"$META"

# Stops what runs in the labs' namespaces (mlink itself through `mlink-lab down`), then removes the labs, the
# wireguard-go sockets and the files; kills what is left in a namespace that survived.
cleanup() {
    local status=$? pid ns
    set +e
    trap - EXIT INT TERM ERR
    for pid in $(jobs -p); do kill "$pid" 2>/dev/null; done
    for ns in "${NAMESPACES[@]}"; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do
            case $(cat "/proc/$pid/comm" 2>/dev/null) in iperf3|ping|wireguard-go) kill "$pid" 2>/dev/null ;; esac
        done
    done
    wait 2>/dev/null
    ip -n "$L1-a" link del "$WGA" 2>/dev/null; ip -n "$L1-b" link del "$WGB" 2>/dev/null
    rm -f "/var/run/wireguard/$WGA.sock" "/var/run/wireguard/$WGB.sock"
    "$LAB" down "$L1" >/dev/null 2>&1; "$LAB" down "$L2" >/dev/null 2>&1
    if [ -n "$BEFORE" ]; then
        MLINK_BIN=$BEFORE "$LAB" down "$L3" >/dev/null 2>&1; MLINK_BIN=$BEFORE "$LAB" down "$L4" >/dev/null 2>&1
    fi
    for ns in "${NAMESPACES[@]}"; do
        ip netns list 2>/dev/null | grep -q "^$ns\b" || continue
        echo "mlink bench: namespace left after mlink-lab down, removing it ($ns)" >&2
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
        ip netns del "$ns" 2>/dev/null
    done
    rm -rf "$TMP"
    exit "$status"
}
trap cleanup EXIT
trap 'echo "mlink bench: a step failed: exit status $? at line $LINENO ($BASH_COMMAND)" >&2' ERR
trap 'exit 130' INT
trap 'exit 143' TERM

fail() { echo "mlink bench: $1: $2 ($3)" >&2; exit 1; }
x() { local namespace=$1; shift; ip netns exec "$namespace" "$@"; }
meta() { printf '%s\t%s\n' "$1" "$2" >>"$META"; }
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$RESULTS"; }
# jq_py FILE EXPR: a Python expression over the JSON in FILE (bound to `d`).
jq_py() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

# The labs (a stale one from an interrupted run is taken down first), then wireguard-go over pair.yaml's wire.
for lab in "$L1" "$L2"; do "$LAB" down "$lab" >/dev/null 2>&1 || true; done
"$LAB" up examples/lab/pair.yaml --name "$L1" >"$TMP/up1.log" 2>&1 || { cat "$TMP/up1.log" >&2; fail "starting the 1-link lab" "mlink-lab up failed" "examples/lab/pair.yaml"; }
"$LAB" up examples/lab/pair2.yaml --name "$L2" >"$TMP/up2.log" 2>&1 || { cat "$TMP/up2.log" >&2; fail "starting the 2-link lab" "mlink-lab up failed" "examples/lab/pair2.yaml"; }
if [ -n "$BEFORE" ]; then
    for lab in "$L3" "$L4"; do MLINK_BIN=$BEFORE "$LAB" down "$lab" >/dev/null 2>&1 || true; done
    MLINK_BIN=$BEFORE "$LAB" up examples/lab/pair.yaml --name "$L3" >"$TMP/up3.log" 2>&1 || { cat "$TMP/up3.log" >&2; fail "starting the 'before' 1-link lab" "mlink-lab up failed" "$BEFORE"; }
    MLINK_BIN=$BEFORE "$LAB" up examples/lab/pair2.yaml --name "$L4" >"$TMP/up4.log" 2>&1 || { cat "$TMP/up4.log" >&2; fail "starting the 'before' 2-link lab" "mlink-lab up failed" "$BEFORE"; }
fi
(umask 077; wg genkey >"$TMP/wg-a.key"; wg genkey >"$TMP/wg-b.key")
x "$L1-a" env WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 wireguard-go "$WGA" >/dev/null 2>&1
x "$L1-b" env WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 wireguard-go "$WGB" >/dev/null 2>&1
x "$L1-a" wg set "$WGA" private-key "$TMP/wg-a.key" peer "$(wg pubkey <"$TMP/wg-b.key")" allowed-ips 10.99.0.2/32 endpoint 192.168.100.2:51820
x "$L1-b" wg set "$WGB" private-key "$TMP/wg-b.key" listen-port 51820 peer "$(wg pubkey <"$TMP/wg-a.key")" allowed-ips 10.99.0.1/32
x "$L1-a" ip addr add 10.99.0.1/24 dev "$WGA"; x "$L1-b" ip addr add 10.99.0.2/24 dev "$WGB"
x "$L1-a" ip link set "$WGA" mtu 1420 up; x "$L1-b" ip link set "$WGB" mtu 1420 up

declare -A NAME LABOF ADDRESS
PATHS=(bare wg ml1 ml2)
NAME=([bare]="bare veth" [wg]="wireguard-go (*)" [ml1]="mlink 1 link" [ml2]="mlink 2 links")
LABOF=([bare]=$L1 [wg]=$L1 [ml1]=$L1 [ml2]=$L2)
ADDRESS=([bare]=192.168.100.2 [wg]=10.99.0.2 [ml1]=10.77.0.1 [ml2]=10.77.0.1)
if [ -n "$BEFORE" ]; then
    PATHS+=(old1 old2)
    NAME+=([old1]="mlink 1 link (before)" [old2]="mlink 2 links (before)")
    LABOF+=([old1]=$L3 [old2]=$L4)
    ADDRESS+=([old1]=10.77.0.1 [old2]=10.77.0.1)
fi
for p in "${PATHS[@]}"; do
    for _ in $(seq 40); do x "${LABOF[$p]}-a" ping -c 1 -W 1 "${ADDRESS[$p]}" >/dev/null 2>&1 && continue 2; sleep 0.25; done
    fail "reaching ${NAME[$p]}" "no echo reply in 10 s" "${ADDRESS[$p]} from ${LABOF[$p]}-a"
done
for lab in $(printf '%s\n' "${LABOF[@]}" | sort -u); do x "$lab-b" iperf3 -s -D -I "$TMP/iperf3-$lab.pid" >/dev/null; done
sleep 0.3

# iperf NAMESPACE OUT ARGS...: one iperf3 client run as JSON into OUT, retried while the server is still busy.
iperf() {
    local namespace=$1 out=$2 attempt
    shift 2
    for attempt in 1 2 3 4 5 6; do
        x "$namespace" iperf3 -J "$@" >"$out" 2>"$out.err" && return 0
        sleep 0.5
    done
    fail "iperf3 $*" "$(jq_py "$out" "d.get('error', 'no JSON')" 2>/dev/null || echo 'no output')" "$namespace"
}
# The received rate in Mbit/s: TCP's sum_received, UDP's sender rate less the datagrams lost.
tcp_rate() { jq_py "$1" "round(d['end']['sum_received']['bits_per_second'] / 1e6, 1)"; }
udp_rate() { jq_py "$1" "round(d['end']['sum']['bits_per_second'] * (1 - d['end']['sum']['lost_percent'] / 100) / 1e6, 1)"; }
# ping_avg NAMESPACE ADDRESS COUNT: the average RTT in ms of COUNT pings 2 ms apart.
ping_avg() {
    local avg
    avg=$(x "$1" ping -c "$3" -i 0.002 -q "$2" 2>/dev/null | sed -nE 's#^rtt [^=]+= [0-9.]+/([0-9.]+)/.*#\1#p') || true
    [ -n "$avg" ] || fail "ping through $2" "no reply" "$1"
    echo "$avg"
}

# measure PATH ROUND: TCP, UDP, ping idle, ping under TCP load (the pings start 0.5 s into a BENCH_SECONDS run).
measure() {
    local p=$1 r=$2 namespace="${LABOF[$1]}-a" address=${ADDRESS[$1]} out=$TMP/r$2-$1 load tcp udp idle loaded
    iperf "$namespace" "$out-tcp.json" -c "$address" -t "$SECS"
    tcp=$(tcp_rate "$out-tcp.json")
    iperf "$namespace" "$out-udp.json" -c "$address" -u -b 0 -l 1300 -t "$SECS"
    udp=$(udp_rate "$out-udp.json")
    idle=$(ping_avg "$namespace" "$address" "$PINGS")
    iperf "$namespace" "$out-load.json" -c "$address" -t "$SECS" &
    load=$!
    sleep 0.5
    loaded=$(ping_avg "$namespace" "$address" $(( (SECS - 1) * 500 )))
    wait "$load" || fail "the TCP load under ping" "iperf3 failed" "${NAME[$p]}"
    record "$r" "$p" tcp "$tcp"; record "$r" "$p" udp "$udp"
    record "$r" "$p" ping_idle "$idle"; record "$r" "$p" ping_loaded "$loaded"
    printf '  round %d  %-22s TCP %9s Mbit/s  UDP %8s Mbit/s  ping %s ms idle, %s ms loaded\n' \
        "$r" "${NAME[$p]}" "$tcp" "$udp" "$idle" "$loaded" >&2
}

if [ "$PING_ONLY" = 1 ]; then
    echo "mlink bench: $ROUNDS round(s) of $PINGS idle pings per path, paths alternating (after one unrecorded round)" >&2
    # A warm-up round first: right after the labs come up, their first rounds measured 2-5 times the later ones.
    for p in "${PATHS[@]}"; do ping_avg "${LABOF[$p]}-a" "${ADDRESS[$p]}" "$PINGS" >/dev/null; done
    for r in $(seq "$ROUNDS"); do
        line=""
        for i in "${!PATHS[@]}"; do
            p=${PATHS[$(( (i + r - 1) % ${#PATHS[@]} ))]}
            idle=$(ping_avg "${LABOF[$p]}-a" "${ADDRESS[$p]}" "$PINGS")
            record "$r" "$p" ping_idle "$idle"
            line+=" $p $idle"
        done
        echo "  round $r:$line" >&2
    done
    meta commit "$COMMIT"; meta build "$BUILD"; meta rounds "$ROUNDS"; meta pings "$PINGS"
    meta before "${BEFORE:+${BENCH_BEFORE_LABEL:-$BEFORE}}"; meta kernel "$(uname -r)"
    meta started "$STARTED"; meta finished "$(date -u +"%H:%M")"
    python3 scripts/bench-report.py --ping "$RESULTS" "$META"
    exit 0
fi
echo "mlink bench: $ROUNDS round(s) of ${SECS} s per iperf3 run, paths alternating" >&2
for r in $(seq "$ROUNDS"); do
    for i in "${!PATHS[@]}"; do measure "${PATHS[$(( (i + r - 1) % ${#PATHS[@]} ))]}" "$r"; done
done

# mlink's cores on the 1-link path: the process named mlink in each namespace.
core_pid() {
    local pid found=""
    for pid in $(ip netns pids "$1"); do
        [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = mlink ] && found=${found:+$found,}$pid
    done
    [ -n "$found" ] || fail "finding mlink's core" "no process named mlink" "$1"
    echo "$found"
}
SENDER=$(core_pid "$L1-a") RECEIVER=$(core_pid "$L1-b")
EVENTS=raw_syscalls:sys_enter
for call in sendmmsg sendmsg sendto write writev recvmmsg recvmsg recvfrom read readv epoll_wait epoll_pwait; do
    [ -d "/sys/kernel/tracing/events/syscalls/sys_enter_$call" ] && EVENTS+=",syscalls:sys_enter_$call"
done
# tun_packets HOST KEY: the core's TUN counter KEY (rx_packets: read, tx_packets: written) from `mlink show
# --json`, empty when this build does not report it.
tun_packets() {
    x "$L1-$1" env MLINK_RUN_DIR="/run/mlink-lab/$L1/run/$1" "$MLINK_BIN" show --json 2>/dev/null | python3 -c "
import json, sys
try:
    d = json.load(sys.stdin); d = d[0] if isinstance(d, list) else d; print(int(d['tun']['$2']))
except Exception:
    pass" || true
}
# syscalls LABEL RATE: counts both cores' system calls (all threads) over a UDP run of BENCH_SECONDS at RATE
# (RATE tcp: a TCP run, one stream), and the packets each core moved through its TUN meanwhile (read outside
# perf's window: `show` makes calls too): the sender's reads and super-packets, the receiver's packets and writes.
syscalls() {
    local label=$1 rate=$2 window=$(( SECS + 1 )) a b read0 written0 read1 written1 supers0 writes0
    read0=$(tun_packets a rx_packets) written0=$(tun_packets b tx_packets)
    supers0=$(tun_packets a super_packets) writes0=$(tun_packets b writes)
    perf stat -x, -e "$EVENTS" -p "$SENDER" -o "$TMP/perf-$label-sender.csv" -- sleep "$window" 2>/dev/null &
    a=$!
    perf stat -x, -e "$EVENTS" -p "$RECEIVER" -o "$TMP/perf-$label-receiver.csv" -- sleep "$window" 2>/dev/null &
    b=$!
    sleep 0.3
    if [ "$rate" = tcp ]; then
        iperf "$L1-a" "$TMP/syscalls-$label.json" -c 10.77.0.1 -t "$SECS"
    else
        iperf "$L1-a" "$TMP/syscalls-$label.json" -c 10.77.0.1 -u -b "$rate" -l 1300 -t "$SECS"
    fi
    wait "$a" "$b" || fail "counting system calls" "perf stat failed" "$EVENTS"
    read1=$(tun_packets a rx_packets) written1=$(tun_packets b tx_packets)
    local supers1 writes1
    supers1=$(tun_packets a super_packets) writes1=$(tun_packets b writes)
    [ -n "$read0" ] && [ -n "$read1" ] && meta "syscalls_${label}_tun_read" "$(( read1 - read0 ))"
    [ -n "$written0" ] && [ -n "$written1" ] && meta "syscalls_${label}_tun_written" "$(( written1 - written0 ))"
    [ -n "$supers0" ] && [ -n "$supers1" ] && meta "syscalls_${label}_tun_supers" "$(( supers1 - supers0 ))"
    [ -n "$writes0" ] && [ -n "$writes1" ] && meta "syscalls_${label}_tun_writes" "$(( writes1 - writes0 ))"
    meta "syscalls_${label}_rate" "$rate"
    if [ "$rate" = tcp ]; then
        meta "syscalls_${label}_mbits" "$(tcp_rate "$TMP/syscalls-$label.json")"
    else
        local sent lost
        sent=$(jq_py "$TMP/syscalls-$label.json" "d['end']['sum']['packets']")
        lost=$(jq_py "$TMP/syscalls-$label.json" "d['end']['sum']['lost_packets']")
        meta "syscalls_${label}_sent" "$sent"
        meta "syscalls_${label}_received" "$(( sent - lost ))"
    fi
    local side
    for side in sender receiver; do
        grep -v '^#' "$TMP/perf-$label-$side.csv" | grep , | while IFS=, read -r count _ event _; do
            meta "syscalls_${label}_${side}_${event##*:}" "$count"
        done
    done
}
echo "mlink bench: system calls of mlink's cores (sender $SENDER, receiver $RECEIVER)" >&2
if command -v perf >/dev/null && perf stat -e raw_syscalls:sys_enter -- true >/dev/null 2>&1; then
    syscalls fixed "$SYSCALL_RATE"
    syscalls unlimited 0
    syscalls tcp tcp
else
    meta syscalls_missing "perf cannot count the raw_syscalls tracepoint here (linux-perf, tracefs)"
fi

# Where the CPU goes: perf samples of each core (cpu-clock: this VM exposes no hardware PMU) during a TCP run of
# BENCH_SECONDS, by shared object and by symbol (Swift names demangled). BENCH_PROFILE=0 skips it.
profile() {
    local side window=$(( SECS + 1 )) a b
    perf record -q -e cpu-clock -F 999 -p "$SENDER" -o "$TMP/profile-sender.data" -- sleep "$window" >/dev/null 2>&1 &
    a=$!
    perf record -q -e cpu-clock -F 999 -p "$RECEIVER" -o "$TMP/profile-receiver.data" -- sleep "$window" >/dev/null 2>&1 &
    b=$!
    sleep 0.3
    iperf "$L1-a" "$TMP/profile.json" -c 10.77.0.1 -t "$SECS"
    wait "$a" "$b" || fail "profiling the cores" "perf record failed" "cpu-clock"
    meta profile_mbits "$(tcp_rate "$TMP/profile.json")"
    local demangle=cat
    command -v swift >/dev/null && demangle="swift demangle --simplified"
    for side in sender receiver; do
        perf report -i "$TMP/profile-$side.data" --stdio --no-children --sort dso -q 2>/dev/null \
            | awk 'NF >= 2 && $1 ~ /%$/ { printf "%s %s; ", $1, $2 }' | sed 's/; $//' >"$TMP/profile-$side-dso.txt"
        meta "profile_${side}_dso" "$(head -c 400 "$TMP/profile-$side-dso.txt")"
        perf report -i "$TMP/profile-$side.data" --stdio --no-children --sort dso,sym -q 2>/dev/null \
            | awk 'NF >= 4 && $1 ~ /%$/ && ++n <= 12' | $demangle \
            | awk '{ pct = $1; dso = $2; $1 = $2 = $3 = ""; sub(/^ +/, ""); printf "%s %s %s | ", pct, dso, substr($0, 1, 70) }' \
            | sed 's/ | $//' >"$TMP/profile-$side-sym.txt"
        meta "profile_${side}_symbols" "$(cat "$TMP/profile-$side-sym.txt")"
    done
}
if [ "${BENCH_PROFILE:-1}" != 0 ] && command -v perf >/dev/null; then
    echo "mlink bench: where the CPU goes (perf record of both cores during TCP)" >&2
    profile
fi

echo "mlink bench: the protocol core alone (mlink-bench-engine)" >&2
"$ENGINE" "$ENGINE_PACKETS" >"$TMP/engine.txt" || fail "the engine benchmark" "exit status $?" "$ENGINE $ENGINE_PACKETS"
for links in 1 2; do
    meta "engine_rate_$links" "$(sed -nE "s/^engine, $links links? *:.*CPU: ([0-9]+) packets\/s.*/\1/p" "$TMP/engine.txt")"
done
meta engine_packets "$ENGINE_PACKETS"
if [ -n "$BEFORE_ENGINE" ]; then
    "$BEFORE_ENGINE" "$ENGINE_PACKETS" >"$TMP/engine-before.txt" || fail "the 'before' engine benchmark" "exit status $?" "$BEFORE_ENGINE"
    for links in 1 2; do
        meta "engine_before_rate_$links" "$(sed -nE "s/^engine, $links links? *:.*CPU: ([0-9]+) packets\/s.*/\1/p" "$TMP/engine-before.txt")"
    done
fi
for links in 1 2; do
    for n in "$CALLGRIND_SMALL" "$CALLGRIND_LARGE"; do
        valgrind --tool=callgrind --callgrind-out-file="$TMP/callgrind.out" "$ENGINE" --links "$links" "$n" \
            >/dev/null 2>"$TMP/callgrind.err" || { tail -5 "$TMP/callgrind.err" >&2; fail "callgrind" "the engine run failed" "--links $links $n"; }
        instructions=$(sed -nE 's/^==[0-9]+== Collected : ([0-9]+)$/\1/p' "$TMP/callgrind.err")
        [ -n "$instructions" ] || fail "callgrind" "no 'Collected' line" "--links $links $n"
        meta "callgrind_${links}_$n" "$instructions"
    done
done
# Adaptive mode (issue 15: <= 1.15x the one-link figure): two links, the planner running, each packet classified,
# planned and kept in the replay ring; the plan after the warm-up is printed (a clean pair: single on one link).
for n in "$CALLGRIND_SMALL" "$CALLGRIND_LARGE"; do
    valgrind --tool=callgrind --callgrind-out-file="$TMP/callgrind.out" "$ENGINE" --adaptive "$n" \
        >"$TMP/adaptive.txt" 2>"$TMP/callgrind.err" || { tail -5 "$TMP/callgrind.err" >&2; fail "callgrind" "the engine run failed" "--adaptive $n"; }
    instructions=$(sed -nE 's/^==[0-9]+== Collected : ([0-9]+)$/\1/p' "$TMP/callgrind.err")
    [ -n "$instructions" ] || fail "callgrind" "no 'Collected' line" "--adaptive $n"
    meta "callgrind_adaptive_$n" "$instructions"
done
meta adaptive_plan "$(sed -nE 's/^engine, adaptive, 2 links \((.*)\):.*/\1/p' "$TMP/adaptive.txt")"
meta callgrind_small "$CALLGRIND_SMALL"; meta callgrind_large "$CALLGRIND_LARGE"
set +e
"$ENGINE" --check-allocations >"$TMP/allocations.txt" 2>&1
meta allocations_status "$?"
"$ENGINE" --check-adaptive-allocations >"$TMP/adaptive-allocations.txt" 2>&1
meta adaptive_allocations_status "$?"
meta adaptive_allocations_line "$(head -1 "$TMP/adaptive-allocations.txt")"
set -e
meta allocations_line "$(head -1 "$TMP/allocations.txt")"

# What mlink reports about its data path (offloads, when this build shows them).
x "$L1-a" env MLINK_RUN_DIR="/run/mlink-lab/$L1/run/a" "$MLINK_BIN" show >"$TMP/show.txt" 2>&1 || true
meta offloads "$(grep -iwE "offloads?|gso|gro" "$TMP/show.txt" | sed 's/^ *//' | paste -sd ';' - | sed 's/;/; /g' || true)"
meta machine "$(sed -nE 's/^model name\s*: //p' /proc/cpuinfo | head -1), $(nproc) cores"
meta os "$(. /etc/os-release && echo "$PRETTY_NAME")"
meta kernel "$(uname -r)"
meta libsodium "$(dpkg-query -W -f='${Version}' libsodium23 2>/dev/null || echo unknown)"
meta wireguard_go "$(dpkg-query -W -f='${Version}' wireguard-go 2>/dev/null || echo unknown)"
meta iperf3 "$(iperf3 --version | head -1 | cut -d' ' -f2)"
meta commit "$COMMIT"
meta build "$BUILD"
meta rounds "$ROUNDS"; meta seconds "$SECS"; meta pings "$PINGS"
meta before "${BEFORE:+${BENCH_BEFORE_LABEL:-$BEFORE}}"; meta before_engine "${BEFORE_ENGINE:+${BENCH_BEFORE_LABEL:-$BEFORE_ENGINE}}"
meta started "$STARTED"; meta finished "$(date -u +"%H:%M")"

python3 scripts/bench-report.py "$RESULTS" "$META" "$DOCS"
