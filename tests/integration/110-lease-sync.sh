#!/usr/bin/env bash
# Leases across routers (issue 16 item 3; PROTOCOL.md §14.4): two routers with a router session and slices
# 10.77.0.64/27 (r1) and 10.77.0.96/27 (r2), 20 hosts with `address: auto` configured with both routers, 10
# preferring r1 and 10 preferring r2, all started at once. Checks: 20 distinct addresses, each from its
# first router's slice; each host's address bound to it at BOTH routers and a ping through each router's
# virtual address answers (the other router accepted the address as a source and routes it back); r2's show
# lists r1's bindings as synced from r1 and the LEASE_SYNC counters moved; r2 restarted without its lease file
# gets every binding back from r1's table. Prints the time until all 20 held an address and until both routers
# accepted all 20.
source "$(dirname "$0")/lib-lease.sh"
need_root
HOSTS=20
SW=lsw$$
new_ns "$SW"
ip -n "$SW" link add br0 type bridge || fail "bridge"
ip -n "$SW" link set br0 up
# lan_port NS IF ADDRESS: a veth from NS (IF, ADDRESS/24) to the switch's bridge.
lan_port() {
    veth "$1" "$2" "$SW" "p$3"
    ip -n "$SW" link set "p$3" master br0 up
    addr "$1" "$2" "10.9.0.$3/24"
}
for r in 1 2; do new_ns "lr$r$$"; lan_port "lr$r$$" lan "$r"; done
declare -A KEY PUB
for n in r1 r2 $(seq 1 $HOSTS); do
    KEY[$n]=$("$MLINK" genkey); PUB[$n]=$(echo "${KEY[$n]}" | "$MLINK" pubkey)
done
# Until routes between routers come from BGP (issue 16 item 2), a router peer's allowed-ips cover the whole
# virtual network: a host's address may come from either slice while it sends through either router.
router_profile() { # N SLICE OTHER
    local n=$1 o=$3
    (umask 077
     printf '%s\n' "name: r$n" "role: router" "private-key: ${KEY[r$n]}" "listen-port: 7000" \
         "interface: {name: ml-r$n, address: 10.77.0.$n/24}" \
         "address-pool: {prefix: 10.77.0.0/24, allocate: $2, lease-time: 1h}" "peers:" \
         "  - {name: r$o, role: router, public-key: ${PUB[r$o]}, endpoints: [10.9.0.$o:7000], allowed-ips: [10.77.0.$o/32, 10.77.0.0/24]}"
     for h in $(seq 1 $HOSTS); do echo "  - {name: h$h, public-key: ${PUB[$h]}}"; done) >"$TMP/r$n.yaml"
}
router_profile 1 10.77.0.64/27 2
router_profile 2 10.77.0.96/27 1
for h in $(seq 1 $HOSTS); do
    new_ns "lh$h$$"
    lan_port "lh$h$$" h0 $((10 + h))
    first=1; second=2
    [ "$h" -gt $((HOSTS / 2)) ] && { first=2; second=1; }
    (umask 077
     printf '%s\n' "name: h$h" "private-key: ${KEY[$h]}" "interface: {name: ml-lh, address: auto}" "links: [h0]" \
         "router:" "  name: r$first" "  public-key: ${PUB[r$first]}" "  endpoints: [10.9.0.$first:7000]" \
         "  virtual-ip: 10.77.0.$first" "routers:" \
         "  - {name: r$second, public-key: ${PUB[r$second]}, endpoints: [10.9.0.$second:7000], virtual-ip: 10.77.0.$second}" \
         >"$TMP/h$h.yaml")
done
on_r() { local n=$1; shift; ip netns exec "lr$n$$" env MLINK_RUN_DIR="$TMP/run-r$n" MLINK_STATE_DIR="$TMP/state-r$n" "$@"; }
for r in 1 2; do
    on_r $r "$MLINK" up "$TMP/r$r.yaml" 2>"$TMP/up-r$r.err" || { cat "$TMP/up-r$r.err"; fail "router r$r up"; }
done
# The routers' session first (the hosts' start is what is measured).
start=$(now_ms)
until grep -q "peer r1: bundle up" "$TMP/run-r2/ml-r2.log" 2>/dev/null; do
    [ $(( $(now_ms) - start )) -gt 8000 ] && fail "no session between r1 and r2 after 8 s: $(tail -5 "$TMP/run-r2/ml-r2.log")"
    sleep 0.05
done
note "router session up $(( $(now_ms) - start )) ms after both routers' up"

start=$(now_ms)
for h in $(seq 1 $HOSTS); do
    on_host "$h" "$MLINK" up "$TMP/h$h.yaml" >/dev/null 2>"$TMP/up-h$h.err" &
done
wait
for h in $(seq 1 $HOSTS); do [ -s "$TMP/run-h$h/ml-lh.state" ] || { cat "$TMP/up-h$h.err"; fail "host h$h up"; }; done
up_done=$(( $(now_ms) - start ))
declare -A ADDRESS
while :; do
    missing=0
    for h in $(seq 1 $HOSTS); do
        [ -n "${ADDRESS[$h]:-}" ] && continue
        a=$(leased "$h"); [ -n "$a" ] && ADDRESS[$h]=${a%/24} || missing=$((missing + 1))
    done
    [ "$missing" = 0 ] && break
    [ $(( $(now_ms) - start )) -gt 15000 ] && fail "$missing hosts without an address 15 s after their up"
    sleep 0.05
done
leased_ms=$(( $(now_ms) - start ))
note "20 hosts: all up in $up_done ms, all leased $leased_ms ms after the parallel start"
[ "$(printf '%s\n' "${ADDRESS[@]}" | sort -u | wc -l)" = "$HOSTS" ] || fail "duplicate addresses: ${ADDRESS[*]}"
# Each address comes from the slice of the router the host leased from first (the first session up may be the
# less preferred router's; the host keeps that address when its preferred router becomes current).
in1=0; in2=0
for h in $(seq 1 $HOSTS); do
    last=${ADDRESS[$h]##*.}
    if [ "$last" -ge 64 ] && [ "$last" -le 95 ]; then in1=$((in1 + 1))
    elif [ "$last" -ge 96 ] && [ "$last" -le 127 ]; then in2=$((in2 + 1))
    else fail "h$h has ${ADDRESS[$h]}, in neither slice"; fi
done
note "addresses: $in1 from r1's slice, $in2 from r2's"

# Both routers bind every host's address to that host (the non-preferred one through the host's reboot request
# and LEASE_SYNC).
bound_at() { # ROUTER: "name address" per bound binding
    on_r "$1" "$MLINK" show "ml-r$1" --json | json_query "'\n'.join(l['peer']+' '+l['address'] for l in d['leases']['table'] if l['state']=='bound')"
}
expected=$(for h in $(seq 1 $HOSTS); do echo "h$h ${ADDRESS[$h]}"; done | sort)
for r in 1 2; do
    until [ "$(bound_at $r | sort)" = "$expected" ]; do
        [ $(( $(now_ms) - start )) -gt 25000 ] && fail "r$r's bound leases differ from the hosts': $(diff <(bound_at $r | sort) <(echo "$expected") | head -8)"
        sleep 0.1
    done
done
note "both routers bind all 20 addresses $(( $(now_ms) - start )) ms after the parallel start"

# A ping through each router's virtual address from every host: the reply comes back through the router that
# does not hold the lease's slice too.
for h in $(seq 1 $HOSTS); do
    for r in 1 2; do
        on_host "$h" ping -c 1 -W 2 "10.77.0.$r" >"$TMP/ping-$h-$r.txt" 2>&1 &
    done
done
wait
lost=()
for h in $(seq 1 $HOSTS); do for r in 1 2; do
    grep -q " 0% packet loss" "$TMP/ping-$h-$r.txt" || { lost+=("h$h(${ADDRESS[$h]})->10.77.0.$r"); lh=$h; lr=$r; }
done; done
if [ "${#lost[@]}" -gt 0 ]; then
    [ -n "${SYNC_DEBUG:-}" ] && { cat "$TMP/ping-$lh-$lr.txt"; on_host "$lh" ping -c 2 -W 1 "10.77.0.$lr"; on_host "$lh" "$MLINK" show ml-lh; cat "$TMP/run-h$lh/ml-lh.log"; } >&2
    fail "${#lost[@]} of 40 pings unanswered: ${lost[*]}"
fi
note "40 pings answered (every host through both routers)"

on_r 2 "$MLINK" show ml-r2 --json >"$TMP/show-r2.json" || fail "r2 show"
synced=$(json_query "len([l for l in d['leases']['table'] if l.get('synced')=='r1' and l['state']=='bound'])" <"$TMP/show-r2.json")
[ "$synced" = "$in1" ] || fail "r2 lists $synced bound bindings as synced from r1, expected $in1: $(head -c 1500 "$TMP/show-r2.json")"
on_r 2 "$MLINK" show ml-r2 >"$TMP/show-r2.txt"
grep -q "synced from r1" "$TMP/show-r2.txt" || fail "r2's show does not print 'synced from r1': $(cat "$TMP/show-r2.txt")"
read -r sent received merged conflicts <<<"$(json_query "' '.join(str(r[k]) for r in d['leases']['sync']['routers'] for k in ('messages_sent','messages_received','merged','conflicts'))" <"$TMP/show-r2.json")"
[ "$received" -gt 0 ] && [ "$merged" -ge "$in1" ] || fail "r2's LEASE_SYNC counters: sent $sent received $received merged $merged"
note "r2: $synced bindings synced from r1, LEASE_SYNC sent $sent received $received merged $merged, conflicts $conflicts"
# r2 restarts with its lease file lost: its new boot makes r1 send the whole table, which gives r2 back every
# binding, its own included, before any host asks.
on_r 2 "$MLINK" down ml-r2 2>/dev/null || fail "r2 down"
rm -f "$TMP/state-r2/ml-r2/leases"
on_r 2 "$MLINK" up "$TMP/r2.yaml" 2>"$TMP/up-r2b.err" || { cat "$TMP/up-r2b.err"; fail "r2 up again"; }
restart=$(now_ms)
until [ "$(bound_at 2 | awk '{print $2}' | sort)" = "$(echo "$expected" | awk '{print $2}' | sort)" ]; do
    [ $(( $(now_ms) - restart )) -gt 8000 ] && [ -n "${SYNC_DEBUG:-}" ] && { grep -H "lease\|current\|session" "$TMP"/run-h*/ml-lh.log; grep -H "leases:" "$TMP"/run-r*/ml-r*.log; } >&2
    [ $(( $(now_ms) - restart )) -gt 8000 ] && fail "r2 did not get its table back from r1 8 s after its restart: $(diff <(bound_at 2 | sort) <(echo "$expected") | head -6)"
    sleep 0.05
done
note "r2 restarted without its lease file: all 20 bindings back from r1 $(( $(now_ms) - restart )) ms after its up"
grep -q "router r2 restarted; sending it the whole table" "$TMP/run-r1/ml-r1.log" || fail "r1 did not log r2's restart"
start=$restart

# Synced bindings are persisted like the others, within the 10 s coalescing interval of merges.
until [ "$(grep " bound " "$TMP/state-r2/ml-r2/leases" | grep -c " r1 ")" = "$in1" ]; do
    [ $(( $(now_ms) - start )) -gt 14000 ] && [ -n "${SYNC_DEBUG:-}" ] && { grep -H "lease\|current" "$TMP"/run-h*/ml-lh.log; grep -H "leases:" "$TMP"/run-r*/ml-r*.log; } >&2
    [ $(( $(now_ms) - start )) -gt 14000 ] && fail "r2's lease file does not keep r1's bindings: $(cat "$TMP/state-r2/ml-r2/leases")"
    sleep 0.2
done
note "r2's lease file holds r1's $in1 bindings $(( $(now_ms) - start )) ms after the parallel start"
pass "110-lease-sync: 20 hosts on two routers, 20 distinct addresses, all leased in $leased_ms ms, accepted by both"
