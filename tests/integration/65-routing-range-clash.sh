#!/usr/bin/env bash
# Two mlink interfaces on one machine need disjoint source-routing ranges: `up` refuses a profile whose
# table range or rule priority another interface holds, whether it learns that from the other's state file
# (same run directory) or from the kernel's rules (another run directory), creates nothing (no device, no
# state, no rule, no route) and exits 71 with `mlink: up IF: table range A-B is used by mlink interface X (...)`.
# With its own range the second interface comes up, and its `down` leaves the first one's rules alone.
#
#   hcn: ml-a, ml-b (routers on link n0 10.9.0.2, default via 10.9.0.1) -- hcp (10.9.0.1)
source "$(dirname "$0")/lib-rt.sh"
need_root
N=hcn$$ P=hcp$$
new_ns $N; new_ns $P
veth $N n0 $P p0; addr $N n0 10.9.0.2/24; addr $P p0 10.9.0.1/24
ip -n $N route add default via 10.9.0.1 dev n0

# router_profile NAME ADDRESS PORT [ROUTING]: a router profile on n0 at $TMP/NAME.yaml.
router_profile() {
    local key peer
    key=$("$MLINK" genkey); peer=$("$MLINK" genkey | "$MLINK" pubkey)
    (umask 077
     printf '%s\n' "name: $1" "role: router" "private-key: $key" "listen-port: $3" \
         "interface: {name: ml-$1, address: $2/24}" "links: [n0]" ${4:+"routing: $4"} "peers:" \
         "  - {name: h$1, public-key: $peer, allowed-ips: [${2%.*}.10/32]}" >"$TMP/$1.yaml")
}
router_profile a 10.78.0.1 7000
router_profile b 10.79.0.1 7001
router_profile c 10.80.0.1 7002 "{table-base: 11200, rule-priority: 10800}"
in_n() { local run=$1; shift; ip netns exec $N env MLINK_RUN_DIR="$TMP/$run" "$@"; }

in_n run1 "$MLINK" up "$TMP/a.yaml" 2>"$TMP/up-a.err" || { cat "$TMP/up-a.err"; fail "up a"; }
for _ in $(seq 1 20); do ip -n $N rule show | grep -q "from 10.9.0.2 lookup 10900" && break; sleep 0.1; done
ip -n $N rule show | grep -q "from 10.9.0.2 lookup 10900 proto 109" || fail "ml-a installed no rule: $(ip -n $N rule)"
snapshot() {
    ip -n $N -j rule; ip -n $N route show table all | grep -v "^local\|^broadcast\|^multicast\|^fe80\|ff00"
    ip -n $N -o link | awk '{ print $2 }'
}
before=$(snapshot)

# refused RUNDIR WORDS: `up b` with run directory RUNDIR fails with 71, says WORDS, and leaves nothing.
refused() {
    in_n "$1" "$MLINK" up "$TMP/b.yaml" 2>"$TMP/up-b.err"
    local status=$?
    [ "$status" = 71 ] || { cat "$TMP/up-b.err"; fail "up b with a clashing range exited $status, not 71"; }
    grep -qF "$2" "$TMP/up-b.err" || fail "up b does not say '$2': $(cat "$TMP/up-b.err")"
    grep -q '^\[#\]' "$TMP/up-b.err" && fail "up b changed something before refusing: $(cat "$TMP/up-b.err")"
    [ "$(snapshot)" = "$before" ] || fail "up b left something behind: $(diff <(echo "$before") <(snapshot))"
    [ ! -e "$TMP/$1/ml-b.state" ] && [ ! -e "$TMP/$1/ml-b.sock" ] || fail "up b left run files in $1: $(ls "$TMP/$1")"
    note "refused ($1): $(cat "$TMP/up-b.err")"
}
refused run1 "mlink: up ml-b: table range 10900-11155 is used by mlink interface ml-a (state file $TMP/run1/ml-a.state"
refused run2 "mlink: up ml-b: table range 10900-11155 is used by another mlink interface or program (ip rule: from 10.9.0.2 lookup 10900 priority 10900 proto 109)"

# Its own range: up, its rule at its own priority, and its down leaves ml-a's rules.
in_n run1 "$MLINK" up "$TMP/c.yaml" 2>"$TMP/up-c.err" || { cat "$TMP/up-c.err"; fail "up c with its own range"; }
for _ in $(seq 1 20); do ip -n $N rule show | grep -q "lookup 11200" && break; sleep 0.1; done
ip -n $N rule show | grep -q "^10800:.*from 10.9.0.2 lookup 11200 proto 109" || fail "ml-c installed no rule: $(ip -n $N rule)"
in_n run1 "$MLINK" down ml-c 2>/dev/null || fail "down c"
[ "$(ip -n $N rule show | grep -c 'from 10.9.0.2 lookup main suppress_prefixlength 0 proto 109')" = 1 ] \
    && ip -n $N rule show | grep -q "from 10.9.0.2 lookup 10900 proto 109" || fail "down of ml-c took ml-a's rules: $(ip -n $N rule)"
ip -n $N route show table 10900 | grep -q "default via 10.9.0.1 dev n0 proto 109" || fail "ml-a's table gone after down c"
in_n run1 "$MLINK" down ml-a 2>/dev/null || fail "down a"
# With ml-a gone, the same range is free again.
in_n run1 "$MLINK" up "$TMP/b.yaml" 2>"$TMP/up-b2.err" || { cat "$TMP/up-b2.err"; fail "up b once ml-a is down"; }
in_n run1 "$MLINK" down ml-b 2>/dev/null || fail "down b"
[ -z "$(ip -n $N rule show | grep 'proto 109')" ] || fail "rules left: $(ip -n $N rule)"
pass "a clashing table range is refused at up (from the state file and from the kernel's rules), exit 71, nothing created; a disjoint range coexists"
