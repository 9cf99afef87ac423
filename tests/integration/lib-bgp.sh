# Helpers of the BGP tests (105-109, issue 16): three routers r1-r3 in a full mesh of mlink router sessions,
# hosts spread over them, and BIRD 2 in each router's namespace with examples/bird/rN.conf (its own control socket,
# pid file and a log on stderr). The same layout as examples/lab/bgp3.yaml, built here by hand so each test
# starts only what it needs. Sources lib-mesh.sh (in_ns, up; and so lib-rt.sh and lib.sh).
#
#   a (10.77.0.10) --10.2.1.0/24-- r1 --192.168.12.0/24-- r2 --10.2.2.0/24-- c (10.77.0.20) --lan0-- 192.168.70.10
#                                   \                     /
#                         192.168.13.0/24      192.168.23.0/24
#                                     \                 /
#                                      r3 --10.2.3.0/24-- b (10.77.0.30)
#   h (10.77.0.40): on r1 (10.2.4.0/24, preferred) and r2 (10.2.5.0/24), with bgp_lab ... h.
# Router-to-router nets sit inside 192.168.0.0/16, which the routers' allowed-routes cover, so a route over them
# is refused as `capture`, not as `outside-bound` (routing.md T14).
source "$(dirname "${BASH_SOURCE[0]}")/lib-mesh.sh"

BIRD_DIR=$ROOT/examples/bird
BIRDS=()

# key NAME: a private key in $TMP/NAME.key, its public key in $TMP/NAME.pub.
key() { "$MLINK" genkey >"$TMP/$1.key"; "$MLINK" pubkey <"$TMP/$1.key" >"$TMP/$1.pub"; }
pub() { cat "$TMP/$1.pub"; }

# The router peers' entries: endpoints, virtual address, the bound of what may be imported via them.
ROUTER_BOUND="allowed-routes: [{prefix: 10.77.0.0/24, max-length: 32}, {prefix: 192.168.0.0/16, max-length: 24}]"

# bgp_lab PREFIX [h]: namespaces $P-r1..3, $P-a, $P-b, $P-c, $P-lan (and $P-h with `h`), nets, keys, profiles
# $TMP/NAME.yaml. Sets P.
bgp_lab() {
    P=$1
    local with_h=${2:-}
    local n
    for n in r1 r2 r3 a b c lan ${with_h:+h}; do new_ns "$P-$n"; key "$n"; done
    veth "$P-r1" e12 "$P-r2" e21; addr "$P-r1" e12 192.168.12.1/24; addr "$P-r2" e21 192.168.12.2/24
    veth "$P-r1" e13 "$P-r3" e31; addr "$P-r1" e13 192.168.13.1/24; addr "$P-r3" e31 192.168.13.3/24
    veth "$P-r2" e23 "$P-r3" e32; addr "$P-r2" e23 192.168.23.2/24; addr "$P-r3" e32 192.168.23.3/24
    veth "$P-a" eth0 "$P-r1" ea; addr "$P-a" eth0 10.2.1.2/24; addr "$P-r1" ea 10.2.1.1/24
    veth "$P-c" eth0 "$P-r2" ec; addr "$P-c" eth0 10.2.2.2/24; addr "$P-r2" ec 10.2.2.1/24
    veth "$P-b" eth0 "$P-r3" eb; addr "$P-b" eth0 10.2.3.2/24; addr "$P-r3" eb 10.2.3.1/24
    veth "$P-c" lan0 "$P-lan" eth0; addr "$P-c" lan0 192.168.70.1/24; addr "$P-lan" eth0 192.168.70.10/24
    ip -n "$P-lan" route add default via 192.168.70.1 || fail "default route in $P-lan"
    ip netns exec "$P-c" sysctl -qw net.ipv4.ip_forward=1
    local r1links="[e12, e13, ea" r2links="[e21, e23, ec" hpeer1="" hpeer2=""
    if [ -n "$with_h" ]; then
        veth "$P-h" eth1 "$P-r1" eh; addr "$P-h" eth1 10.2.4.2/24; addr "$P-r1" eh 10.2.4.1/24
        veth "$P-h" eth2 "$P-r2" eh; addr "$P-h" eth2 10.2.5.2/24; addr "$P-r2" eh 10.2.5.1/24
        r1links+=", eh"; r2links+=", eh"
        hpeer1="  - {name: h, public-key: $(pub h), allowed-ips: [10.77.0.40/32]}"
        hpeer2=$hpeer1
        host_profile h 10.77.0.40 "[eth1, eth2]" r1 10.2.4.1 1
        printf '%s\n' "preempt-delay: 3" "routers:" \
            "  - {name: r2, public-key: $(pub r2), endpoints: [10.2.5.1:7000], virtual-ip: 10.77.0.2, preference: 10}" \
            >>"$TMP/h.yaml"
    fi
    router_profile r1 1 "$r1links]" "  - {name: a, public-key: $(pub a), allowed-ips: [10.77.0.10/32]}" "$hpeer1" \
        "$(router_peer r2 2 192.168.12.2)" "$(router_peer r3 3 192.168.13.3)"
    router_profile r2 2 "$r2links]" \
        "  - {name: c, public-key: $(pub c), allowed-ips: [10.77.0.20/32], allowed-routes: [192.168.70.0/24]}" \
        "$hpeer2" "$(router_peer r1 1 192.168.12.1)" "$(router_peer r3 3 192.168.23.3)"
    router_profile r3 3 "[e31, e32, eb]" "  - {name: b, public-key: $(pub b), allowed-ips: [10.77.0.30/32]}" "" \
        "$(router_peer r1 1 192.168.13.1)" "$(router_peer r2 2 192.168.23.2)"
    host_profile a 10.77.0.10 "[eth0]" r1 10.2.1.1 1
    host_profile b 10.77.0.30 "[eth0]" r3 10.2.3.1 3
    host_profile c 10.77.0.20 "[eth0]" r2 10.2.2.1 2
    echo "announce: [192.168.70.0/24]" >>"$TMP/c.yaml"
}

# router_peer NAME N ENDPOINT: the peers entry of router rN.
router_peer() {
    echo "  - {name: $1, role: router, public-key: $(pub "$1"), endpoints: [$3:7000], allowed-ips: [10.77.0.$2/32], $ROUTER_BOUND}"
}

# router_profile NAME N LINKS PEER-LINE...: $TMP/NAME.yaml of router rN (empty peer lines are skipped).
router_profile() {
    local name=$1 n=$2 links=$3
    shift 3
    (umask 077
     printf '%s\n' "name: $name" "role: router" "private-key: $(cat "$TMP/$name.key")" "listen-port: 7000" \
         "interface: {name: ml-$name, address: 10.77.0.$n/24}" "links: $links" "peers:" >"$TMP/$name.yaml"
     for line in "$@"; do [ -n "$line" ] && echo "$line" >>"$TMP/$name.yaml"; done)
}

# host_profile NAME ADDRESS LINKS ROUTER ENDPOINT N: $TMP/NAME.yaml of a host whose (preferred) router is rN.
host_profile() {
    (umask 077
     printf '%s\n' "name: $1" "private-key: $(cat "$TMP/$1.key")" "interface: {name: ml-$1, address: $2/24}" \
         "links: $3" "router:" "  name: $4" "  public-key: $(pub "$4")" "  endpoints: [$5:7000]" \
         "  virtual-ip: 10.77.0.$6" >"$TMP/$1.yaml")
}

# json NAME EXPR: EXPR over NAME's `show --json` (bound to `d`).
json() { in_ns "$1" "$MLINK" show "ml-$1" --json | json_query "$2"; }

# start_bird N: BIRD with examples/bird/rN.conf in $P-rN, logging to $TMP/bird-rN.log.
start_bird() {
    local n=$1 sock=$TMP/bird-r$1.ctl
    # rN.conf as shipped, but logging to stderr (not syslog) and including mlink-common.conf by its full path.
    { echo "log stderr all;"
      sed -e '/^log syslog/d' -e "s#^include \"#include \"$BIRD_DIR/#" "$BIRD_DIR/r$n.conf"; } >"$TMP/bird-r$n.conf"
    ip netns exec "$P-r$n" bird -f -c "$TMP/bird-r$n.conf" -s "$sock" -P "$TMP/bird-r$n.pid" 2>"$TMP/bird-r$n.log" &
    BIRDS+=($!)
    local i
    for i in $(seq 100); do [ -S "$sock" ] && return 0; sleep 0.05; done
    fail "bird r$n did not start: $(cat "$TMP/bird-r$n.log")"
}

# birdc_r N ARGS...: birdc on rN's socket.
birdc_r() { local n=$1; shift; birdc -s "$TMP/bird-r$n.ctl" "$@"; }

stop_birds() { local pid; for pid in "${BIRDS[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null; done; wait 2>/dev/null; }

# wait_kernel NS PATTERN SECONDS: polls `ip route` of $P-NS every 20 ms until a line matches; prints the ms.
wait_kernel() {
    local start limit=$(( $3 * 1000 ))
    start=$(now_ms)
    until ip -n "$P-$1" route show | grep -qE "$2"; do
        [ $(( $(now_ms) - start )) -ge "$limit" ] && { echo never; return 1; }
        sleep 0.02
    done
    echo $(( $(now_ms) - start ))
}
